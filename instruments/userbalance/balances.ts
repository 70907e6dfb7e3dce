/**
 * One batched, parameterised query for every configured user: the Sealos schema's "User" joined
 * to "Account" by uid, looked up by "User".id. A user without an Account row has balance 0 (as in
 * the original); a user id that is not in "User" at all comes back missing.
 */
// pg loads with the first query: a config without userbalance never pays for it.
const loadPg = () => import('pg');

export const BALANCE_QUERY = `
  SELECT u.id AS id,
         COALESCE(a.balance, 0)::text AS balance,
         COALESCE(a.deduction_balance, 0)::text AS deduction_balance
    FROM "User" u
    LEFT JOIN "Account" a ON u.uid = a."userUid"
   WHERE u.id = ANY($1::text[])`;

/**
 * Micro-units (balance minus deduction) to currency units rounded to the cent, in the original's
 * float64 steps (`math.Round(float64(balance-deduction)/1000000*100) / 100`, providers.go), so the
 * same account reads the same number: 1.005 is 1 there (1.005 * 100 is 100.49999999999999 in
 * binary), not 1.01. The difference is taken exactly as bigints first, as Go's int64 does.
 */
export function toCurrency(balance: string, deduction: string): number {
  const units = (Number(BigInt(balance) - BigInt(deduction)) / 1_000_000) * 100;
  // Go's math.Round: half away from zero (JavaScript's Math.round goes half up).
  return (Math.sign(units) * Math.round(Math.abs(units))) / 100;
}

export interface BalanceResult {
  readonly balances: Map<string, number>;
  readonly missing: string[];
}

export async function queryBalances(
  dsn: string,
  uids: readonly string[],
  timeoutMs: number,
): Promise<BalanceResult> {
  const { default: pg } = await loadPg();
  const client = new pg.Client({
    connectionString: dsn,
    connectionTimeoutMillis: timeoutMs,
    query_timeout: timeoutMs,
    statement_timeout: timeoutMs,
    application_name: 'sealos-state-metrics',
  });
  try {
    await client.connect();
    const result = await client.query<{ id: string; balance: string; deduction_balance: string }>(
      BALANCE_QUERY,
      [uids],
    );
    const balances = new Map(
      result.rows.map((row) => [row.id, toCurrency(row.balance, row.deduction_balance)]),
    );
    return { balances, missing: uids.filter((uid) => !balances.has(uid)) };
  } finally {
    await client.end().catch(() => undefined);
  }
}
