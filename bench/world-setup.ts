/**
 * What the world benchmark and the soak share: the S, M and L worlds, the compiled application
 * (the code the image runs), the world's objects on the test API server and its databases, the
 * application's config for a world, and the measured child process with its IPC requests.
 */
import { type ChildProcess, fork, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { parse } from 'yaml';
import { createDatabaseLogins, postgresAdminUrl } from '../test/support/database-servers.js';
import { TestDnsServer } from '../test/support/dns-server.js';
import { KUBEBLOCKS_CLUSTERS, TestApiServer } from '../test/support/kube/api-server.js';
import {
  addDatabases,
  nodeMetrics,
  realisticNode,
  realisticPod,
  sealosUser,
  startMongoFixture,
} from './world-objects.js';

export const root = fileURLToPath(new URL('..', import.meta.url));
export const buildDir = join(root, '.bench-out', 'world-build');

export interface World {
  readonly name: string;
  readonly nodes: number;
  readonly pods: number;
  readonly databases: number;
  readonly balances: number;
  readonly scrapes: number;
  /** The instruments the measured pod runs. */
  readonly collectors: readonly string[];
  /** A DaemonSet pod's world: the node it runs on (its pod watch is scoped to it). */
  readonly nodeName?: string;
  /** The original chart's memory request and limit for a cluster of this size (MiB). */
  readonly original: { readonly requestMiB: number; readonly limitMiB: number };
  /** This project's bar (issue 15): steady and peak RSS (MiB). */
  readonly bar: { readonly steadyMiB: number; readonly peakMiB: number };
}

const CLUSTER_INSTRUMENTS = ['node', 'pod', 'imagepull', 'zombie', 'crds', 'database', 'userbalance'];

export const WORLDS: Record<string, World> = {
  // A DaemonSet pod of a 30-node cluster: zombie and lvm, its node's 100 pods.
  N: {
    name: 'N',
    nodes: 30,
    pods: 3_000,
    databases: 0,
    balances: 0,
    scrapes: 30,
    collectors: ['zombie', 'lvm'],
    nodeName: 'node-0',
    original: { requestMiB: 64, limitMiB: 256 },
    bar: { steadyMiB: 96, peakMiB: 128 },
  },
  S: {
    name: 'S',
    nodes: 50,
    pods: 1_500,
    databases: 0,
    balances: 0,
    scrapes: 30,
    collectors: CLUSTER_INSTRUMENTS,
    original: { requestMiB: 64, limitMiB: 256 },
    bar: { steadyMiB: 128, peakMiB: 192 },
  },
  M: {
    name: 'M',
    nodes: 200,
    pods: 6_000,
    databases: 1_000,
    balances: 0,
    scrapes: 20,
    collectors: CLUSTER_INSTRUMENTS,
    original: { requestMiB: 128, limitMiB: 512 },
    bar: { steadyMiB: 192, peakMiB: 256 },
  },
  L: {
    name: 'L',
    nodes: 1_000,
    pods: 30_000,
    databases: 10_000,
    balances: 100_000,
    scrapes: 10,
    collectors: CLUSTER_INSTRUMENTS,
    original: { requestMiB: 256, limitMiB: 1024 },
    bar: { steadyMiB: 384, peakMiB: 512 },
  },
};

/**
 * The compiled application and the measured child, as the image runs them (plain node, no tsx
 * in the measured process): bench/tsconfig.world.json is tsconfig.build.json plus world-child.
 */
export function build(): void {
  const tsc = spawnSync(join(root, 'node_modules/.bin/tsc'), ['-p', 'bench/tsconfig.world.json'], {
    cwd: root,
    encoding: 'utf8',
  });
  if (tsc.status !== 0) throw new Error(`build failed:\n${tsc.stdout}${tsc.stderr}`);
}

/** The memory settings the chart's defaults give a pod (values.yaml `memory`). */
function chartMemoryDefaults(): { nodeFlags: string; mallocArenaMax: string } {
  const values = parse(readFileSync(join(root, 'deploy/chart/sealos-state-metrics/values.yaml'), 'utf8')) as {
    memory?: { nodeFlags?: string; mallocArenaMax?: number | string };
  };
  return {
    nodeFlags: values.memory?.nodeFlags ?? '',
    mallocArenaMax: String(values.memory?.mallocArenaMax ?? ''),
  };
}

/**
 * The node flags and environment a pod with a `limitMiB` memory limit gets from the chart and
 * the image's entry point (cli/entrypoint.sh, asked with `node-flags`). BENCH_CHILD_FLAGS replaces
 * the chart's node flags, BENCH_MALLOC_ARENA_MAX its arena count ('' for glibc's default).
 */
export function podRuntime(limitMiB: number): { flags: string[]; env: Record<string, string> } {
  const chart = chartMemoryDefaults();
  const nodeFlags = process.env.BENCH_CHILD_FLAGS ?? chart.nodeFlags;
  const arenas = process.env.BENCH_MALLOC_ARENA_MAX ?? chart.mallocArenaMax;
  const printed = spawnSync('sh', [join(root, 'cli/entrypoint.sh'), 'node-flags'], {
    encoding: 'utf8',
    env: { ...process.env, SSM_MEMORY_LIMIT_MIB: String(limitMiB), SSM_NODE_FLAGS: nodeFlags },
  });
  if (printed.status !== 0) throw new Error(`cli/entrypoint.sh node-flags: ${printed.stderr}`);
  return {
    flags: printed.stdout.trim().split(/\s+/).filter(Boolean),
    env: arenas === '' ? {} : { MALLOC_ARENA_MAX: arenas },
  };
}

/** A Sealos accounts database with `count` users, each with an Account row. */
async function accountsDatabase(count: number): Promise<{ dsn: string; drop(): Promise<void> }> {
  const name = `ssm_world_${randomBytes(3).toString('hex')}`;
  const admin = new pg.Client({ connectionString: postgresAdminUrl() });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const setup = new pg.Client({ connectionString: postgresAdminUrl(name) });
  await setup.connect();
  await setup.query(`
    CREATE TABLE "User" (uid uuid PRIMARY KEY, id text UNIQUE NOT NULL, name text NOT NULL);
    CREATE TABLE "Account" ("userUid" uuid PRIMARY KEY REFERENCES "User"(uid), balance bigint, deduction_balance bigint, "encryptBalance" text);
    INSERT INTO "User" SELECT md5(i::text)::uuid, 'user' || i, 'name ' || i FROM generate_series(0, ${count - 1}) i;
    INSERT INTO "Account" SELECT md5(i::text)::uuid, (i * 7919) % 100000000000, (i * 31) % 1000000, '' FROM generate_series(0, ${count - 1}) i;`);
  await setup.end();
  return {
    dsn: `${postgresAdminUrl(name)}?sslmode=disable`,
    drop: async () => {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    },
  };
}

/** Every hundredth pod waits for an image that cannot be pulled. */
export function worldPod(i: number, nodes: number) {
  const pod = realisticPod(i, nodes);
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

/** One IPC request to the measured child; rejects if the child exits first. */
export function request<T>(child: ChildProcess, type: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null) => {
      child.off('message', onMessage);
      reject(new Error(`the measured child exited (${code}) before answering "${type}"`));
    };
    const onMessage = (message: { type: string }) => {
      if (message.type !== (type === 'mark' ? 'marked' : type)) return;
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolve(message as T);
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
    child.send({ type });
  });
}

