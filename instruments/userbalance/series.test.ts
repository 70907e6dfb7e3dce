/** The userbalance instrument's series for one configured user. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seriesOf } from '../../test/support/series.js';
import type { UserEntry } from './config.js';
import { userBalance } from './metrics.js';
import { balanceSeries } from './series.js';

const user = (type: string, quota: number): UserEntry => ({
  region: 'hzh',
  uuid: '550e8400-e29b-41d4-a716-446655440000',
  uid: 'u1',
  owner: 'alice',
  type,
  level: 'gold',
  quota,
});

test('a balance under its type, and the quota beside it unless the type is quota', async () => {
  const labels = (type: string) =>
    `{region="hzh",uuid="550e8400-e29b-41d4-a716-446655440000",uid="u1",owner="alice",type="${type}",level="gold"}`;
  const cases: Array<{ what: string; user: UserEntry; value: number; lines: string[] }> = [
    {
      what: 'a standard user: balance and quota',
      user: user('standard', 500),
      value: 12.5,
      lines: [
        `sealos_userbalance_balance${labels('standard')} 12.5`,
        `sealos_userbalance_balance${labels('quota')} 500`,
      ],
    },
    {
      what: 'a negative balance (in debt) is written as it is',
      user: user('enterprise', 0),
      value: -3,
      lines: [
        `sealos_userbalance_balance${labels('enterprise')} -3`,
        `sealos_userbalance_balance${labels('quota')} 0`,
      ],
    },
    {
      what: 'a user whose own type is quota: one series, the balance',
      user: user('quota', 500),
      value: 7,
      lines: [`sealos_userbalance_balance${labels('quota')} 7`],
    },
  ];
  for (const { what, user: u, value, lines } of cases) {
    assert.deepEqual(await seriesOf(userBalance, balanceSeries, [{ user: u, value }]), lines, what);
  }
});
