/**
 * The cluster-size benchmark, on the production form: the compiled application run by plain
 * node with the heap flags and environment the chart and the image's entry point give a pod of
 * that size (cli/entrypoint.sh, values.yaml `memory`), connected in-cluster (a service-account
 * token, no kubeconfig) to the test API server, with this machine's database servers. Per world:
 *   - scrape p50/p99 over HTTP, by this process's client and by curl (a client in a process of
 *     its own, as Prometheus is), and the same exposition built by a plain string builder in this
 *     run (the ratio is the figure that counts);
 *   - the longest event-loop stall in the measured process while the scrapes ran;
 *   - start-up (config, informer sync) and time to every collector healthy;
 *   - one OTLP export to a real receiver (gRPC; BENCH_OTLP_PROTOCOL=http/protobuf for OTLP/HTTP):
 *     wall, CPU and longest stall;
 *   - a churn run of CHURN_MINUTES (default 5): 1% of the pods replaced a minute, scrapes every
 *     15 s, OTLP every 30 s; steady RSS (median) and peak RSS (VmHWM, start-up included), printed
 *     next to the original chart's request and limit for that size.
 * Figures, not pass/fail. BENCH_WORLDS=N,S,M,L (default), BENCH_JSON=<file> for the JSON results
 * (default .bench-out/world.json); BENCH_CHILD_FLAGS and BENCH_MALLOC_ARENA_MAX replace the
 * chart's memory settings, BENCH_LIMIT_MIB the limit the heap is sized from (65536: about V8's
 * own sizing on a large host), BENCH_COLLECTORS the world's instruments, BENCH_SHARD=<i>/<n> the
 * measured process as shard i of n (sharding.shard / totalShards), BENCH_PROFILE_DIR=<dir> CPU
 * profiles of the measured process's scrapes and OTLP export (bench/world-child.ts),
 * BENCH_SPLIT_CPUS=1 the measured process alone on CPU 0 and the bench on the others.
 *
 *   N:   a DaemonSet pod (zombie, lvm) on one node of 30, its 100 pods watched
 *   S:   50 nodes,  1.5k pods
 *   M:  200 nodes,    6k pods,  1k databases
 *   L: 1000 nodes,   30k pods, 10k databases, 100k user balances
 */
import { type ChildProcess, execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseSamples } from '../test/support/exposition-parse.js';
import { get } from '../test/support/http.js';
import { OtlpHttpReceiver } from '../test/support/otlp-http-receiver.js';
import { OtlpReceiver } from '../test/support/otlp-receiver.js';
import {
  benchLimitMiB,
  build,
  PodChurn,
  pinBench,
  podEnvironment,
  podRuntime,
  populate,
  request,
  root,
  type SharedFixtures,
  sharedFixtures,
  splitCpus,
  startChild,
  WORLDS,
  type World,
  worldConfig,
} from './world-setup.js';

const jsonPath = process.env.BENCH_JSON ?? join(root, '.bench-out', 'world.json');

/**
 * One scrape by curl, a client in its own process, as Prometheus is: the bench process also
 * serves the world's API server and OTLP receiver, so its own client's figure includes its own
 * event loop's delays. Scrapes alternate between the two clients.
 */
