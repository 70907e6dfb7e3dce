/**
 * What the world benchmark and the soak share: the S, M and L worlds, the compiled application
 * (the code the image runs), the world's objects on the test API server and its databases, the
 * application's config for a world, and the measured child process with its IPC requests.
 */
import { type ChildProcess, fork, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
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
}

export const WORLDS: Record<string, World> = {
  S: { name: 'S', nodes: 50, pods: 1_500, databases: 0, balances: 0, scrapes: 30 },
  M: { name: 'M', nodes: 200, pods: 6_000, databases: 1_000, balances: 0, scrapes: 20 },
  L: { name: 'L', nodes: 1_000, pods: 30_000, databases: 10_000, balances: 100_000, scrapes: 10 },
};

/** The compiled application, as the image runs it (no tsx in the measured code). */
export function build(): void {
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
export function worldPod(i: number) {
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

export function request<T>(child: ChildProcess, type: string): Promise<T> {
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
  for (let i = 0; i < world.pods; i++) server.create('pods', worldPod(i));
  addDatabases(server, shared.dns, world.databases, shared.login);
  const accounts = world.balances > 0 ? await accountsDatabase(world.balances) : undefined;
  return { server, accounts };
}

/** The application's config for a world: every instrument that grows with a cluster. */
export function worldConfig(options: {
  readonly world: World;
  readonly server: TestApiServer;
  readonly shared: SharedFixtures;
  readonly accountsDsn: string;
  readonly otlp: { port: number; interval: string; timeout: string };
  readonly databaseCheckInterval: string;
  readonly collectors: readonly string[];
}) {
  const { world, server, shared, otlp } = options;
  return {
    server: { address: '127.0.0.1:0' },
    kubernetes: { kubeconfig: server.kubeconfigPath, qps: 1000, burst: 1000 },
    leaderElection: { enabled: false },
    logging: { level: 'warn' },
    otlp: {
      enabled: true,
      endpoint: `http://127.0.0.1:${otlp.port}`,
      interval: otlp.interval,
      timeout: otlp.timeout,
    },
    enabledCollectors: options.collectors,
    collectors: {
      zombie: { procPath: join(root, 'instruments/zombie/testdata/proc') },
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

/** The measured process (world-child.ts) on a config file; it talks to us over IPC. */
export function startChild(configPath: string): ChildProcess {
  return fork(fileURLToPath(new URL('./world-child.ts', import.meta.url)), [buildDir, configPath], {
    execArgv: [
      '--expose-gc',
      '--import',
      'tsx',
      ...(process.env.BENCH_CHILD_FLAGS ?? '').split(' ').filter(Boolean),
    ],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}
