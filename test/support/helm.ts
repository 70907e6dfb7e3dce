/** Real Helm (test/peers) for the chart tests, kept off the user's Helm config and caches. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { peerPath } from './peers.js';

export const chartDir = fileURLToPath(new URL('../../deploy/chart/sealos-state-metrics', import.meta.url));

let home: string | undefined;

/** Runs helm with `args`; its stdout, or an Error carrying its stderr. */
export function helm(args: readonly string[]): string {
  home ??= mkdtempSync(join(tmpdir(), 'ssm-helm-home-'));
  const result = spawnSync(peerPath('helm'), args, {
    encoding: 'utf8',
    env: {
      PATH: process.env.PATH ?? '',
      HELM_CACHE_HOME: join(home, 'cache'),
      HELM_CONFIG_HOME: join(home, 'config'),
      HELM_DATA_HOME: join(home, 'data'),
    },
  });
  if (result.error) throw result.error;
  if (result.status !== 0) throw new Error(`helm ${args[0]}: ${result.stderr || result.stdout}`);
  return result.stdout;
}
