/**
 * The worker thread the database checks connect from: what crosses back (a reason and a
 * scrubbed line, never the password), cutting a connect at its deadline, and a stopped worker.
 * The outcomes per database type through it are in connectors.test.ts.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import {
  closedPort,
  createDatabaseLogins,
  type SilentServer,
  silentServer,
} from '../../test/support/database-servers.js';
import { quietLogs } from '../../test/support/harness.js';
import { eventually } from '../../test/support/http.js';
import { ConnectThread } from './connect-thread.js';
import { CheckFailure } from './failure.js';

const USER = `ssm_thread_${randomBytes(4).toString('hex')}`;
const PASSWORD = `pw-${randomBytes(8).toString('hex')}`;
const endpoint = (port: number, username = USER, password = PASSWORD) => ({
  address: '127.0.0.1',
  port,
  username,
  password,
});

/** Waits until the silent server holds `count` connections from its side. */
const untilOpen = (silent: SilentServer, count: number, what: string) =>
  eventually(async () => ((await silent.openConnections()) === count ? true : undefined), 3000, what);

async function failureOf(promise: Promise<void>): Promise<CheckFailure> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof CheckFailure, `a CheckFailure, got ${String(error)}`);
    return error;
  }
  assert.fail('the connect succeeded');
}

test('a failure comes back as its reason and the driver line, with the password masked', async (t) => {
  const dropLogins = await createDatabaseLogins(USER, PASSWORD);
  t.after(dropLogins);
  const thread = new ConnectThread(quietLogs().child({}));
  t.after(() => thread.close());
  const mysql = thread.connector('mysql');

  await mysql(endpoint(3306), 2000, new AbortController().signal);
  // MariaDB names the user it refused: a user named like its password puts the password in the line.
  const refused = await failureOf(
    mysql(endpoint(3306, PASSWORD, PASSWORD), 2000, new AbortController().signal),
  );
  assert.equal(refused.reason, 'auth_failed');
  assert.match(refused.message, /Access denied for user '<redacted>'/);
  assert.ok(!refused.message.includes(PASSWORD), refused.message);
  assert.equal(
    (await failureOf(mysql(endpoint(await closedPort()), 2000, new AbortController().signal))).reason,
    'refused',
  );
});

test('an abort cuts the connect on the worker and closes its socket', async (t) => {
  const thread = new ConnectThread(quietLogs().child({}));
  t.after(() => thread.close());
  const silent = await silentServer();
  t.after(() => silent.stop());
  const deadline = new AbortController();
  const connect = thread.connector('postgresql')(endpoint(silent.port), 30_000, deadline.signal);
  await untilOpen(silent, 1, 'connected');
  deadline.abort(new CheckFailure('timeout', 'deadline'));
  const failure = await failureOf(connect);
  assert.equal(failure.reason, 'timeout', failure.message);
  await untilOpen(silent, 0, 'socket closed');
});

test('a stopped worker fails the checks it had, and the next check starts a new one', async (t) => {
  const thread = new ConnectThread(quietLogs().child({}));
  t.after(() => thread.close());
  const silent = await silentServer();
  t.after(() => silent.stop());
  const redis = thread.connector('redis');
  const hung = redis(endpoint(silent.port, ''), 30_000, new AbortController().signal);
  await untilOpen(silent, 1, 'connected');
  await thread.close();
  const failure = await failureOf(hung);
  assert.equal(failure.reason, 'unknown');
  assert.match(failure.message, /stopped/);
  // The worker's socket went with it.
  await untilOpen(silent, 0, 'socket closed');
  await redis(endpoint(6379, ''), 2000, new AbortController().signal);
});

test('the worker stops once idle and starts again with the next check', async (t) => {
  const thread = new ConnectThread(quietLogs().child({}), 100);
  t.after(() => thread.close());
  const redis = thread.connector('redis');
  await Promise.all([1, 2, 3].map(() => redis(endpoint(6379, ''), 2000, new AbortController().signal)));
  assert.equal(thread.running, true, 'kept right after its checks');
  await eventually(async () => (thread.running ? undefined : true), 3000, 'worker stopped');
  await redis(endpoint(6379, ''), 2000, new AbortController().signal);
  assert.equal(thread.running, true);
});
