import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { closedPort, createDatabaseLogins } from '../../test/support/database-servers.js';
import { TestDnsServer } from '../../test/support/dns-server.js';
import { assertGolden, harness, maskMeasured, samples } from '../../test/support/harness.js';
import { eventually } from '../../test/support/http.js';
import { KUBEBLOCKS_CLUSTERS, type TestApiServer } from '../../test/support/kube/api-server.js';
import { clusterFixture } from '../../test/support/kube/cluster.js';
import { MongoWireServer } from '../../test/support/mongo-wire.js';
import { databaseConfig } from './config.js';
import { currentEntries, database } from './database.js';
import { databaseTarget, leanCluster, leanCredentials } from './discovery.js';
import type { CheckFailure } from './failure.js';
import { countsByType } from './series.js';

const KUBEBLOCKS = 'apps.kubeblocks.io';
const suffix = randomBytes(4).toString('hex');
const USER = `ssm_db_${suffix}`;
const PASSWORD = `pw-${randomBytes(8).toString('hex')}`;
const KUBEBLOCKS_LABELS = { 'app.kubernetes.io/managed-by': 'kubeblocks' };

function addCluster(
  server: TestApiServer,
  namespace: string,
  name: string,
  definition: string,
  phase = 'Running',
) {
  server.create(
    'clusters',
    {
      metadata: { name, namespace, labels: { 'clusterdefinition.kubeblocks.io/name': definition } },
      spec: { clusterDefinitionRef: definition, componentSpecs: [{ name: 'main', replicas: 1 }] },
      status: { phase },
    },
    KUBEBLOCKS,
  );
}

function base64(value: string): string {
  return Buffer.from(value).toString('base64');
}

function addSecret(
  server: TestApiServer,
  namespace: string,
  name: string,
  data: Record<string, string>,
  labels: Record<string, string> = KUBEBLOCKS_LABELS,
) {
  server.create('secrets', {
    metadata: { name, namespace, labels },
    type: 'Opaque',
    data: Object.fromEntries(Object.entries(data).map(([key, value]) => [key, base64(value)])),
  });
}

function addService(server: TestApiServer, namespace: string, name: string, ready: boolean) {
  server.create('services', { metadata: { name, namespace }, spec: { ports: [{ port: 5432 }] } });
  const address = { ip: '10.0.0.9' };
  server.create('endpoints', {
    metadata: { name, namespace },
    subsets: [ready ? { addresses: [address] } : { notReadyAddresses: [address] }],
  });
}

/** A database instrument over `cluster`, started and ready; its scrape and the stable lines checked against `golden`. */
async function startChecked(
  t: { after(fn: () => unknown): void },
  cluster: Parameters<typeof harness>[1],
  settings: Record<string, unknown>,
  golden: string,
) {
  const h = harness('sealos', cluster);
  const instrument = database.create(h.context('database'), databaseConfig.parse(settings));
  t.after(() => instrument.stop());
  await instrument.start();
  await instrument.ready?.();
  assert.equal(instrument.health().state, 'healthy', instrument.health().reason);
  const body = await h.scrape();
  const stable = maskMeasured(samples(body, 'sealos_database'), ['sealos_database_response_time_seconds']);
  await assertGolden(`${stable.join('\n')}\n`, new URL(`./testdata/${golden}`, import.meta.url));
  return { h, instrument, body };
}

