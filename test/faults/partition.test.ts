/**
 * A partitioned leader: two CLI processes, the leader reaching the API server through a proxy
 * that is then cut (a blackhole: requests hang, nothing fails fast). The leader must stop
 * exporting the cluster-wide series at its renew deadline, before its lease can expire for the
 * other instance, so that the two never export them at the same time; after the partition heals
 * it stays a follower.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { exportsNodeSeries, type Instance, startInstance, until } from '../support/cli-instance.js';
import { get } from '../support/http.js';
import { TestApiServer } from '../support/kube/api-server.js';
import { readyNode } from '../support/kube/cluster.js';
import { TcpProxy } from '../support/tcp-proxy.js';

const TIMINGS = { leaseMs: 2000, renewDeadlineMs: 1500, retryMs: 300 };

interface Sample {
  readonly name: string;
  readonly startMs: number;
  readonly endMs: number;
  readonly exporting: boolean;
}

/** Scrapes every instance in turn until stopped; each sample knows when it was asked and answered. */
function sampleContinuously(instances: Instance[]): { samples: Sample[]; stop(): Promise<void> } {
  const samples: Sample[] = [];
  let running = true;
  const loops = instances.map(async (instance) => {
    while (running) {
      const startMs = Date.now();
      const exporting = await exportsNodeSeries(instance);
      samples.push({ name: instance.name, startMs, endMs: Date.now(), exporting });
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  });
  return {
    samples,
    stop: async () => {
      running = false;
      await Promise.all(loops);
    },
  };
}

test('a partitioned leader stops exporting before another instance starts', {
  timeout: 60_000,
}, async (t) => {
  const server = await TestApiServer.start();
  const proxy = await TcpProxy.start({ host: '127.0.0.1', port: Number(new URL(server.url).port) });
  const instances: Instance[] = [];
  t.after(async () => {
    for (const instance of instances) instance.child.kill('SIGKILL');
    await proxy.stop();
    await server.stop();
  });
  server.create('nodes', readyNode('node-a'));
  const viaProxy = await server.writeKubeconfig({
    path: `${server.kubeconfigPath}-proxy`,
    viaPort: proxy.port,
  });

  const a = await startInstance(viaProxy, 'partitioned', TIMINGS);
  instances.push(a);
  await until(async () => ((await exportsNodeSeries(a)) ? true : undefined), 10_000, 'a leads');
  const b = await startInstance(server.kubeconfigPath, 'direct', TIMINGS);
  instances.push(b);
  const sampler = sampleContinuously([a, b]);
  await new Promise((resolve) => setTimeout(resolve, 1000));

  const cutAt = Date.now();
  proxy.cut();
  await until(async () => ((await exportsNodeSeries(b)) ? true : undefined), 10_000, 'b takes over');
  await new Promise((resolve) => setTimeout(resolve, 500));
  proxy.heal();
  // Healed: the old leader sees the lease renewed by the other and stays a follower.
  await new Promise((resolve) => setTimeout(resolve, 3 * TIMINGS.leaseMs));
  await sampler.stop();

  const { samples } = sampler;
  const lastByA = samples.filter((s) => s.name === a.name && s.exporting).at(-1);
  const firstByB = samples.find((s) => s.name === b.name && s.exporting);
  assert.ok(lastByA && firstByB, 'both led at some point');
  assert.ok(
    lastByA.endMs < firstByB.startMs,
    `the partitioned leader still exported at ${lastByA.endMs - cutAt} ms after the cut, ` +
      `the other already at ${firstByB.startMs - cutAt} ms`,
  );
  const firstStandbyOfA = samples.find((s) => s.name === a.name && s.startMs > cutAt && !s.exporting);
  assert.ok(firstStandbyOfA);
  assert.ok(
    firstStandbyOfA.endMs - cutAt <= TIMINGS.renewDeadlineMs + TIMINGS.retryMs + 500,
    `stepped down ${firstStandbyOfA.endMs - cutAt} ms after the cut`,
  );
  const afterHeal = samples.filter((s) => s.startMs > cutAt + 4000);
  assert.ok(afterHeal.length > 20);
  assert.ok(
    afterHeal.every((s) => s.exporting === (s.name === b.name)),
    'after the heal only the new leader exports',
  );
  assert.equal(a.child.exitCode, null, 'the partitioned instance is still running');
  const health = JSON.parse((await get(`http://127.0.0.1:${a.port}/health`)).body);
  assert.equal(health.collectors.node, 'standby');
  console.log(
    `partition: old leader's last export ${lastByA.endMs - cutAt} ms after the cut, ` +
      `new leader's first ${firstByB.startMs - cutAt} ms`,
  );
});
