/**
 * Every outcome of a check, for every database type, against real servers: PostgreSQL, MariaDB
 * and Redis on this machine, a MongoDB wire-protocol server, a PostgreSQL wire server asking for
 * an MD5 password (the machine's PostgreSQL trusts local connections), a closed port and a
 * listener that never answers. Each outcome twice: with the connectors called in this thread, and
 * through the worker thread the instrument runs them on (connect-thread.ts).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { type TestContext, test } from 'node:test';
import { closedPort, createDatabaseLogins, silentServer } from '../../test/support/database-servers.js';
import { quietLogs } from '../../test/support/harness.js';
import { eventually } from '../../test/support/http.js';
import { MongoWireServer } from '../../test/support/mongo-wire.js';
import { PgWireServer } from '../../test/support/pg-wire.js';
import { type CheckDeps, checkDatabase } from './check.js';
import { ConnectThread } from './connect-thread.js';
import { CONNECTORS, type Connector } from './connectors.js';
import type { DatabaseType } from './discovery.js';
import { AddressResolver } from './preflight.js';

const TIMEOUT_MS = 800;
const USER = `ssm_probe_${randomBytes(4).toString('hex')}`;
const PASSWORD = `pw-${randomBytes(8).toString('hex')}`;

type ConnectorOf = (type: DatabaseType) => Connector;

function deps(type: DatabaseType, connectorOf: ConnectorOf): CheckDeps {
  return {
    resolver: new AddressResolver({
      server: undefined,
      clusterDomain: 'cluster.local',
      checkTimeoutMs: TIMEOUT_MS,
    }),
    services: { serviceExists: () => undefined, readyEndpoints: () => 0 },
    clusterDomain: 'cluster.local',
    timeoutMs: TIMEOUT_MS,
    connect: connectorOf(type),
    logger: quietLogs().child({}),
  };
}

/** Where the connects run: called in this thread, or on the instrument's worker thread. */
interface Runner {
  readonly connectorOf: ConnectorOf;
  /** Whether the drivers' sockets are this thread's, so a leak shows in its handles. */
  readonly socketsHere: boolean;
}

function checker({ connectorOf }: Runner) {
  return (type: DatabaseType, port: number, username = USER, password = PASSWORD) => {
    const target = {
      namespace: 'ns-a',
      name: `${type}-db`,
      type,
      host: '127.0.0.1',
      port,
      username,
      password,
    };
    return checkDatabase(target, deps(type, connectorOf), new AbortController().signal);
  };
}

function tcpSockets(): number {
  return process.getActiveResourcesInfo().filter((name) => name === 'TCPSocketWrap').length;
}

/**
 * The outcomes every type shares: a closed port is refused; a server that never answers is cut
 * at the timeout and its socket closed; afterwards no socket of this process is left open.
 */
async function assertRefusedHungAndNoLeak(
  runner: Runner,
  type: DatabaseType,
  username: string,
  baseline: number,
) {
  const check = checker(runner);
  assert.equal((await check(type, await closedPort(), username)).reason, 'refused');
  const silent = await silentServer();
  try {
    const hung = await check(type, silent.port, username);
    assert.equal(hung.reason, 'timeout');
    assert.ok((hung.seconds ?? 99) < TIMEOUT_MS / 1000 + 1, `cut at the timeout, took ${hung.seconds}`);
    await eventually(
      async () => ((await silent.openConnections()) === 0 ? true : undefined),
      3000,
      'hung socket closed',
    );
  } finally {
    await silent.stop();
  }
  if (runner.socketsHere)
    await eventually(async () => (tcpSockets() <= baseline ? true : undefined), 3000, 'no socket left open');
}

/** A server of another kind on the port: the check fails, never hangs past the timeout. */
async function assertWrongServer(runner: Runner, type: DatabaseType, port: number) {
  const result = await checker(runner)(type, port);
  assert.equal(result.connected, false);
  assert.ok(['protocol', 'reset', 'timeout'].includes(result.reason ?? ''), result.reason);
}

/** The outcomes per type, with the connects run by `runner`. */
async function connectOutcomes(t: TestContext, runner: Runner) {
  const check = checker(runner);
  const baseline = tcpSockets();

  await t.test('PostgreSQL', async () => {
    const up = await check('postgresql', 5432);
    assert.equal(up.connected, true, JSON.stringify(up));
    assert.equal(up.reason, undefined);
    assert.ok((up.seconds ?? 0) > 0);
    // This machine's PostgreSQL trusts local connections: a role that may not log in is its refusal.
    assert.equal((await check('postgresql', 5432, `${USER}_nologin`)).reason, 'auth_failed');
    const md5 = await PgWireServer.start(() => ({ column: '?column?', rows: ['1'] }), {
      md5Users: { [USER]: PASSWORD },
    });
    try {
      assert.equal(
        (await check('postgresql', md5.port)).connected,
        true,
        'the MD5 server lets the right password in',
      );
      assert.equal((await check('postgresql', md5.port, USER, 'wrong')).reason, 'auth_failed');
    } finally {
      await md5.stop();
    }
    await assertRefusedHungAndNoLeak(runner, 'postgresql', USER, baseline);
  });

  await t.test('MySQL (MariaDB)', async () => {
    assert.equal((await check('mysql', 3306)).connected, true);
    assert.equal((await check('mysql', 3306, USER, 'wrong')).reason, 'auth_failed');
    await assertRefusedHungAndNoLeak(runner, 'mysql', USER, baseline);
    await assertWrongServer(runner, 'mysql', 6379);
  });

  await t.test('Redis', async () => {
    assert.equal((await check('redis', 6379)).connected, true);
    assert.equal((await check('redis', 6379, USER, 'wrong')).reason, 'auth_failed');
    // No user name means Redis' default user. This Redis asks no password of it: a password sent
    // anyway is ignored (by ioredis, as by redis-cli), and the server is reachable.
    assert.equal((await check('redis', 6379, '', 'anything')).connected, true);
    await assertRefusedHungAndNoLeak(runner, 'redis', USER, baseline);
    await assertWrongServer(runner, 'redis', 5432);
  });

  await t.test('MongoDB (wire-protocol server)', async () => {
    const mongo = await MongoWireServer.start({ users: { root: PASSWORD } });
    try {
      assert.equal((await check('mongodb', mongo.port, 'root')).connected, true);
      assert.ok(mongo.commands.includes('ping'), 'a ping was sent after authenticating');
      assert.equal((await check('mongodb', mongo.port, 'root', 'wrong')).reason, 'auth_failed');
      assert.equal((await check('mongodb', mongo.port, 'nobody')).reason, 'auth_failed');
      await eventually(
        async () => (mongo.openConnections === 0 ? true : undefined),
        3000,
        'driver connections closed',
      );
    } finally {
      await mongo.stop();
    }
    await assertRefusedHungAndNoLeak(runner, 'mongodb', 'root', baseline);
  });
}

test('connect + ping per type: up, refused credentials, refused port, hung port, wrong server', async (t) => {
  const dropLogins = await createDatabaseLogins(USER, PASSWORD);
  t.after(dropLogins);
  await t.test('connects in this thread', (t) =>
    connectOutcomes(t, { connectorOf: (type) => CONNECTORS[type], socketsHere: true }),
  );
  const thread = new ConnectThread(quietLogs().child({}));
  t.after(() => thread.close());
  await t.test('connects on the worker thread', (t) =>
    connectOutcomes(t, { connectorOf: (type) => thread.connector(type), socketsHere: false }),
  );
});