test('Cluster and Secret transforms keep what a check needs and drop the rest', () => {
  const v1 = leanCluster({
    metadata: { name: 'a', namespace: 'n' },
    spec: { clusterDef: 'postgresql' },
    status: { phase: 'Running' },
  });
  assert.deepEqual(v1, { namespace: 'n', name: 'a', type: 'postgresql', phase: 'Running' });
  const components = leanCluster({
    metadata: { name: 'b', namespace: 'n' },
    spec: { componentSpecs: [{ componentDef: 'redis-7-1.0.0' }] },
  });
  assert.equal(components.type, 'redis');
  assert.equal(
    leanCluster({ metadata: { name: 'c' }, spec: { clusterDefinitionRef: 'kafka' } }).type,
    undefined,
  );
  assert.equal(leanCluster({ metadata: { name: 'd' }, spec: 'garbage' } as never).type, undefined);

  assert.equal(
    leanCredentials({ metadata: { name: 'sh.helm.release.v1.x' }, data: { release: 'AAAA' } }),
    null,
  );
  assert.deepEqual(
    leanCredentials({
      metadata: { name: 'x-conn-credential' },
      data: { username: base64('root'), password: base64('p'), extra: base64('dropped') },
    }),
    { username: 'root', password: 'p' },
  );
});

