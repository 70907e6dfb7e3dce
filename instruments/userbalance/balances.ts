/**
 * One batched, parameterised query for every configured user: the Sealos schema's "User" joined
 * to "Account" by uid, looked up by "User".id. A user without an Account row has balance 0 (as in
 * the original); a user id that is not in "User" at all comes back missing.
 */
import pg from 'pg';

export const BALANCE_QUERY = `
  SELECT u.id AS id,
         COALESCE(a.balance, 0)::text AS balance,
         COALESCE(a.deduction_balance, 0)::text AS deduction_balance
    FROM "User" u
    LEFT JOIN "Account" a ON u.uid = a."userUid"
   WHERE u.id = ANY($1::text[])`;

/** Micro-units (balance minus deduction, exact as bigint) to currency units, rounded to 2 decimals. */
export function toCurrency(balance: string, deduction: string): number {
  const micro = BigInt(balance) - BigInt(deduction);
  // Round half away from zero at the cent: 1 cent = 10_000 micro-units.
  const negative = micro < 0n;
  const magnitude = negative ? -micro : micro;
  const cents = (magnitude + 5_000n) / 10_000n;
  return (negative ? -Number(cents) : Number(cents)) / 100;
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