function curlScrapeMs(url: string): Promise<number> {
  return new Promise((resolve, reject) =>
    execFile('curl', ['-sS', '-o', '/dev/null', '-w', '%{time_total}', url], (error, stdout) =>
      error ? reject(error) : resolve(Number(stdout) * 1000),
    ),
  );
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

/** The exposition as a plain string builder writes it, from already parsed samples. */
function stringBuilder(
  families: readonly string[],
  samples: ReadonlyArray<{ name: string; labels: ReadonlyArray<readonly [string, string]>; value: number }>,
): string {
  const out: string[] = [...families];
  for (const sample of samples) {
    let labels = '';
    for (const [name, value] of sample.labels) labels += `${labels === '' ? '' : ','}${name}="${value}"`;
    out.push(`${sample.name}${labels === '' ? '' : `{${labels}}`} ${sample.value}`);
  }
  return `${out.join('\n')}\n`;
}

interface RssReading {
  readonly rssMiB: number;
  readonly peakRssMiB: number;
}

/**
 * The production run: CHURN_MINUTES (default 5) with 1% of the pods replaced each minute (and
 * as many restart counts raised), a scrape every 15 s and OTLP pushed every 30 s by the
 * periodic reader, RSS read every 5 s. Steady RSS is the median after the first minute; the peak
 * is VmHWM, which includes start-up and the first sync.
 */
async function churnRun(child: ChildProcess, churn: PodChurn, world: World, url: string) {
  const minutes = Number(process.env.CHURN_MINUTES ?? 5);
  const started = performance.now();
  const elapsed = () => performance.now() - started;
  const readings: { atMs: number; rssMiB: number }[] = [];
  const scrapeMs: number[] = [];
  const perMinute = Math.max(1, Math.round(world.pods / 100));
  let nextChurn = 60_000;
  let nextScrape = 0;
  while (elapsed() < minutes * 60_000) {
    if (elapsed() >= nextScrape) {
      const at = performance.now();
      await get(url);
      scrapeMs.push(performance.now() - at);
      nextScrape += 15_000;
    }
    if (elapsed() >= nextChurn) {
      churn.replace(perMinute);
      churn.restart(perMinute);
      nextChurn += 60_000;
    }
    const reading = await request<RssReading>(child, 'rss');
    readings.push({ atMs: elapsed(), rssMiB: reading.rssMiB });
    await new Promise((resolve) => setTimeout(resolve, 5_000));
  }
  const final = await request<RssReading>(child, 'rss');
  const settled = readings.filter((r) => r.atMs >= 60_000);
  const steady = (settled.length > 0 ? settled : readings).map((r) => r.rssMiB);
  steady.sort((a, b) => a - b);
  scrapeMs.sort((a, b) => a - b);
  return {
    minutes,
    steadyRssMiB: percentile(steady, 50),
    maxRssMiB: Math.max(...readings.map((r) => r.rssMiB)),
    peakRssMiB: final.peakRssMiB,
    churnScrapeP50Ms: percentile(scrapeMs, 50),
  };
}

async function runWorld(world: World, shared: SharedFixtures) {
  const progress = (step: string) => console.error(`[${world.name}] ${step}`);
  const dir = await mkdtemp(join(tmpdir(), `ssm-world-${world.name}-`));
  const { server, accounts } = await populate(world, shared);
  const protocol = process.env.BENCH_OTLP_PROTOCOL === 'http/protobuf' ? 'http/protobuf' : 'grpc';
  const receiver = protocol === 'grpc' ? await OtlpReceiver.start() : await OtlpHttpReceiver.start();
  progress(`world built; starting the application (OTLP over ${protocol})`);

  const config = worldConfig({
    world,
    shared,
    accountsDsn: accounts?.dsn ?? '',
    otlp: { port: receiver.port, interval: '30s', timeout: '30s', protocol },
    // The instrument's default; a run of 10k checks takes longer than a minute here.
    databaseCheckInterval: '5m',
  });
  const configPath = join(dir, 'config.yaml');
  // JSON is YAML; the loader reads it as any config file.
  await writeFile(configPath, JSON.stringify(config));

  const pod = await podEnvironment(world, server, dir);
  const child = startChild(configPath, world, pod);
  try {
    const ready = await request<{
      appStartMs: number;
      healthyMs: number;
      healthyAtMs: Record<string, number>;
      port: number;
      rssMiB: number;
      resident: Record<string, number>;
    }>(child, 'ready').catch(() => undefined);
    if (!ready) throw new Error('the child did not get ready');
    progress(`healthy after ${(ready.healthyMs / 1000).toFixed(2)} s; scraping`);
    const url = `http://127.0.0.1:${ready.port}/metrics`;
    await get(url); // warm-up
    await request(child, 'mark');
    const times: number[] = [];
    const curlTimes: number[] = [];
    let body = '';
    for (let i = 0; i < world.scrapes; i++) {
      const at = performance.now();
      const response = await get(url);
      times.push(performance.now() - at);
      body = response.body;
      curlTimes.push(await curlScrapeMs(url));
    }
    const report = await request<{
      maxStallMs: number;
      rssMiB: number;
      heapUsedMiB: number;
      heapTotalMiB: number;
      externalMiB: number;
      retainedHeapMiB: number;
      longestGcMs: number;
      resident: Record<string, number>;
    }>(child, 'report');

    const families = body.split('\n').filter((line) => line.startsWith('#'));
    const samples = parseSamples(body);
    const baseline: number[] = [];
    for (let i = 0; i < world.scrapes; i++) {
      const at = performance.now();
      stringBuilder(families, samples);
      baseline.push(performance.now() - at);
    }

    const receivedPoints = () => receiver.exports.reduce((sum, e) => sum + e.points.length, 0);
    await request(child, 'otlp-settle');
    const pointsBefore = receivedPoints();
    const otlp = await request<{
      wallMs: number;
      cpuMs: number;
      mainThreadCpuMs: number;
      maxStallMs: number;
    }>(child, 'otlp');
    const exported = receivedPoints() - pointsBefore;
    if (exported > samples.length * 1.5)
      progress(`the OTLP figures are of more than one export (${exported} points)`);
    progress(`churn run (${process.env.CHURN_MINUTES ?? 5} min)`);
    const run = await churnRun(child, new PodChurn(server, world), world, url);
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.send({ type: 'stop' });
    await exited;

    times.sort((a, b) => a - b);
    curlTimes.sort((a, b) => a - b);
    baseline.sort((a, b) => a - b);
    return {
      world: world.name,
      nodes: world.nodes,
      pods: world.pods,
      databases: world.databases,
      balances: world.balances,
      collectors: world.collectors,
      original: world.original,
      bar: world.bar,
      nodeFlags: podRuntime(benchLimitMiB(world)),
      cpus: splitCpus() ? 'measured process alone on CPU 0' : 'shared with the bench',
      series: samples.length,
      bodyMiB: Buffer.byteLength(body) / 2 ** 20,
      scrapeP50Ms: percentile(times, 50),
      scrapeP99Ms: percentile(times, 99),
      baselineP50Ms: percentile(baseline, 50),
      ratio: percentile(times, 50) / percentile(baseline, 50),
      curlP50Ms: percentile(curlTimes, 50),
      curlP99Ms: percentile(curlTimes, 99),
      maxStallMs: report.maxStallMs,
      longestGcMs: report.longestGcMs,
      rssMiB: report.rssMiB,
      heapUsedMiB: report.heapUsedMiB,
      heapTotalMiB: report.heapTotalMiB,
      externalMiB: report.externalMiB,
      retainedHeapMiB: report.retainedHeapMiB,
      readyRssMiB: ready.rssMiB,
      readyResident: ready.resident,
      resident: report.resident,
      appStartS: ready.appStartMs / 1000,
      healthyS: ready.healthyMs / 1000,
      healthyAtS: Object.fromEntries(
        Object.entries(ready.healthyAtMs).map(([name, ms]) => [name, Math.round(ms) / 1000]),
      ),
      otlpWallMs: otlp.wallMs,
      otlpCpuMs: otlp.cpuMs,
      otlpMainThreadCpuMs: otlp.mainThreadCpuMs,
      otlpMaxStallMs: otlp.maxStallMs,
      otlpPoints: exported,
      ...run,
    };
  } finally {
    child.kill();
    await receiver.stop();
    await server.stop();
    await accounts?.drop();
    await rm(dir, { recursive: true, force: true });
  }
}

const names = (process.env.BENCH_WORLDS ?? 'N,S,M,L').split(',');
build();
pinBench();
const shared = await sharedFixtures();
const results: Awaited<ReturnType<typeof runWorld>>[] = [];
const failed: { world: string; error: string }[] = [];
try {
  for (const name of names) {
    const world = WORLDS[name];
    if (!world) throw new Error(`BENCH_WORLDS: unknown world "${name}" (N, S, M or L)`);
    // One world that breaks does not lose the figures of the others.
    try {
      results.push(await runWorld(world, shared));
    } catch (error) {
      failed.push({ world: name, error: (error as Error).message });
      console.error(`[${name}] failed: ${(error as Error).message}`);
    }
  }
} finally {
  await shared.stop();
}

// A churn run of 0 minutes has no memory samples: its figures print as `-`.
const f = (value: number | undefined, digits = 0) => (value === undefined ? '-' : value.toFixed(digits));
console.log(
  `node ${process.version}, ${new Date().toISOString()}, ${splitCpus() ? 'measured process alone on CPU 0, the bench on the others' : 'CPUs shared with the bench'}`,
);
console.log(
  'world  series  scrape p50 ms  p99 ms  ratio  curl p50 ms  p99 ms  max stall ms  healthy s  OTLP ms  OTLP CPU ms  main thread  OTLP stall ms',
);
for (const r of results) {
  console.log(
    [
      r.world.padEnd(5),
      String(r.series).padStart(6),
      f(r.scrapeP50Ms, 1).padStart(13),
      f(r.scrapeP99Ms, 1).padStart(6),
      f(r.ratio, 2).padStart(5),
      f(r.curlP50Ms, 1).padStart(11),
      f(r.curlP99Ms, 1).padStart(6),
      f(r.maxStallMs, 1).padStart(12),
      f(r.healthyS, 2).padStart(9),
      f(r.otlpWallMs).padStart(7),
      f(r.otlpCpuMs).padStart(11),
      f(r.otlpMainThreadCpuMs).padStart(11),
      f(r.otlpMaxStallMs, 1).padStart(13),
    ].join('  '),
  );
}
console.log("\nmemory (MiB) over the churn run, next to the original chart and this project's bar");
console.log(
  'world  steady RSS  peak (VmHWM)  heap retained  original request/limit  bar steady/peak  node flags',
);
for (const r of results) {
  console.log(
    [
      r.world.padEnd(5),
      f(r.steadyRssMiB).padStart(10),
      f(r.peakRssMiB).padStart(12),
      f(r.retainedHeapMiB).padStart(13),
      `${r.original.requestMiB}/${r.original.limitMiB}`.padStart(22),
      `${r.bar.steadyMiB}/${r.bar.peakMiB}`.padStart(15),
      ` ${r.nodeFlags.flags.join(' ')} ${Object.entries(r.nodeFlags.env)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ')}`,
    ].join('  '),
  );
}
await mkdir(dirname(jsonPath), { recursive: true });
await writeFile(
  jsonPath,
  `${JSON.stringify({ node: process.version, at: new Date().toISOString(), results, failed }, null, 2)}\n`,
);
console.log(`JSON: ${jsonPath}`);
for (const failure of failed) console.log(`world ${failure.world} FAILED: ${failure.error}`);
if (failed.length > 0) process.exitCode = 1;