test('discovery: clusters: every database gets a reason: up, no secret, no service, no endpoints, stopped, dns, wrong password, refused (golden)', async (t) => {
  const { server, cluster } = await clusterFixture(t);
  server.registerType(KUBEBLOCKS_CLUSTERS);
  const dns = await TestDnsServer.start();
  const mongo = await MongoWireServer.start({ users: { root: PASSWORD } });
  const dropLogins = await createDatabaseLogins(USER, PASSWORD);
  t.after(async () => {
    await dropLogins();
    await mongo.stop();
    await dns.stop();
  });

  const ns = 'ns-a';
  const pgCredentials = { username: USER, password: PASSWORD, port: '5432' };
  // Up, through the whole preflight: Service, ready endpoints, DNS of the Service name.
  addCluster(server, ns, 'pg-up', 'postgresql');
  addSecret(server, ns, 'pg-up-conn-credential', { ...pgCredentials, host: `pg-up-postgresql.${ns}.svc` });
  addService(server, ns, 'pg-up-postgresql', true);
  dns.set(`pg-up-postgresql.${ns}.svc.cluster.local`, { a: ['127.0.0.1'] });
  // Up, host an address: no Service to check.
  addCluster(server, ns, 'my-up', 'apecloud-mysql');
  addSecret(server, ns, 'my-up-conn-credential', {
    username: USER,
    password: PASSWORD,
    host: '127.0.0.1',
    port: '3306',
  });
  // Redis: the account Secret holds no host; the Service name KubeBlocks gives is derived.
  addCluster(server, ns, 'cache', 'redis');
  addSecret(server, ns, 'cache-redis-account-default', { username: USER, password: PASSWORD });
  addService(server, ns, 'cache-redis-redis', true);
  dns.set(`cache-redis-redis.${ns}.svc.cluster.local`, { a: ['127.0.0.1'] });
  addCluster(server, ns, 'docs', 'mongodb');
  addSecret(server, ns, 'docs-mongodb-account-root', {
    username: 'root',
    password: PASSWORD,
    host: '127.0.0.1',
    port: String(mongo.port),
  });
  // Failures, one per reason.
  addCluster(server, ns, 'pg-nosecret', 'postgresql');
  addCluster(server, ns, 'pg-unlabelled', 'postgresql');
  addSecret(server, ns, 'pg-unlabelled-conn-credential', { ...pgCredentials, host: '127.0.0.1' }, {});
  addCluster(server, ns, 'pg-nosvc', 'postgresql');
  addSecret(server, ns, 'pg-nosvc-conn-credential', {
    ...pgCredentials,
    host: `pg-nosvc-postgresql.${ns}.svc`,
  });
  addCluster(server, ns, 'pg-noep', 'postgresql');
  addSecret(server, ns, 'pg-noep-conn-credential', {
    ...pgCredentials,
    host: `pg-noep-postgresql.${ns}.svc`,
  });
  addService(server, ns, 'pg-noep-postgresql', false);
  addCluster(server, ns, 'pg-nodns', 'postgresql');
  addSecret(server, ns, 'pg-nodns-conn-credential', {
    ...pgCredentials,
    host: `pg-nodns-postgresql.${ns}.svc`,
  });
  addService(server, ns, 'pg-nodns-postgresql', true);
  addCluster(server, ns, 'my-stopped', 'apecloud-mysql', 'Stopped');
  addSecret(server, ns, 'my-stopped-conn-credential', {
    username: USER,
    password: PASSWORD,
    host: '127.0.0.1',
  });
  addCluster(server, ns, 'my-badpw', 'apecloud-mysql');
  addSecret(server, ns, 'my-badpw-conn-credential', { username: USER, password: 'wrong', host: '127.0.0.1' });
  addCluster(server, ns, 'my-nopw', 'apecloud-mysql');
  addSecret(server, ns, 'my-nopw-conn-credential', { username: USER, host: '127.0.0.1' });
  addCluster(server, ns, 'cache-down', 'redis');
  addSecret(server, ns, 'cache-down-redis-account-default', {
    password: PASSWORD,
    host: '127.0.0.1',
    port: String(await closedPort()),
  });
  // Every type, by the Service name KubeBlocks gives it (no host in the Secret): no Secret,
  // no Service, no ready endpoints.
  const engines = [
    ['mysql', 'apecloud-mysql', 'conn-credential', 'mysql'],
    ['mongodb', 'mongodb', 'mongodb-account-root', 'mongodb'],
    ['redis', 'redis', 'redis-account-default', 'redis-redis'],
  ] as const;
  for (const [type, definition, secretSuffix, serviceSuffix] of engines) {
    addCluster(server, ns, `${type}-nosecret`, definition);
    for (const outcome of ['nosvc', 'noep']) {
      addCluster(server, ns, `${type}-${outcome}`, definition);
      addSecret(server, ns, `${type}-${outcome}-${secretSuffix}`, { username: 'root', password: PASSWORD });
    }
    addService(server, ns, `${type}-noep-${serviceSuffix}`, false);
  }
  // Not a database this instrument checks.
  addCluster(server, ns, 'events', 'kafka');

  const { h, instrument, body } = await startChecked(
    t,
    cluster,
    {
      discovery: 'clusters',
      secretLabelSelector: 'app.kubernetes.io/managed-by=kubeblocks',
      checkTimeout: '2s',
      resolver: dns.address,
    },
    'databases.prom',
  );
  const timed = samples(body, 'sealos_database_response_time_seconds').map(
    (line) => /database="([^"]+)"/.exec(line)?.[1],
  );
  // Contacted ones carry a time, also when they failed; ones never contacted carry none.
  assert.deepEqual(timed.sort(), [
    'cache',
    'cache-down',
    'docs',
    'mongodb-noep',
    'mongodb-nosvc',
    'my-badpw',
    'my-up',
    'mysql-noep',
    'mysql-nosvc',
    'pg-nodns',
    'pg-noep',
    'pg-nosvc',
    'pg-up',
    'redis-noep',
    'redis-nosvc',
  ]);
  assert.ok(!body.includes(PASSWORD), 'no password in the exposition');

  // A database deleted: its series go at once, before the next check.
  server.remove('clusters', ns, 'pg-nosvc', KUBEBLOCKS);
  await eventually(
    async () => ((await h.scrape()).includes('pg-nosvc') ? undefined : true),
    5000,
    'deleted cluster gone',
  );
  // A Secret appears: the next check finds it.
  addSecret(server, ns, 'pg-nosecret-conn-credential', { ...pgCredentials, host: '127.0.0.1' });
  await eventually(
    async () => {
      await instrument.collectNow();
      const lines = samples(await h.scrape(), 'sealos_database_connectivity');
      return lines.includes(
        'sealos_database_connectivity{namespace="ns-a",database="pg-nosecret",type="postgresql"} 1',
      )
        ? true
        : undefined;
    },
    5000,
    'new Secret picked up',
  );
});

