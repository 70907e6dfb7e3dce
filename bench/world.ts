/**
 * The cluster-size benchmark: S, M and L worlds served by the test API server and this
 * machine's database servers, the compiled application running every instrument that grows
 * with a cluster (node, pod, imagepull, database, userbalance, crds, zombie) in a child process,
 * and figures per world:
 *   - scrape p50/p99 over HTTP, and the same exposition built by a plain string builder in this
 *     run (the ratio is the figure that counts);
 *   - the longest event-loop stall in the measured process while the scrapes ran;
 *   - RSS after the scrapes; start-up (config, informer sync) and time to every collector healthy;
 *   - one OTLP export to a real gRPC receiver: wall, CPU and longest stall.
 * Figures, not pass/fail. BENCH_WORLDS=S,M,L (default), BENCH_JSON=<file> for the JSON results
 * (default .bench-out/world.json).
 *
 *   S:   50 nodes,  1.5k pods
 *   M:  200 nodes,    6k pods,  1k databases
 *   L: 1000 nodes,   30k pods, 10k databases, 100k user balances
 */
import { type ChildProcess, fork, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { createDatabaseLogins } from '../test/support/database-servers.js';
import { TestDnsServer } from '../test/support/dns-server.js';
import { parseSamples } from '../test/support/exposition-parse.js';
import { get } from '../test/support/http.js';
import { KUBEBLOCKS_CLUSTERS, TestApiServer } from '../test/support/kube/api-server.js';
import { OtlpReceiver } from '../test/support/otlp-receiver.js';
import {
  addDatabases,
  nodeMetrics,
  realisticNode,
  realisticPod,
  sealosUser,
  startMongoFixture,
} from './world-objects.js';

interface World {
  readonly name: string;
  readonly nodes: number;
  readonly pods: number;
  readonly databases: number;
  readonly balances: number;
  readonly scrapes: number;
}

const WORLDS: Record<string, World> = {
  S: { name: 'S', nodes: 50, pods: 1_500, databases: 0, balances: 0, scrapes: 30 },
  M: { name: 'M', nodes: 200, pods: 6_000, databases: 1_000, balances: 0, scrapes: 20 },
  L: { name: 'L', nodes: 1_000, pods: 30_000, databases: 10_000, balances: 100_000, scrapes: 10 },
};

const root = fileURLToPath(new URL('..', import.meta.url));
const buildDir = join(root, '.bench-out', 'world-build');
const jsonPath = process.env.BENCH_JSON ?? join(root, '.bench-out', 'world.json');
const ADMIN = 'postgresql://postgres@127.0.0.1:5432/postgres';

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

/** The compiled application, as the image runs it (no tsx in the measured code). */
function build(): void {
  const tsc = spawnSync(
    join(root, 'node_modules/.bin/tsc'),
    ['-p', 'tsconfig.build.json', '--outDir', buildDir],
    {
      cwd: root,
      encoding: 'utf8',
    },
  );
  if (tsc.status !== 0) throw new Error(`build failed:\n${tsc.stdout}${tsc.stderr}`);
}

/** A Sealos accounts database with `count` users, each with an Account row. */
async function accountsDatabase(count: number): Promise<{ dsn: string; drop(): Promise<void> }> {
  const name = `ssm_world_${randomBytes(3).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const setup = new pg.Client({ connectionString: `postgresql://postgres@127.0.0.1:5432/${name}` });
  await setup.connect();
  await setup.query(`
    CREATE TABLE "User" (uid uuid PRIMARY KEY, id text UNIQUE NOT NULL, name text NOT NULL);
    CREATE TABLE "Account" ("userUid" uuid PRIMARY KEY REFERENCES "User"(uid), balance bigint, deduction_balance bigint, "encryptBalance" text);
    INSERT INTO "User" SELECT md5(i::text)::uuid, 'user' || i, 'name ' || i FROM generate_series(0, ${count - 1}) i;
    INSERT INTO "Account" SELECT md5(i::text)::uuid, (i * 7919) % 100000000000, (i * 31) % 1000000, '' FROM generate_series(0, ${count - 1}) i;`);
  await setup.end();
  return {
    dsn: `postgresql://postgres@127.0.0.1:5432/${name}?sslmode=disable`,
    drop: async () => {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    },
  };
}

/** Every hundredth pod waits for an image that cannot be pulled. */
function worldPod(i: number) {
  const pod = realisticPod(i);
  if (i % 100 === 0) {
    const [status] = pod.status.containerStatuses;
    Object.assign(status as object, {
      ready: false,
      started: false,
      state: {
        waiting: {
          reason: 'ImagePullBackOff',
          message: `Back-off pulling image "registry.local/missing-${i}:v1"`,
        },
      },
    });
  }
  return pod;
}

function request<T>(child: ChildProcess, type: string): Promise<T> {
  return new Promise((resolve) => {
    const onMessage = (message: { type: string }) => {
      if (message.type !== (type === 'mark' ? 'marked' : type)) return;
      child.off('message', onMessage);
      resolve(message as T);
    };
    child.on('message', onMessage);
    child.send({ type });
  });
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

async function runWorld(
  world: World,
  shared: { dns: TestDnsServer; login: { user: string; password: string; mongoPort: number } },
) {
  const progress = (step: string) => console.error(`[${world.name}] ${step}`);
  const dir = await mkdtemp(join(tmpdir(), `ssm-world-${world.name}-`));
  const server = await TestApiServer.start();
  server.registerType(KUBEBLOCKS_CLUSTERS);
  const now = new Date().toISOString();
  for (let i = 0; i < world.nodes; i++) {
    server.create('nodes', realisticNode(i));
    server.create('nodes', nodeMetrics(i, now), 'metrics.k8s.io');
  }
  for (let i = 0; i < world.pods; i++) server.create('pods', worldPod(i));
  addDatabases(server, shared.dns, world.databases, shared.login);
  const accounts = world.balances > 0 ? await accountsDatabase(world.balances) : undefined;
  const receiver = await OtlpReceiver.start();
  progress('world built; starting the application');

  const config = {
    server: { address: '127.0.0.1:0' },
    kubernetes: { kubeconfig: server.kubeconfigPath, qps: 1000, burst: 1000 },
    leaderElection: { enabled: false },
    logging: { level: 'warn' },
    otlp: { enabled: true, endpoint: `http://127.0.0.1:${receiver.port}`, interval: '1h', timeout: '30s' },
    enabledCollectors: (
      process.env.BENCH_COLLECTORS ?? 'node,pod,imagepull,zombie,crds,database,userbalance'
    ).split(','),
    collectors: {
      zombie: { procPath: join(root, 'instruments/zombie/testdata/proc') },
      database: { checkInterval: '10m', checkTimeout: '10s', resolver: shared.dns.address },
      userbalance: {
        checkInterval: '10m',
        database: { dsn: accounts?.dsn ?? '' },
        users: Array.from({ length: world.balances }, (_, i) => sealosUser(i)),
      },
      crds: {
        crds: [
          {
            name: 'kubeblocks',
            gvr: { group: 'apps.kubeblocks.io', version: 'v1alpha1', resource: 'clusters' },
            commonLabels: { namespace: 'metadata.namespace', name: 'metadata.name' },
            metrics: [
              { type: 'string_state', name: 'kubeblocks_cluster_phase', path: 'status.phase' },
              { type: 'count', name: 'kubeblocks_cluster_count', path: 'status.phase', valueLabel: 'phase' },
            ],
          },
        ],
      },
    },
  };
  const configPath = join(dir, 'config.yaml');
  // JSON is YAML; the loader reads it as any config file.
  await writeFile(configPath, JSON.stringify(config));

  const child = fork(fileURLToPath(new URL('./world-child.ts', import.meta.url)), [buildDir, configPath], {
    execArgv: [
      '--expose-gc',
      '--import',
      'tsx',
      ...(process.env.BENCH_CHILD_FLAGS ?? '').split(' ').filter(Boolean),
    ],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  try {
    const ready = await request<{
      appStartMs: number;
      healthyMs: number;
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
    let body = '';
    for (let i = 0; i < world.scrapes; i++) {
      const at = performance.now();
      const response = await get(url);
      times.push(performance.now() - at);
      body = response.body;
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

    const otlp = await request<{ wallMs: number; cpuMs: number; maxStallMs: number }>(child, 'otlp');
    const exported = receiver.exports.reduce((sum, e) => sum + e.points.length, 0);
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.send({ type: 'stop' });
    await exited;

    times.sort((a, b) => a - b);
    baseline.sort((a, b) => a - b);
    return {
      world: world.name,
      nodes: world.nodes,
      pods: world.pods,
      databases: world.databases,
      balances: world.balances,
      series: samples.length,
      bodyMiB: Buffer.byteLength(body) / 2 ** 20,
      scrapeP50Ms: percentile(times, 50),
      scrapeP99Ms: percentile(times, 99),
      baselineP50Ms: percentile(baseline, 50),
      ratio: percentile(times, 50) / percentile(baseline, 50),
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
      otlpWallMs: otlp.wallMs,
      otlpCpuMs: otlp.cpuMs,
      otlpMaxStallMs: otlp.maxStallMs,
      otlpPoints: exported,
    };
  } finally {
    child.kill();
    await receiver.stop();
    await server.stop();
    await accounts?.drop();
    await rm(dir, { recursive: true, force: true });
  }
}

const names = (process.env.BENCH_WORLDS ?? 'S,M,L').split(',');
build();
const password = randomBytes(12).toString('hex');
const user = `ssm_world_${randomBytes(3).toString('hex')}`;
const dropLogins = await createDatabaseLogins(user, password);
const mongo = await startMongoFixture(password);
const dns = await TestDnsServer.start();
const results = [];
try {
  for (const name of names) {
    const world = WORLDS[name];
    if (!world) throw new Error(`BENCH_WORLDS: unknown world "${name}" (S, M or L)`);
    results.push(await runWorld(world, { dns, login: { user, password, mongoPort: mongo.port } }));
  }
} finally {
  await dropLogins();
  mongo.stop();
  await dns.stop();
}

const f = (value: number, digits = 0) => value.toFixed(digits);
console.log(`node ${process.version}, ${new Date().toISOString()}`);
console.log(
  'world  series  body MiB  scrape p50 ms  p99 ms  builder p50 ms  ratio  max stall ms  RSS MiB  start s  healthy s  OTLP ms  OTLP CPU ms  OTLP stall ms',
);
for (const r of results) {
  console.log(
    [
      r.world.padEnd(5),
      String(r.series).padStart(6),
      f(r.bodyMiB, 1).padStart(8),
      f(r.scrapeP50Ms, 1).padStart(13),
      f(r.scrapeP99Ms, 1).padStart(6),
      f(r.baselineP50Ms, 1).padStart(14),
      f(r.ratio, 2).padStart(5),
      f(r.maxStallMs, 1).padStart(12),
      f(r.rssMiB).padStart(7),
      f(r.appStartS, 2).padStart(7),
      f(r.healthyS, 2).padStart(9),
      f(r.otlpWallMs).padStart(7),
      f(r.otlpCpuMs).padStart(11),
      f(r.otlpMaxStallMs, 1).padStart(13),
    ].join('  '),
  );
}
await mkdir(dirname(jsonPath), { recursive: true });
await writeFile(
  jsonPath,
  `${JSON.stringify({ node: process.version, at: new Date().toISOString(), results }, null, 2)}\n`,
);
console.log(`JSON: ${jsonPath}`);
