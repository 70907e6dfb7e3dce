/**
 * Debian's promtool (the prometheus package): `check metrics` over an exposition, where lint lines
 * about names the contract fixes are allowed only when listed here with the reason (SPEC.md), and
 * any other subcommand for the alert rules.
 */
import { type SpawnSyncReturns, spawnSync } from 'node:child_process';

/** promtool with `args` (and `input` on stdin); stops with one line when it is not installed. */
export function runPromtool(args: readonly string[], input?: string): SpawnSyncReturns<string> {
  const result = spawnSync('promtool', args, { encoding: 'utf8', ...(input !== undefined ? { input } : {}) });
  if (result.error) {
    throw new Error(
      `promtool is not runnable (${result.error.message}); install Debian's prometheus package (.ci/run does)`,
    );
  }
  return result;
}

/** Names whose lint findings the contract imposes. Add none without a SPEC entry. */
export const CONTRACT_EXCEPTIONS: Record<string, string> = {
  sealos_database_total: 'a gauge named _total: the original dashboard queries it by this name',
};

export function promtoolProblems(exposition: string): string[] {
  const result = runPromtool(['check', 'metrics'], exposition);
  const lines = `${result.stdout}\n${result.stderr}`
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
  const problems = lines.filter(
    (line) => !Object.keys(CONTRACT_EXCEPTIONS).some((name) => line.startsWith(`${name} `)),
  );
  if (result.status !== 0 && problems.length === 0 && lines.length === 0) {
    return [`promtool exited ${result.status} without output`];
  }
  return problems;
}
