/**
 * A reload storm: 100 config writes in 10 s, valid and invalid mixed, through the real file
 * watcher. The debounce turns them into one or a few rebuilds, the last valid config wins, and
 * the process holds the same handles (sockets, timers, watchers) afterwards as before.
 */
import assert from 'node:assert/strict';
import { createHook } from 'node:async_hooks';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { App } from '../../lib/app.js';
import { harnessLogs } from '../support/app.js';
import { eventually, get } from '../support/http.js';

const fixtureProc = fileURLToPath(new URL('../../instruments/zombie/testdata/proc', import.meta.url));

function configYaml(namespace: string, interval = '1h'): string {
  return `server:\n  address: "127.0.0.1:0"\nmetrics:\n  namespace: ${namespace}\ncollectors:\n  zombie:\n    procPath: ${fixtureProc}\n    checkInterval: ${interval}\n`;
}

/**
 * Live resources by type: sockets, servers, timers and watchers created and not yet destroyed.
 * process.getActiveResourcesInfo() would miss the unref'd timers pollers and watchers use.
 */
const live = new Map<number, string>();
createHook({
  init: (id, type) => {
    if (TRACKED.has(type)) live.set(id, type);
  },
  destroy: (id) => {
    live.delete(id);
  },
}).enable();
const TRACKED = new Set([
  'Timeout',
  'TCPWRAP',
  'TCPSERVERWRAP',
  'FSEVENTWRAP',
  'STATWATCHER',
  'FSREQCALLBACK',
]);

function handles(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const type of live.values()) counts[type] = (counts[type] ?? 0) + 1;
  return counts;
}

/**
 * Lets short-lived handles end before a count: the scrape's socket, and the timer Node's HTTP
 * server keeps for up to a second to cache the Date header after a response.
 */
function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 1_200));
}

function reloads(body: string, result: string): number {
  const match = new RegExp(`^state_metric_config_reloads_total\\{result="${result}"\\} (\\d+)$`, 'm').exec(
    body,
  );
  return Number(match?.[1] ?? 0);
}

test('100 config writes in 10 s: few rebuilds, the last valid config wins, no handle leaks', {
  timeout: 60_000,
}, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'ssm-storm-'));
  const file = join(dir, 'config.yaml');
  await writeFile(file, configYaml('first'));
  const app = await App.start({ file, env: {}, logs: harnessLogs(), reloadDebounceMs: 300 });
  t.after(() => app.stop());
  const url = `http://127.0.0.1:${app.server.address().port}/metrics`;
  const scrape = async () => (await get(url)).body;
  await eventually(async () => ((await scrape()).includes('first_zombie_processes') ? true : undefined));
  await settle();
  const before = handles();

  for (let i = 0; i < 100; i++) {
    // Every third write is invalid; the last one is valid and says "final".
    const text =
      i === 99
        ? configYaml('final', '2h')
        : i % 3 === 0
          ? configYaml(`ns${i}`, 'soon')
          : configYaml(`ns${i}`);
    await writeFile(file, text);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const body = await eventually(async () => {
    const current = await scrape();
    return current.includes('final_zombie_processes') ? current : undefined;
  });
  assert.ok(!/^ns\d+_|^first_/m.test(body), 'a series of an earlier config is still served');
  const zombie = app.runtime.current.loaded.config.collectors.zombie as { checkInterval: number };
  assert.equal(zombie.checkInterval, 7_200_000);
  const rebuilds = reloads(body, 'success') + reloads(body, 'failure');
  assert.ok(rebuilds >= 1 && rebuilds <= 3, `${rebuilds} rebuilds for a storm of 100 writes`);

  // Settled: the same sockets, timers and watchers as before the storm (the old generations'
  // pollers, informers and providers are gone).
  await settle();
  assert.deepEqual(handles(), before);
});