test('namespaces limit discovery; without KubeBlocks discovery: clusters fails with a clear reason', async (t) => {
  const { server, cluster } = await clusterFixture(t);
  server.registerType(KUBEBLOCKS_CLUSTERS);
  addCluster(server, 'ns-a', 'pg-a', 'postgresql');
  addCluster(server, 'ns-b', 'pg-b', 'postgresql', 'Stopped');
  const h = harness('sealos', cluster);
  const scoped = database.create(
    h.context('database'),
    databaseConfig.parse({ discovery: 'clusters', namespaces: ['ns-b'] }),
  );
  t.after(() => scoped.stop());
  await scoped.start();
  await scoped.ready?.();
  const scraped = await h.scrape();
  assert.deepEqual(samples(scraped, 'sealos_database_connectivity'), [
    'sealos_database_connectivity{namespace="ns-b",database="pg-b",type="postgresql"} 0',
  ]);
  // As the original: totals for the types that have databases, and for all.
  assert.deepEqual(samples(scraped, 'sealos_database_total'), [
    'sealos_database_total{type="all"} 1',
    'sealos_database_total{type="postgresql"} 1',
  ]);

  // KubeBlocks 1.x API asked of a server that does not serve it: the list never succeeds.
  const missing = database.create(
    harness('sealos', cluster).context('database'),
    databaseConfig.parse({
      discovery: 'clusters',
      clusterApiVersion: 'apps.kubeblocks.io/v9',
      checkInterval: '10s',
    }),
  );
  t.after(() => missing.stop());
  await missing.start();
  await missing.ready?.();
  assert.equal(missing.health().state, 'unhealthy');
  assert.match(missing.health().reason ?? '', /apps\.kubeblocks\.io\/v9.*is KubeBlocks installed/);
});

const PG_LABEL = { 'app.kubernetes.io/name': 'postgresql' };
const typeLabel = (type: string) => ({ 'apps.kubeblocks.io/cluster-type': type });

test("discovery: secrets (the original's): every labelled -conn-credential Secret is a database, with or without its Cluster (golden)", async (t) => {
  const { server, cluster } = await clusterFixture(t);
  server.registerType(KUBEBLOCKS_CLUSTERS);
  const dns = await TestDnsServer.start();
  const mongo = await MongoWireServer.start({ users: { root: PASSWORD } });
  const dropLogins = await createDatabaseLogins(`${USER}s`, PASSWORD);
  t.after(async () => {
    await dropLogins();
    await mongo.stop();
    await dns.stop();
  });
  const ns = 'ns-s';
  const user = `${USER}s`;
  addSecret(
    server,
    ns,
    'pg-up-conn-credential',
    { username: user, password: PASSWORD, host: `pg-up-postgresql.${ns}.svc`, port: '5432' },
    PG_LABEL,
  );
  addService(server, ns, 'pg-up-postgresql', true);
  dns.set(`pg-up-postgresql.${ns}.svc.cluster.local`, { a: ['127.0.0.1'] });
  addSecret(
    server,
    ns,
    'my-up-conn-credential',
    { username: user, password: PASSWORD, endpoint: '127.0.0.1:3306' },
    typeLabel('mysql'),
  );
  addSecret(
    server,
    ns,
    'cache-conn-credential',
    { username: user, password: PASSWORD, endpoint: '127.0.0.1:6379' },
    typeLabel('redis'),
  );
  addSecret(
    server,
    ns,
    'docs-conn-credential',
    { username: 'root', password: PASSWORD, endpoint: `127.0.0.1:${mongo.port}` },
    typeLabel('mongodb'),
  );
  // An orphan Secret (no Cluster) is checked, as the original checks it: here it is refused.
  addSecret(
    server,
    ns,
    'my-orphan-conn-credential',
    { username: user, password: PASSWORD, endpoint: `127.0.0.1:${await closedPort()}` },
    typeLabel('mysql'),
  );
  addSecret(
    server,
    ns,
    'pg-noep-conn-credential',
    { ...{ username: user, password: PASSWORD }, host: `pg-noep-postgresql.${ns}.svc`, port: '5432' },
    PG_LABEL,
  );
  addService(server, ns, 'pg-noep-postgresql', false);
  // A Secret that cannot be read: unavailable, and timed at 0 as the original times it.
  addSecret(
    server,
    ns,
    'my-nopw-conn-credential',
    { username: user, endpoint: '127.0.0.1:3306' },
    typeLabel('mysql'),
  );
  // Not databases: no type label, another suffix, a Cluster without its Secret.
  addSecret(
    server,
    ns,
    'pg-unlabelled-conn-credential',
    { username: user, password: PASSWORD, host: '127.0.0.1' },
    {},
  );
  addSecret(
    server,
    ns,
    'docs-mongodb-account-root',
    { username: 'root', password: PASSWORD },
    typeLabel('mongodb'),
  );
  addCluster(server, ns, 'pg-nosecret', 'postgresql');

  const { h, body } = await startChecked(
    t,
    cluster,
    { checkTimeout: '2s', resolver: dns.address },
    'databases-secrets.prom',
  );
  // As the original: every database found has a response time.
  assert.equal(samples(body, 'sealos_database_response_time_seconds').length, 7);
  assert.ok(
    samples(body).includes(
      'sealos_database_response_time_seconds{namespace="ns-s",database="my-nopw",type="mysql"} 0',
    ),
  );
  assert.ok(!body.includes(PASSWORD), 'no password in the exposition');

  // The Secret deleted: the database's series go at once.
  server.remove('secrets', ns, 'my-orphan-conn-credential');
  await eventually(
    async () => ((await h.scrape()).includes('my-orphan') ? undefined : true),
    5000,
    'deleted Secret gone',
  );
});

