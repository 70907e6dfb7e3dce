/**
 * `promtool check metrics` (Debian's prometheus package) over an exposition. Lint lines about
 * names the contract fixes are allowed only when listed here with the reason (SPEC.md).
 */
import { spawnSync } from 'node:child_process';

/** Names whose lint findings the contract imposes. Add none without a SPEC entry. */
export const CONTRACT_EXCEPTIONS: Record<string, string> = {
  sealos_database_total: 'a gauge named _total: the original dashboard queries it by this name',
};

export function promtoolProblems(exposition: string): string[] {
  const result = spawnSync('promtool', ['check', 'metrics'], { input: exposition, encoding: 'utf8' });
  if (result.error) {
    throw new Error(
      `promtool is not runnable (${result.error.message}); install Debian's prometheus package (.ci/run does)`,
    );
  }
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
