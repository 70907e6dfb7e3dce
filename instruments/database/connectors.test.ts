/**
 * Every outcome of a check, for every database type, against real servers: PostgreSQL, MariaDB
 * and Redis on this machine, a MongoDB wire-protocol server, a PostgreSQL wire server asking for
 * an MD5 password (the machine's PostgreSQL trusts local connections), a closed port and a
 * listener that never answers.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { test } from 'node:test';
import { Redis } from 'ioredis';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { quietLogs } from '../../test/support/harness.js';
import { eventually } from '../../test/support/http.js';
import { MongoWireServer } from '../../test/support/mongo-wire.js';
import { PgWireServer } from '../../test/support/pg-wire.js';
import { type CheckDeps, checkDatabase } from './check.js';
import { CONNECTORS } from './connectors.js';
import type { DatabaseTarget, DatabaseType } from './discovery.js';
import { AddressResolver } from './preflight.js';

const TIMEOUT_MS = 800;
const suffix = randomBytes(4).toString('hex');
const USER = `ssm_probe_${suffix}`;
const PASSWORD = `pw-${randomBytes(8).toString('hex')}`;

function deps(type: DatabaseType): CheckDeps {
  return {
    resolver: new AddressResolver({
      server: undefined,
      clusterDomain: 'cluster.local',
      checkTimeoutMs: TIMEOUT_MS,
    }),
    services: { serviceExists: () => undefined, readyEndpoints: () => 0 },
    clusterDomain: 'cluster.local',
    timeoutMs: TIMEOUT_MS,
    connect: CONNECTORS[type],
    logger: quietLogs().child({}),
  };
}

function target(type: DatabaseType, port: number, username: string, password: string): DatabaseTarget {
  return { namespace: 'ns-a', name: `${type}-db`, type, host: '127.0.0.1', port, username, password };
}

async function check(type: DatabaseType, port: number, username = USER, password = PASSWORD) {
  return checkDatabase(target(type, port, username, password), deps(type), new AbortController().signal);
}

/** A port nothing listens on: bound, then closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Accepts connections and never says a word, as a hung server does. */
async function silentServer(t: {
  after(fn: () => unknown): void;
}): Promise<{ server: Server; port: number }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    // Read (and drop) what the client sends, so its hang-up is seen.
    socket.resume();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { server, port: (server.address() as { port: number }).port };
}

function openConnections(server: Server): Promise<number> {
  return new Promise((resolve, reject) =>
    server.getConnections((error, count) => (error ? reject(error) : resolve(count))),
  );
}

function tcpSockets(): number {
  return process.getActiveResourcesInfo().filter((name) => name === 'TCPSocketWrap').length;
}

test('PostgreSQL: up, role refused, wrong password (MD5 server), refused port, hung port', async (t) => {
  const admin = new pg.Client({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'postgres' });
  await admin.connect();
  await admin.query(`CREATE ROLE ${USER} LOGIN PASSWORD '${PASSWORD}'`);
  await admin.query(`CREATE ROLE ${USER}_nologin NOLOGIN`);
  t.after(async () => {
    await admin.query(`DROP ROLE IF EXISTS ${USER}`);
    await admin.query(`DROP ROLE IF EXISTS ${USER}_nologin`);
    await admin.end();
  });
  const baseline = tcpSockets();

  const up = await check('postgresql', 5432);
  assert.equal(up.connected, true, JSON.stringify(up));
  assert.equal(up.reason, undefined);
  assert.ok((up.seconds ?? 0) > 0);

  // This machine's PostgreSQL trusts local connections: a role that may not log in is its refusal.
  assert.equal((await check('postgresql', 5432, `${USER}_nologin`)).reason, 'auth_failed');

  const md5 = await PgWireServer.start(() => ({ column: '?column?', rows: ['1'] }), {
    md5Users: { [USER]: PASSWORD },
  });
  t.after(() => md5.stop());
  assert.equal(
    (await check('postgresql', md5.port)).connected,
    true,
    'the MD5 server lets the right password in',
  );
  assert.equal((await check('postgresql', md5.port, USER, 'wrong')).reason, 'auth_failed');

  assert.equal((await check('postgresql', await closedPort())).reason, 'refused');
  const silent = await silentServer(t);
  const hung = await check('postgresql', silent.port);
  assert.equal(hung.reason, 'timeout');
  assert.ok((hung.seconds ?? 99) < TIMEOUT_MS / 1000 + 1, `cut at the timeout, took ${hung.seconds}`);
  await eventually(
    async () => ((await openConnections(silent.server)) === 0 ? true : undefined),
    3000,
    'hung socket closed',
  );
  await eventually(async () => (tcpSockets() <= baseline ? true : undefined), 3000, 'no socket left open');
});

