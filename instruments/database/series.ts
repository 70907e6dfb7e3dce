/**
 * What the database instrument exports, as pure functions of what it holds: one check result
 * gives its connectivity, response time and error series; the results together give the counts
 * by type. Table tests: series.test.ts.
 */
import type { Observe } from '../../lib/instrument.js';
import type { CheckResult } from './check.js';
import type { databaseCheckError, databaseConnectivity, databaseResponseTime } from './metrics.js';

const perDatabase = (r: CheckResult) => ({ namespace: r.namespace, database: r.name, type: r.type });

/** 1 when the check connected and logged in, else 0. */
export function connectivity(r: CheckResult, observe: Observe<typeof databaseConnectivity>): void {
  observe(r.connected ? 1 : 0, perDatabase(r));
}

/** The check's duration, only for a database it contacted. */
export function responseTime(r: CheckResult, observe: Observe<typeof databaseResponseTime>): void {
  if (r.seconds !== undefined) observe(r.seconds, perDatabase(r));
}

/** 1 under the reason a check failed; nothing for one that connected. */
export function checkError(r: CheckResult, observe: Observe<typeof databaseCheckError>): void {
  if (r.reason) observe(1, { ...perDatabase(r), reason: r.reason });
}

/**
 * As the original: a count per type that has databases, and `all` always (first); how many
 * databases, and how many of them connected.
 */
export function countsByType(
  entries: Iterable<readonly [string, CheckResult]>,
): Map<string, { total: number; available: number }> {
  const all = { total: 0, available: 0 };
  const counts = new Map<string, { total: number; available: number }>([['all', all]]);
  for (const [, result] of entries) {
    let count = counts.get(result.type);
    if (count === undefined) {
      count = { total: 0, available: 0 };
      counts.set(result.type, count);
    }
    count.total += 1;
    all.total += 1;
    if (result.connected) {
      count.available += 1;
      all.available += 1;
    }
  }
  return counts;
}
