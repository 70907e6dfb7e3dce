/**
 * The soak: the M world for SOAK_MINUTES (default 30) with the compiled application in a child
 * process, under what a production cluster does to it. Pods churn all the time (restart counts
 * rise, pods are replaced by new ones with new names), a scraper reads /metrics every 15 s, OTLP
 * pushes every 10 s, and every minute the config is reloaded and one fault happens, in turn:
 * dropped watches, an API server restart with a new history range, a 503 storm, 429s with
 * Retry-After, the OTLP receiver down for 30 s, a burst of 1000 pod updates.
 *
 * Every 30 s the child reports RSS, heap retained after a full GC, open file descriptors and
 * active handles. The figures are their growth per hour (least squares over the samples after
 * the warm-up), with scrape latency over the soak and whether the app converged at the end.
 * Figures, not pass/fail. SOAK_MINUTES, SOAK_WARMUP_MINUTES (default 5), SOAK_JSON (default
 * .bench-out/soak.json).
 */
import type { ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { get } from '../test/support/http.js';
import { OtlpReceiver } from '../test/support/otlp-receiver.js';
import {
  build,
  PodChurn,
  podEnvironment,
  populate,
  request,
  root,
  sharedFixtures,
  startChild,
  WORLDS,
  worldConfig,
} from './world-setup.js';

const MINUTES = Number(process.env.SOAK_MINUTES ?? 30);
const WARMUP_MINUTES = Number(process.env.SOAK_WARMUP_MINUTES ?? Math.min(5, MINUTES / 3));
const jsonPath = process.env.SOAK_JSON ?? join(root, '.bench-out', 'soak.json');
const world = {
  ...(WORLDS.M as NonNullable<(typeof WORLDS)['M']>),
  collectors: ['node', 'pod', 'imagepull', 'zombie', 'crds', 'database'],
};

interface Sample {
  readonly minute: number;
  readonly rssMiB: number;
  readonly retainedHeapMiB: number;
  readonly fds: number;
  readonly handles: Record<string, number>;
  readonly maxStallMs: number;
  readonly health: Record<string, string>;
}

const log = (text: string) => console.error(`[soak ${new Date().toISOString().slice(11, 19)}] ${text}`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Least-squares slope of y over minutes, per hour. */
function growthPerHour(points: readonly { minute: number; value: number }[]): number {
  const n = points.length;
  if (n < 2) return Number.NaN;
  const meanX = points.reduce((sum, p) => sum + p.minute, 0) / n;
  const meanY = points.reduce((sum, p) => sum + p.value, 0) / n;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.minute - meanX) * (p.value - meanY);
    den += (p.minute - meanX) ** 2;
  }
  return (num / den) * 60;
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

build();
const shared = await sharedFixtures();
const dir = await mkdtemp(join(tmpdir(), 'ssm-soak-'));
const { server } = await populate(world, shared);
let receiver = await OtlpReceiver.start();
const otlpPort = receiver.port;
const configPath = join(dir, 'config.yaml');
const writeConfig = (databaseCheckInterval: string) =>
  writeFile(
    configPath,
    JSON.stringify(
      worldConfig({
        world,
        shared,
        accountsDsn: '',
        otlp: { port: otlpPort, interval: '10s', timeout: '5s', protocol: 'grpc' },
        databaseCheckInterval,
      }),
    ),
  );
await writeConfig('1m');
const churn = new PodChurn(server, world);
const pod = await podEnvironment(world, server, dir);
const timers: NodeJS.Timeout[] = [];
let child: ChildProcess | undefined;

try {
  child = startChild(configPath, world, pod);
  const ready = await request<{ port: number; healthyMs: number }>(child, 'ready');
  log(`M world healthy after ${(ready.healthyMs / 1000).toFixed(1)} s; soaking for ${MINUTES} min`);
  const metricsUrl = `http://127.0.0.1:${ready.port}/metrics`;
  const started = performance.now();
  const minute = () => (performance.now() - started) / 60_000;

  const scrapeMs: number[] = [];
  let scrapeErrors = 0;
  timers.push(
    setInterval(() => {
      churn.restart(30);
      churn.replace(5);
    }, 5000),
    setInterval(() => {
      const at = performance.now();
      get(metricsUrl).then(
        (response) => {
          if (response.status === 200) scrapeMs.push(performance.now() - at);
          else scrapeErrors += 1;
        },
        () => {
          scrapeErrors += 1;
        },
      );
    }, 15_000),
  );

  const faults: [string, () => void][] = [
    ['dropped watches', () => server.dropWatches()],
    ['API server restart, new history, 3 s down', () => void server.restart({ compact: true, downMs: 3000 })],
    [
      '503 storm for 15 s',
      () => {
        const storm = { count: 1_000_000_000, status: 503 };
        server.fail(storm);
        setTimeout(() => {
          storm.count = 0;
        }, 15_000);
      },
    ],
    ['20 x 429 with Retry-After 5 s', () => server.fail({ count: 20, status: 429, retryAfterSeconds: 5 })],
    [
      'OTLP receiver down for 30 s',
      () => {
        receiver.kill();
        setTimeout(async () => {
          receiver = await OtlpReceiver.start({ port: otlpPort });
        }, 30_000);
      },
    ],
    ['burst of 1000 pod updates', () => churn.restart(1000)],
  ];

  const samples: Sample[] = [];
  const faultLog: { minute: number; fault: string }[] = [];
  let reloads = 0;
  for (let tick = 1; tick <= MINUTES * 2; tick++) {
    await sleep(Math.max(0, started + tick * 30_000 - performance.now()));
    const sample = await request<Omit<Sample, 'minute'>>(child, 'sample');
    samples.push({ minute: minute(), ...sample });
    if (tick % 2 === 1 && tick < MINUTES * 2 - 2) {
      // Each minute, on the half: one fault in turn; on the minute: a reload.
      const [name, inject] = faults[((tick - 1) / 2) % faults.length] as [string, () => void];
      faultLog.push({ minute: minute(), fault: name });
      log(`minute ${minute().toFixed(1)}: ${name}; RSS ${sample.rssMiB.toFixed(0)} MiB`);
      inject();
    } else if (tick % 2 === 0 && tick < MINUTES * 2 - 2) {
      reloads += 1;
      await writeConfig(reloads % 2 === 1 ? '2m' : '1m');
    }
  }
  for (const timer of timers) clearInterval(timer);

  // The last minute had no fault: the app should have converged.
  const body = (await get(metricsUrl)).body;
  const nodeSeries = body.match(/^sealos_node_healthy\{/gm)?.length ?? 0;
  const reloadCount = (result: string) =>
    Number(
      new RegExp(`^state_metric_config_reloads_total\\{result="${result}"\\} (\\d+)`, 'm').exec(body)?.[1],
    );
  const otlpCount = (result: string) =>
    Number(
      new RegExp(`^state_metric_otlp_exports_total\\{result="${result}"\\} (\\d+)`, 'm').exec(body)?.[1],
    );
  const measured = samples.filter((s) => s.minute >= WARMUP_MINUTES);
  const series = (pick: (s: Sample) => number) => measured.map((s) => ({ minute: s.minute, value: pick(s) }));
  const handleTotal = (s: Sample) => Object.values(s.handles).reduce((sum, n) => sum + n, 0);
  const last = samples.at(-1) as Sample;
  const result = {
    node: process.version,
    at: new Date().toISOString(),
    world: world.name,
    minutes: MINUTES,
    warmupMinutes: WARMUP_MINUTES,
    growthPerHour: {
      rssMiB: growthPerHour(series((s) => s.rssMiB)),
      retainedHeapMiB: growthPerHour(series((s) => s.retainedHeapMiB)),
      fds: growthPerHour(series((s) => s.fds)),
      handles: growthPerHour(series(handleTotal)),
    },
    first: measured[0],
    last,
    scrapes: {
      count: scrapeMs.length,
      errors: scrapeErrors,
      p50Ms: percentile(scrapeMs, 50),
      p99Ms: percentile(scrapeMs, 99),
    },
    longestStallMs: Math.max(...samples.map((s) => s.maxStallMs)),
    faults: faultLog,
    reloads: { written: reloads, applied: reloadCount('success'), rejected: reloadCount('failure') },
    otlpExports: { success: otlpCount('success'), failure: otlpCount('failure') },
    converged: {
      nodeSeries,
      nodes: world.nodes,
      health: last.health,
    },
    samples,
  };

  const f = (value: number, digits = 1) => value.toFixed(digits);
  console.log(
    `node ${process.version}, ${result.at}; M world, ${MINUTES} min, warm-up ${WARMUP_MINUTES} min`,
  );
  console.log('               after warm-up   at the end   growth per hour');
  for (const [label, pick, growth] of [
    ['RSS MiB', (s: Sample) => s.rssMiB, result.growthPerHour.rssMiB],
    ['heap MiB', (s: Sample) => s.retainedHeapMiB, result.growthPerHour.retainedHeapMiB],
    ['open fds', (s: Sample) => s.fds, result.growthPerHour.fds],
    ['handles', handleTotal, result.growthPerHour.handles],
  ] as const) {
    const first = measured[0] ? pick(measured[0]) : Number.NaN;
    console.log(
      `${label.padEnd(14)} ${f(first).padStart(13)} ${f(pick(last)).padStart(12)} ${f(growth, 2).padStart(17)}`,
    );
  }
  console.log(
    `scrapes ${result.scrapes.count} (errors ${scrapeErrors}), p50 ${f(result.scrapes.p50Ms)} ms, p99 ${f(result.scrapes.p99Ms)} ms; longest stall ${f(result.longestStallMs)} ms`,
  );
  console.log(
    `reloads written ${reloads}, applied ${result.reloads.applied}, rejected ${result.reloads.rejected}; OTLP exports ${result.otlpExports.success} ok, ${result.otlpExports.failure} failed`,
  );
  console.log(`converged: ${nodeSeries}/${world.nodes} node series; health ${JSON.stringify(last.health)}`);
  await mkdir(dirname(jsonPath), { recursive: true });
  await writeFile(jsonPath, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`JSON: ${jsonPath}`);

  const exited = new Promise((resolve) => child?.once('exit', resolve));
  child.send({ type: 'stop' });
  await exited;
} finally {
  for (const timer of timers) clearInterval(timer);
  child?.kill();
  receiver.kill();
  await server.stop();
  await shared.stop();
  await rm(dir, { recursive: true, force: true });
}