// labring/sealos-state-metrics pkg/collector/database/connectors_test.go, TestDecodeSecret and
// TestTrimSecretForCache: what is read of a credential Secret, and what is kept of it.
/** A database whose Service is missing: its check ends in the preflight, without a connect. */
function addServicelessDatabase(server: TestApiServer) {
  addSecret(
    server,
    'ns-w',
    'pg-conn-credential',
    { username: 'u', password: 'p', host: 'pg-postgresql.ns-w.svc', port: '5432' },
    PG_LABEL,
  );
}

test("the first round waits for the other informers' first lists, within its bound", async (t) => {
  const { server, cluster } = await clusterFixture(t);
  addServicelessDatabase(server);
  server.delayLists(1500, 'pods');
  // Another instrument's informer, subscribed before the database instrument starts.
  const pods = cluster.subscribe(
    { group: '', version: 'v1', resource: 'pods' },
    {},
    'other.pods',
    () => true,
  );
  let podsListed = false;
  void pods.synced().then(() => {
    podsListed = true;
  });
  const h = harness('sealos', cluster);
  const instrument = database.create(h.context('database'), databaseConfig.parse({ discovery: 'secrets' }));
  t.after(() => instrument.stop());
  await instrument.start();
  await instrument.ready?.();
  assert.equal(podsListed, true, 'the round ended before the pods were listed');
  assert.match(
    (await h.scrape()).split('\n').find((line) => line.startsWith('sealos_database_connectivity{')) ?? '',
    /database="pg".* 0$/,
  );

  // A list that never comes holds the round up to the bound only (half the 10 s interval here).
  const { server: refusing, cluster: other } = await clusterFixture(t);
  addServicelessDatabase(refusing);
  refusing.delayLists(60_000, 'pods');
  other.subscribe({ group: '', version: 'v1', resource: 'pods' }, {}, 'other.pods', () => true);
  const h2 = harness('sealos', other);
  const bounded = database.create(
    h2.context('database'),
    databaseConfig.parse({ discovery: 'secrets', checkInterval: '10s' }),
  );
  t.after(() => bounded.stop());
  const started = Date.now();
  await bounded.start();
  await bounded.ready?.();
  const took = Date.now() - started;
  assert.ok(took >= 4900 && took < 9000, `first round after ${took} ms`);
  assert.equal(bounded.health().state, 'healthy', bounded.health().reason);
});

