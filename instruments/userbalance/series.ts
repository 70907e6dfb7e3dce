/** What the userbalance instrument exports for one configured user: pure, table-tested (series.test.ts). */
import type { Observe } from '../../lib/instrument.js';
import type { UserEntry } from './config.js';
import type { userBalance } from './metrics.js';

/** A configured user's balance at the last poll. */
export interface UserBalance {
  readonly user: UserEntry;
  readonly value: number;
}

/**
 * The balance under the user's own type and, as the original does, the configured quota under
 * type="quota" (not for a user whose own type is "quota": the two would be one series).
 */
export function balanceSeries({ user, value }: UserBalance, observe: Observe<typeof userBalance>): void {
  const labels = {
    region: user.region,
    uuid: user.uuid,
    uid: user.uid,
    owner: user.owner,
    level: user.level,
  };
  observe(value, { ...labels, type: user.type });
  if (user.type !== 'quota') observe(user.quota, { ...labels, type: 'quota' });
}
