import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import pg from 'pg';
import { postgresAdminUrl } from '../../test/support/database-servers.js';
import { assertGolden, harness, samples } from '../../test/support/harness.js';
import { toCurrency } from './balances.js';
import { userbalanceConfig } from './config.js';
import { userbalance } from './userbalance.js';

test("micro-units to currency as the original's float64 steps round them", () => {
  // Each expected value is what the original's providers.go prints for the same row (Go 1.26).
  const cases: [string, string, number][] = [
    ['1580500000', '0', 1580.5],
    ['2000000', '7000000', -5],
    ['1234565', '0', 1.23],
    ['1235000', '0', 1.24],
    ['0', '1235000', -1.24],
    ['1580504999', '0', 1580.5],
    // 1.005 * 100 is 100.49999999999999 in binary: 1, not 1.01; likewise 1.015 is 1.01.
    ['1005000', '0', 1],
    ['1015000', '0', 1.01],
    ['2675000', '0', 2.68],
    ['-1005000', '0', -1],
    ['9007199254740993000', '0', 9007199254740.99],
  ];
  for (const [balance, deduction, expected] of cases)
    assert.equal(toCurrency(balance, deduction), expected, `${balance} - ${deduction}`);
});

/** A throwaway database with the Sealos accounts tables and a password-protected reader. */
async function accountsDatabase(t: { after(fn: () => unknown): void }) {
  const suffix = `${process.pid}_${randomBytes(3).toString('hex')}`;
  const database = `ssm_ub_${suffix}`;
  const role = `ssm_ub_${suffix}`;
  const password = `pw-${randomBytes(8).toString('hex')}`;
  const admin = new pg.Client({ connectionString: postgresAdminUrl() });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${database}`);
  await admin.query(`CREATE ROLE ${role} LOGIN PASSWORD '${password}'`);
  t.after(async () => {
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.query(`DROP ROLE IF EXISTS ${role}`);
    await admin.end();
  });
  const setup = new pg.Client({ connectionString: postgresAdminUrl(database) });
  await setup.connect();
  await setup.query(`
    CREATE TABLE "User" (uid uuid PRIMARY KEY, id text UNIQUE NOT NULL, name text NOT NULL);
    CREATE TABLE "Account" ("userUid" uuid PRIMARY KEY REFERENCES "User"(uid), balance bigint, deduction_balance bigint, "encryptBalance" text);
    INSERT INTO "User" VALUES
      ('550e8400-e29b-41d4-a716-446655440002', 'user002', 'jane'),
      ('550e8400-e29b-41d4-a716-446655440003', 'user003', 'bob'),
      ('550e8400-e29b-41d4-a716-446655440004', 'user004', 'new user, no account row yet');
    INSERT INTO "Account" VALUES
      ('550e8400-e29b-41d4-a716-446655440002', 1580504999, 0, ''),
      ('550e8400-e29b-41d4-a716-446655440003', 2000000, 7000000, '');
    GRANT SELECT ON "User", "Account" TO ${role};`);
  await setup.end();
  return {
    dsn: `postgresql://${role}:${password}@127.0.0.1:5432/${database}?sslmode=disable`,
    password,
    database,
  };
}

const users = [
  {
    region: 'us-west-2',
    uuid: '550e8400-e29b-41d4-a716-446655440002',
    uid: 'user002',
    owner: 'jane.smith@example.com',
    type: 'standard',
    level: 'silver',
    quota: 500,
  },
  {
    region: 'eu-west-1',
    uuid: '550e8400-e29b-41d4-a716-446655440003',
    uid: 'user003',
    owner: 'bob.wilson@example.com',
    type: 'enterprise',
    level: 'platinum',
  },
  {
    region: 'eu-west-1',
    uuid: '550e8400-e29b-41d4-a716-446655440004',
    uid: 'user004',
    owner: 'new@example.com',
    type: 'standard',
    level: 'bronze',
  },
  {
    region: 'eu-west-1',
    uuid: '550e8400-e29b-41d4-a716-446655440099',
    uid: 'ghost',
    owner: 'ghost@example.com',
    type: 'standard',
    level: 'bronze',
  },
];

function start(dsn: string, checkTimeout = '5s') {
  const h = harness();
  const logs: string[] = [];
  const context = h.context('userbalance');
  const instrument = userbalance.create(
    context,
    userbalanceConfig.parse({ database: { dsn }, users, checkTimeout }),
  );
  return { h, instrument, logs };
}

test('balances of every configured user from one query against real PostgreSQL (golden)', async (t) => {
  const { dsn } = await accountsDatabase(t);
  const { h, instrument } = start(dsn);
  await instrument.collectNow();
  assert.equal(instrument.health().state, 'healthy');
  assert.equal(instrument.health().reason, 'not in the "User" table: ghost');
  await assertGolden(
    `${samples(await h.scrape(), 'sealos_userbalance').join('\n')}\n`,
    new URL('./testdata/balances.prom', import.meta.url),
  );
});

test('database failures are an unhealthy state without balances and without the password', async (t) => {
  const { dsn, password, database } = await accountsDatabase(t);
  for (const [broken, reason] of [
    [dsn.replace(`/${database}?`, `/${database}_missing?`), /database "ssm_ub_.*_missing" does not exist/],
    [dsn.replace('127.0.0.1:5432', '127.0.0.1:1'), /ECONNREFUSED/],
  ] as const) {
    const { h, instrument } = start(broken, '2s');
    await instrument.collectNow();
    assert.equal(instrument.health().state, 'unhealthy');
    assert.match(instrument.health().reason ?? '', reason);
    assert.ok(!(instrument.health().reason ?? '').includes(password), 'the password leaked into the reason');
    const body = await h.scrape();
    assert.deepEqual(samples(body, 'sealos_userbalance'), []);
    assert.ok(
      samples(body).includes('state_metric_collector_success{collector="userbalance",instance="test-0"} 0'),
    );
  }
});

test('config: users need a dsn; a uid may stand in two regions; the same region and uid twice is one user', () => {
  const issues = (input: unknown) =>
    userbalanceConfig.safeParse(input).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`) ?? [];
  assert.deepEqual(issues({ users: [{ uid: 'a' }] }), [
    'database.dsn: users are listed but database.dsn is empty',
  ]);
  const parsed = userbalanceConfig.parse({
    database: { dsn: 'postgresql://x' },
    users: [
      { region: 'hzh', uid: 'a', owner: 'first' },
      { region: 'bja', uid: 'a' },
      { region: 'hzh', uid: 'a', owner: 'later' },
    ],
  });
  assert.deepEqual(
    parsed.users.map((u) => [u.region, u.uid, u.owner, u.quota]),
    [
      ['bja', 'a', '', 0],
      ['hzh', 'a', 'later', 0],
    ],
  );
});