test("the original's Secret decoding and trimming tests", () => {
  const secret = (data: Record<string, string>) =>
    leanCredentials({
      metadata: {
        name: 'demo-conn-credential',
        namespace: 'db-ns',
        labels: { 'apps.kubeblocks.io/cluster-type': 'mysql', keep: 'no' },
        annotations: { big: 'metadata' },
      } as never,
      type: 'Opaque',
      data: Object.fromEntries(Object.entries(data).map(([key, value]) => [key, base64(value)])),
    });
  // Valid keys, special characters kept, an empty value kept as empty; unused keys dropped.
  assert.deepEqual(
    secret({ username: 'user1', password: 'p@ssw0rd!#$%^&*()', endpoint: 'mysql:3306', unused: 'drop-me' }),
    {
      username: 'user1',
      password: 'p@ssw0rd!#$%^&*()',
      endpoint: 'mysql:3306',
    },
  );
  assert.deepEqual(secret({ username: '' }), { username: '' });
  // A missing password (decodeSecret's "missing key") fails the check as secret_invalid.
  assert.throws(
    () =>
      databaseTarget({ namespace: 'db-ns', name: 'demo', type: 'mysql' }, secret({ username: 'u' }) ?? {}),
    (error: CheckFailure) => error.reason === 'secret_invalid',
  );
  assert.throws(
    () => databaseTarget({ namespace: 'db-ns', name: 'demo', type: 'mysql' }, secret({}) ?? {}),
    (error: CheckFailure) => error.reason === 'secret_invalid',
  );
});

test('config: bad values name the field', () => {
  assert.throws(() => databaseConfig.parse({ resolver: 'dns.example:53' }), /must be ip:port/);
  assert.throws(() => databaseConfig.parse({ mysqlConcurrency: 0 }), /mysqlConcurrency/);
  assert.throws(() => databaseConfig.parse({ clusterApiVersion: 'clusters' }), /group\/version/);
  assert.equal(databaseConfig.parse({}).redisConcurrency, 100);
  assert.equal(databaseConfig.parse({}).discovery, 'secrets');
  assert.throws(() => databaseConfig.parse({ discovery: 'pods' }), /discovery/);
});

test('the current view: results of databases that still exist, counted per type and all', () => {
  const result = (name: string, type: 'mysql' | 'postgresql' | 'redis', connected: boolean) =>
    [`ns/${name}`, { namespace: 'ns', name, type, connected }] as const;
  const cases = [
    { what: 'nothing checked: `all` alone, at 0', results: [], gone: [], counts: [['all', 0, 0]] },
    {
      what: 'types in the order first met, after `all`',
      results: [result('a', 'redis', true), result('b', 'mysql', false), result('c', 'redis', false)],
      gone: [],
      counts: [
        ['all', 3, 1],
        ['redis', 2, 1],
        ['mysql', 1, 0],
      ],
    },
    {
      what: 'a deleted database is neither listed nor counted, and its type goes with its last one',
      results: [result('a', 'redis', true), result('b', 'mysql', false)],
      gone: ['b'],
      counts: [
        ['all', 1, 1],
        ['redis', 1, 1],
      ],
    },
  ] as const;
  for (const { what, results, gone, counts } of cases) {
    const entries = currentEntries(new Map(results), (r) => !(gone as readonly string[]).includes(r.name));
    assert.deepEqual(
      entries.map(([key]) => key),
      results.map(([key]) => key).filter((key) => !gone.some((name) => key === `ns/${name}`)),
      what,
    );
    assert.deepEqual(
      [...countsByType(entries)].map(([type, c]) => [type, c.total, c.available]),
      counts.map((c) => [...c]),
      what,
    );
  }
});
