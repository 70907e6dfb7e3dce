/**
 * Stopping (what SIGTERM does; test/cli.test.ts checks the signal and the exit code) while a
 * scrape is being collected and while a reload is being built: the scrape gets its whole answer,
 * the stop completes, and the last OTLP export carries the current points.
 */
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { App } from '../../lib/app.js';
import { harnessLogs } from '../support/app.js';
import { get } from '../support/http.js';
import { OtlpReceiver } from '../support/otlp-receiver.js';

const fixtureProc = fileURLToPath(new URL('../../instruments/zombie/testdata/proc', import.meta.url));

function configYaml(receiverPort: number, namespace: string): string {
  return `server:\n  address: "127.0.0.1:0"\nmetrics:\n  namespace: ${namespace}\notlp:\n  enabled: true\n  endpoint: "http://127.0.0.1:${receiverPort}"\n  interval: 1h\ncollectors:\n  zombie:\n    procPath: ${fixtureProc}\n`;
}

async function start(namespace: string) {
  const receiver = await OtlpReceiver.start();
  const dir = await mkdtemp(join(tmpdir(), 'ssm-shutdown-'));
  const file = join(dir, 'config.yaml');
  await writeFile(file, configYaml(receiver.port, namespace));
  const app = await App.start({ file, env: {}, logs: harnessLogs(), reloadDebounceMs: 200 });
  return { receiver, file, app, url: `http://127.0.0.1:${app.server.address().port}/metrics` };
}

const exportedNames = (receiver: OtlpReceiver) =>
  new Set(receiver.exports.flatMap((e) => e.points.map((p) => p.metric)));

test('stopping during a scrape: the scrape is answered whole, the last export is flushed', async (t) => {
  const { receiver, app, url } = await start('sealos');
  t.after(() => receiver.stop());
  const items = Array.from({ length: 2000 }, (_, i) => i);
  app.runtime.current.pipeline.sink.observeEach(
    {
      name: 'test_slow_objects',
      kind: 'gauge',
      unit: '{object}',
      help: 'A walk of about 1 s.',
      labels: ['name'],
    },
    () => items,
    (i, observe) => {
      const until = performance.now() + 0.5;
      while (performance.now() < until) {} // a slow source
      observe(i, { name: `object-${i}` });
    },
  );
  const scrape = get(url);
  await new Promise((resolve) => setTimeout(resolve, 100)); // the walk is under way
  const stopped = app.stop();
  const response = await scrape;
  await stopped;
  assert.equal(response.status, 200);
  assert.equal(response.body.match(/^sealos_test_slow_objects\{/gm)?.length, items.length);
  assert.ok(exportedNames(receiver).has('sealos_zombie_processes'), 'no last OTLP export');
});

test('stopping while a reload is being built: the stop completes and the last export is flushed', async (t) => {
  const { receiver, file, app } = await start('before');
  t.after(() => receiver.stop());
  await writeFile(file, configYaml(receiver.port, 'after'));
  // Inside the debounce, and again once the rebuild may have begun.
  await new Promise((resolve) => setTimeout(resolve, 250));
  await app.stop();
  const names = exportedNames(receiver);
  assert.ok(
    names.has('before_zombie_processes') || names.has('after_zombie_processes'),
    `no last OTLP export (${[...names].join(', ')})`,
  );
});