/** The cluster's pods: a window of indexes that slides as pods are replaced. */
export class PodChurn {
  #first = 0;
  #next: number;
  readonly #restarts = new Map<number, number>();

  constructor(
    readonly server: TestApiServer,
    readonly world: World,
  ) {
    this.#next = world.pods;
  }

  /** Raises the restart count of `count` pods, as crash-looping containers do. */
  restart(count: number): void {
    for (let k = 0; k < count; k++) {
      const index = this.#first + Math.floor(Math.random() * (this.#next - this.#first));
      const restarts = (this.#restarts.get(index) ?? index % 13) + 1;
      this.#restarts.set(index, restarts);
      const pod = worldPod(index, this.world.nodes);
      const [status] = pod.status.containerStatuses;
      Object.assign(status as object, { restartCount: restarts });
      this.server.update('pods', pod);
    }
  }

  /** Replaces the `count` oldest pods by new ones with new names (a rollout). */
  replace(count: number): void {
    for (let k = 0; k < count; k++) {
      const old = worldPod(this.#first, this.world.nodes);
      this.server.remove('pods', old.metadata.namespace, old.metadata.name);
      this.#restarts.delete(this.#first);
      this.#first += 1;
      this.server.create('pods', worldPod(this.#next, this.world.nodes));
      this.#next += 1;
    }
  }
}

/** The database logins, MongoDB stand-in and DNS server every world shares. */
export interface SharedFixtures {
  readonly dns: TestDnsServer;
  readonly login: { user: string; password: string; mongoPort: number };
  stop(): Promise<void>;
}

export async function sharedFixtures(): Promise<SharedFixtures> {
  const password = randomBytes(12).toString('hex');
  const user = `ssm_world_${randomBytes(3).toString('hex')}`;
  const dropLogins = await createDatabaseLogins(user, password);
  const mongo = await startMongoFixture(password);
  const dns = await TestDnsServer.start();
  return {
    dns,
    login: { user, password, mongoPort: mongo.port },
    stop: async () => {
      await dropLogins();
      mongo.stop();
      await dns.stop();
    },
  };
}

/** A world on a test API server, with its accounts database when it has balances. */
export async function populate(world: World, shared: SharedFixtures) {
  const server = await TestApiServer.start();
  server.registerType(KUBEBLOCKS_CLUSTERS);
  const now = new Date().toISOString();
  for (let i = 0; i < world.nodes; i++) {
    server.create('nodes', realisticNode(i));
    server.create('nodes', nodeMetrics(i, now), 'metrics.k8s.io');
  }
  for (let i = 0; i < world.pods; i++) server.create('pods', worldPod(i, world.nodes));
  addDatabases(server, shared.dns, world.databases, shared.login);
  const accounts = world.balances > 0 ? await accountsDatabase(world.balances) : undefined;
  return { server, accounts };
}

/** The application's config for a world: its instruments, OTLP push to `otlp`. */
export function worldConfig(options: {
  readonly world: World;
  readonly shared: SharedFixtures;
  readonly accountsDsn: string;
  readonly otlp: { port: number; interval: string; timeout: string; protocol: 'grpc' | 'http/protobuf' };
  readonly databaseCheckInterval: string;
}) {
  const { world, shared, otlp } = options;
  return {
    server: { address: '127.0.0.1:0' },
    // In-cluster, as a pod connects (podEnvironment): no kubeconfig, no client-node.
    kubernetes: { qps: 1000, burst: 1000 },
    leaderElection: { enabled: false },
    logging: { level: 'warn' },
    otlp: {
      enabled: true,
      protocol: otlp.protocol,
      endpoint: `http://127.0.0.1:${otlp.port}`,
      interval: otlp.interval,
      timeout: otlp.timeout,
    },
    enabledCollectors: process.env.BENCH_COLLECTORS?.split(',') ?? world.collectors,
    ...benchSharding(),
    collectors: {
      zombie: { procPath: join(root, 'instruments/zombie/testdata/proc') },
      lvm: {
        command: [
          'sh',
          join(root, 'instruments/lvm/testdata/fake-vgs.sh'),
          'ok',
          join(root, 'instruments/lvm/testdata/lvm-2.03.16.json'),
        ],
      },
      database: {
        // The world's databases are KubeBlocks Clusters with their Secrets, as measured so far.
        discovery: 'clusters',
        secretLabelSelector: 'app.kubernetes.io/managed-by=kubeblocks',
        checkInterval: options.databaseCheckInterval,
        checkTimeout: '10s',
        resolver: shared.dns.address,
      },
      userbalance: {
        checkInterval: '10m',
        database: { dsn: options.accountsDsn },
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
}

/** BENCH_SHARD=<shard>/<total>: the measured process is that shard of the world. */
function benchSharding(): { sharding?: { shard: number; totalShards: number } } {
  const match = /^(\d+)\/(\d+)$/.exec(process.env.BENCH_SHARD ?? '');
  return match ? { sharding: { shard: Number(match[1]), totalShards: Number(match[2]) } } : {};
}

/** The memory limit the pod's heap is sized from: the original's for the world's size, or BENCH_LIMIT_MIB. */
export function benchLimitMiB(world: World): number {
  return process.env.BENCH_LIMIT_MIB ? Number(process.env.BENCH_LIMIT_MIB) : world.original.limitMiB;
}

/** What the measured pod is given: the service account's files and the pod's environment. */
export interface PodEnvironment {
  readonly serviceAccountDir: string;
  readonly env: Record<string, string>;
}

/** Writes the service account a pod of `world` would have (in-cluster connection, no kubeconfig). */
export async function podEnvironment(
  world: World,
  server: TestApiServer,
  dir: string,
): Promise<PodEnvironment> {
  const serviceAccountDir = join(dir, 'serviceaccount');
  const env = await server.writeServiceAccount(serviceAccountDir);
  return { serviceAccountDir, env: { ...env, ...(world.nodeName ? { NODE_NAME: world.nodeName } : {}) } };
}

/**
 * The measured process (the compiled world-child) on a config file, run as a pod of `world`'s
 * size runs: plain node with the flags and environment the chart and entry point give its memory
 * limit. It talks to us over IPC.
 */
export function startChild(configPath: string, world: World, pod: PodEnvironment): ChildProcess {
  const runtime = podRuntime(benchLimitMiB(world));
  const split = splitCpus();
  return fork(join(buildDir, 'bench/world-child.js'), [buildDir, configPath, pod.serviceAccountDir], {
    // taskset execs node in place, so the IPC channel it was given stays node's.
    execPath: split ? 'taskset' : process.execPath,
    execArgv: [...(split ? ['-c', split.child, process.execPath] : []), '--expose-gc', ...runtime.flags],
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      ...(process.env.BENCH_PROFILE_DIR ? { BENCH_PROFILE_DIR: process.env.BENCH_PROFILE_DIR } : {}),
      ...runtime.env,
      ...pod.env,
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}

/** The CPUs this process may use before pinBench narrows them. */
const CPUS_AT_START = availableParallelism();

/**
 * BENCH_SPLIT_CPUS=1: the measured process on CPU 0 alone, this process (the API server, the
 * receivers, the scraping clients it starts) on the others, as a pod with a CPU of its own sees
 * it. Without it, on a small machine the load's own work preempts the measured process and the
 * stalls measured are partly the bench's (issue 15's L profiles: writev held 30 ms on the CPU
 * the scraping client needed).
 */
export function splitCpus(): { child: string; bench: string } | undefined {
  if (process.env.BENCH_SPLIT_CPUS !== '1') return undefined;
  const cpus = CPUS_AT_START;
  if (cpus < 2) throw new Error(`BENCH_SPLIT_CPUS=1 needs 2 CPUs or more, this machine has ${cpus}`);
  return { child: '0', bench: `1-${cpus - 1}` };
}

/** Moves every thread of this process to the bench's CPUs (children started later inherit them). */
export function pinBench(): void {
  const split = splitCpus();
  if (!split) return;
  const pinned = spawnSync('taskset', ['-a', '-p', '-c', split.bench, String(process.pid)], {
    encoding: 'utf8',
  });
  if (pinned.status !== 0) throw new Error(`taskset failed: ${pinned.stderr || pinned.error}`);
}
