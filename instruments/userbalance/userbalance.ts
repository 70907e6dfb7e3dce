/**
 * userbalance: Sealos user balances from the accounts database (PostgreSQL or CockroachDB).
 * Cluster-wide: runs on the leader.
 */
import { dsnPassword, safeErrorLine } from '../../lib/config/redact.js';
import { defineInstrument, type InstrumentContext } from '../../lib/instrument.js';
import { Poller } from '../../lib/poller.js';
import { queryBalances } from './balances.js';
import { type UserbalanceConfig, type UserEntry, userbalanceConfig } from './config.js';
import { userBalance, userbalanceMetrics } from './metrics.js';
import { balanceSeries, type UserBalance } from './series.js';

/**
 * The balances by configured entry (its index), keeping the previous object where a balance did
 * not change, so that its series stay encoded (observeObjects) across polls.
 */
function balanceEntries(
  users: readonly UserEntry[],
  keys: readonly string[],
  balances: ReadonlyMap<string, number>,
  previous: ReadonlyMap<string, UserBalance>,
): Map<string, UserBalance> {
  const next = new Map<string, UserBalance>();
  users.forEach((user, index) => {
    const value = balances.get(user.uid);
    if (value === undefined) return;
    const key = keys[index] as string;
    const held = previous.get(key);
    next.set(key, held !== undefined && Object.is(held.value, value) ? held : { user, value });
  });
  return next;
}

function createUserbalance(context: InstrumentContext, config: UserbalanceConfig) {
  const users = config.users as UserEntry[];
  const keys = users.map((_, index) => String(index));
  let balances = new Map<string, UserBalance>();
  /** Counts the maps `balances` has held: a map, once made, is never changed. */
  let polls = 0;
  const poller = new Poller(context, {
    intervalMs: config.checkInterval,
    timeoutMs: config.checkTimeout + 1000,
    run: async () => {
      if (users.length === 0) return;
      try {
        const result = await queryBalances(
          config.database.dsn,
          [...new Set(users.map((user) => user.uid))],
          config.checkTimeout,
        );
        balances = balanceEntries(users, keys, result.balances, balances);
        polls += 1;
        return result.missing.length > 0
          ? `not in the "User" table: ${result.missing.join(', ')}`
          : undefined;
      } catch (error) {
        // No answer: no balances we can vouch for.
        balances = new Map();
        polls += 1;
        throw new Error(`database.dsn: ${safeErrorLine(error, [dsnPassword(config.database.dsn)])}`);
      }
    },
  });

  context.metrics.observeObjects(
    userBalance,
    () => balances,
    balanceSeries,
    () => polls,
  );

  return poller.asInstrument();
}

export const userbalance = defineInstrument({
  name: 'userbalance',
  summary: 'Sealos user balances from the accounts database (PostgreSQL or CockroachDB)',
  leaderElection: true,
  needsCluster: false,
  configSchema: userbalanceConfig,
  metrics: userbalanceMetrics,
  create: createUserbalance,
});