test('MySQL (MariaDB): up, wrong password, refused port, hung port', async (t) => {
  const admin = await mysql.createConnection({ host: '127.0.0.1', port: 3306, user: 'root' });
  await admin.query(`CREATE USER '${USER}'@'127.0.0.1' IDENTIFIED BY '${PASSWORD}'`);
  t.after(async () => {
    await admin.query(`DROP USER IF EXISTS '${USER}'@'127.0.0.1'`);
    await admin.end();
  });
  const baseline = tcpSockets();

  const up = await check('mysql', 3306);
  assert.equal(up.connected, true, JSON.stringify(up));
  assert.equal((await check('mysql', 3306, USER, 'wrong')).reason, 'auth_failed');
  assert.equal((await check('mysql', await closedPort())).reason, 'refused');
  const silent = await silentServer(t);
  assert.equal((await check('mysql', silent.port)).reason, 'timeout');
  // A server that speaks another protocol: Redis answers MySQL's silence with nothing useful.
  const wrongServer = await check('mysql', 6379);
  assert.equal(wrongServer.connected, false);
  assert.ok(['protocol', 'reset', 'timeout'].includes(wrongServer.reason ?? ''), wrongServer.reason);
  await eventually(
    async () => ((await openConnections(silent.server)) === 0 ? true : undefined),
    3000,
    'hung socket closed',
  );
  await eventually(async () => (tcpSockets() <= baseline ? true : undefined), 3000, 'no socket left open');
});

test('Redis: up (ACL user), wrong password, default user, refused port, hung port', async (t) => {
  const admin = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true });
  await admin.connect();
  await admin.call('ACL', 'SETUSER', USER, 'on', `>${PASSWORD}`, '+ping');
  t.after(async () => {
    await admin.call('ACL', 'DELUSER', USER);
    admin.disconnect();
  });
  const baseline = tcpSockets();

  const up = await check('redis', 6379);
  assert.equal(up.connected, true, JSON.stringify(up));
  assert.equal((await check('redis', 6379, USER, 'wrong')).reason, 'auth_failed');
  // No user name means Redis' default user. This Redis asks no password of it: a password sent
  // anyway is ignored (by ioredis, as by redis-cli), and the server is reachable.
  assert.equal((await check('redis', 6379, '', 'anything')).connected, true);
  assert.equal((await check('redis', await closedPort())).reason, 'refused');
  const silent = await silentServer(t);
  assert.equal((await check('redis', silent.port)).reason, 'timeout');
  // Pointed at PostgreSQL, a Redis client gets no Redis answer.
  const wrongServer = await check('redis', 5432);
  assert.equal(wrongServer.connected, false);
  assert.ok(['protocol', 'reset', 'timeout'].includes(wrongServer.reason ?? ''), wrongServer.reason);
  await eventually(
    async () => ((await openConnections(silent.server)) === 0 ? true : undefined),
    3000,
    'hung socket closed',
  );
  await eventually(async () => (tcpSockets() <= baseline ? true : undefined), 3000, 'no socket left open');
});

test('MongoDB (wire-protocol server): up, wrong password, unknown user, refused port, hung port', async (t) => {
  const mongo = await MongoWireServer.start({ users: { root: PASSWORD } });
  t.after(() => mongo.stop());
  const baseline = tcpSockets();

  const up = await check('mongodb', mongo.port, 'root');
  assert.equal(up.connected, true, JSON.stringify(up));
  assert.ok(mongo.commands.includes('ping'), 'a ping was sent after authenticating');
  assert.equal((await check('mongodb', mongo.port, 'root', 'wrong')).reason, 'auth_failed');
  assert.equal((await check('mongodb', mongo.port, 'nobody')).reason, 'auth_failed');
  assert.equal((await check('mongodb', await closedPort(), 'root')).reason, 'refused');
  const silent = await silentServer(t);
  assert.equal((await check('mongodb', silent.port, 'root')).reason, 'timeout');
  await eventually(
    async () => (mongo.openConnections === 0 ? true : undefined),
    3000,
    'driver connections closed',
  );
  await eventually(
    async () => ((await openConnections(silent.server)) === 0 ? true : undefined),
    3000,
    'hung socket closed',
  );
  await eventually(async () => (tcpSockets() <= baseline ? true : undefined), 3000, 'no socket left open');
});
