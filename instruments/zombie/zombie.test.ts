import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { assertGolden, harness, samples } from '../../test/support/harness.js';
import { zombieConfig } from './config.js';
import { zombie } from './zombie.js';

const fixtureProc = fileURLToPath(new URL('./testdata/proc', import.meta.url));

function start(procPath: string) {
  const h = harness();
  const instrument = zombie.create(h.context('zombie'), zombieConfig.parse({ procPath })) as ReturnType<
    typeof zombie.create
  > & { collectNow(): Promise<void> };
  return { h, instrument };
}

test('counts zombies per container on a fixture /proc tree (golden exposition)', async () => {
  const { h, instrument } = start(fixtureProc);
  await instrument.collectNow();
  assert.equal(instrument.health().state, 'healthy');
  const exposition = await h.scrape();
  await assertGolden(
    `${samples(exposition, 'sealos_zombie').join('\n')}\n`,
    new URL('./testdata/fixture-proc.prom', import.meta.url),
  );
  assert.deepEqual(samples(exposition, 'state_metric_collector_success'), [
    'state_metric_collector_success{collector="zombie",instance="test-0"} 1',
  ]);
  await instrument.stop();
});

test('an unreadable proc path is an unhealthy state with the reason, and no stale series', async () => {
  const { h, instrument } = start('/nonexistent/proc');
  await instrument.collectNow();
  const health = instrument.health();
  assert.equal(health.state, 'unhealthy');
  assert.match(health.reason ?? '', /procPath "\/nonexistent\/proc"/);
  const exposition = await h.scrape();
  assert.deepEqual(samples(exposition, 'sealos_zombie'), []);
  assert.deepEqual(samples(exposition, 'state_metric_collector_success'), [
    'state_metric_collector_success{collector="zombie",instance="test-0"} 0',
  ]);
});

test('a real zombie appears in the series while it exists and is gone once reaped', async (t) => {
  const { h, instrument } = start('/proc');
  const total = async () => {
    await instrument.collectNow();
    return samples(await h.scrape(), 'sealos_zombie_processes')
      .map((line) => Number(line.split(' ').at(-1)))
      .reduce((a, b) => a + b, 0);
  };
  // Other processes on the machine may leave or reap zombies meanwhile, so compare relatively.
  const waitFor = async (predicate: (count: number) => boolean) => {
    let count = await total();
    for (let attempt = 0; attempt < 60 && !predicate(count); attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      count = await total();
    }
    return count;
  };
  const before = await total();
  const parent = spawn('sh', ['-c', 'true & exec sleep 30'], { stdio: 'ignore' });
  t.after(() => parent.kill('SIGKILL'));
  const during = await waitFor((count) => count >= before + 1);
  assert.ok(during >= before + 1, `zombie count stayed at ${during} (before: ${before})`);
  parent.kill('SIGKILL');
  await new Promise((resolve) => parent.once('exit', resolve));
  const after = await waitFor((count) => count <= during - 1);
  assert.ok(after <= during - 1, `zombie count stayed at ${after} after the zombie was reaped`);
  await instrument.stop();
});
