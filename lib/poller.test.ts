import assert from 'node:assert/strict';
import { test } from 'node:test';
import { harness } from '../test/support/harness.js';
import { Poller } from './poller.js';

test('a run that ignores its abort never has a second run beside it', async () => {
  const h = harness();
  let running = 0;
  let most = 0;
  let runs = 0;
  const poller = new Poller(h.context('slow'), {
    intervalMs: 20,
    timeoutMs: 50,
    // Ignores the signal on purpose, as a misbehaving driver might.
    run: async () => {
      runs += 1;
      running += 1;
      most = Math.max(most, running);
      await new Promise((resolve) => setTimeout(resolve, 300));
      running -= 1;
    },
  });
  poller.start();
  await new Promise((resolve) => setTimeout(resolve, 1000));
  await poller.stop();
  assert.equal(most, 1, 'two runs overlapped');
  assert.ok(runs >= 2 && runs <= 5, `${runs} runs in 1 s of 300 ms runs`);
  assert.match(h.collections.get('slow')?.error ?? '', /timed out|still going/);
});

test('a run that finishes in time is recorded healthy, and the first run starts at once', async () => {
  const h = harness();
  const poller = new Poller(h.context('quick'), { intervalMs: 60_000, timeoutMs: 1000, run: async () => {} });
  poller.start();
  await poller.ready();
  assert.deepEqual(poller.health(), { state: 'healthy' });
  assert.equal(h.collections.get('quick')?.success, true);
  await poller.stop();
});
