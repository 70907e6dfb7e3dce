import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { assertGolden, harness, samples } from '../../test/support/harness.js';
import { clusterFixture } from '../../test/support/kube/cluster.js';
import { zombieConfig } from './config.js';
import { zombie } from './zombie.js';

const fixtureProc = fileURLToPath(new URL('./testdata/proc', import.meta.url));

function start(procPath: string) {
  const h = harness();
  const instrument = zombie.create(h.context('zombie'), zombieConfig.parse({ procPath }));
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

/** Zombies as procps' ps sees them: an independent reading of the process table. */
function psZombies(): { pid: number; ppid: number }[] {
  return execFileSync('ps', ['-eo', 'pid=,ppid=,stat='], { encoding: 'utf8' })
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter(([, , stat]) => stat?.startsWith('Z'))
    .map(([pid, ppid]) => ({ pid: Number(pid), ppid: Number(ppid) }));
}

test('a real zombie is counted while it exists and not once reaped, agreeing with ps', async (t) => {
  const { h, instrument } = start('/proc');
  const total = async () => {
    await instrument.collectNow();
    return samples(await h.scrape(), 'sealos_zombie_processes')
      .map((line) => Number(line.split(' ').at(-1)))
      .reduce((a, b) => a + b, 0);
  };
  // Other processes may make or reap zombies meanwhile: wait for a reading where the instrument
  // and ps agree, with our zombie present (then absent).
  const agreeing = async (ours: boolean) => {
    for (let attempt = 0; attempt < 60; attempt++) {
      const before = psZombies();
      const counted = await total();
      const after = psZombies();
      const present = after.some((z) => z.ppid === parent.pid);
      if (before.length === after.length && counted === after.length && present === ours) return counted;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.fail(
      `no agreeing reading with our zombie ${ours ? 'present' : 'gone'} (ps: ${JSON.stringify(psZombies())})`,
    );
  };
  // `exec sleep` replaces the shell, so the background `true` becomes sleep's child and is never reaped.
  const parent = spawn('sh', ['-c', 'true & exec sleep 30'], { stdio: 'ignore' });
  t.after(() => parent.kill('SIGKILL'));
  assert.ok((await agreeing(true)) >= 1);
  parent.kill('SIGKILL');
  await new Promise((resolve) => parent.once('exit', resolve));
  await agreeing(false);
  await instrument.stop();
});

test('with a cluster, each container is named by its pod on this node (id first, then pod UID)', async (t) => {
  const { server, cluster } = await clusterFixture(t);
  const idA = '3f4e5d6c7b8a9f0e1d2c3b4a5f6e7d8c9b0a1f2e3d4c5b6a7f8e9d0c1b2a3f4e';
  const idB = '9b8a7f6e5d4c3b2a1f0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a';
  const podOn = (node: string, namespace: string, name: string, uid: string, containerId?: string) => ({
    metadata: { name, namespace, uid },
    spec: { nodeName: node, containers: [{ name: 'app', image: 'busybox' }] },
    status: {
      containerStatuses: containerId
        ? [{ name: 'app', restartCount: 0, containerID: `containerd://${containerId}` }]
        : [],
    },
  });
  server.create('pods', podOn('node-a', 'shop', 'web-7d9f', 'aaaaaaaa-0000-0000-0000-000000000001', idA));
  // Matched by the pod UID in the cgroup path only (its status has no container id yet).
  server.create('pods', podOn('node-a', 'jobs', 'worker-1', '0e6f7a8b-1c2d-3e4f-5a6b-7c8d9e0f1a2b'));
  // Another node's pod claiming the same container id must not be seen at all.
  server.create(
    'pods',
    podOn('node-b', 'elsewhere', 'impostor', 'bbbbbbbb-0000-0000-0000-000000000002', idB),
  );

  const h = harness('sealos', cluster);
  const instrument = zombie.create(h.context('zombie'), zombieConfig.parse({ procPath: fixtureProc }));
  await instrument.start();
  await instrument.ready?.();
  assert.deepEqual(samples(await h.scrape(), 'sealos_zombie'), [
    'sealos_zombie_processes{node="node-a",namespace="",pod="",container_id=""} 1',
    `sealos_zombie_processes{node="node-a",namespace="jobs",pod="worker-1",container_id="${idB.slice(0, 12)}"} 1`,
    `sealos_zombie_processes{node="node-a",namespace="shop",pod="web-7d9f",container_id="${idA.slice(0, 12)}"} 3`,
  ]);
  assert.ok(
    server.requests.some((r) => r.includes('fieldSelector=spec.nodeName%3Dnode-a')),
    'the pod watch is restricted to this node',
  );
  await instrument.stop();
});
