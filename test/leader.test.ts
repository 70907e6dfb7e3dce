/**
 * Leader election with real processes: two (then three) instances of the CLI against one test API
 * server. Exactly one exports a cluster-wide instrument; failover after SIGKILL comes within
 * leaseDuration + retryPeriod; a clean stop releases the lease for an immediate takeover.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { test } from 'node:test';
import {
  exited,
  exporters,
  exportsNodeSeries as exports,
  type Instance,
  startInstance as startCli,
  until,
} from './support/cli-instance.js';
import { get } from './support/http.js';
import { TestApiServer } from './support/kube/api-server.js';
import { readyNode } from './support/kube/cluster.js';

const LEASE_MS = 2000;
const RETRY_MS = 300;
const TIMINGS = { leaseMs: LEASE_MS, renewDeadlineMs: 1500, retryMs: RETRY_MS };

const startInstance = (server: TestApiServer, name: string): Promise<Instance> =>
  startCli(server.kubeconfigPath, name, TIMINGS);

test('exactly one instance exports; SIGKILL fails over in time; SIGTERM hands over at once', async (t) => {
  const server = await TestApiServer.start();
  const children: ChildProcess[] = [];
  t.after(async () => {
    for (const child of children) child.kill('SIGKILL');
    await server.stop();
  });
  server.create('nodes', readyNode('node-a'));
  const a = await startInstance(server, 'instance-a');
  const b = await startInstance(server, 'instance-b');
  children.push(a.child, b.child);

  const [leaderName] = await until(
    async () => {
      const names = await exporters([a, b]);
      return names.length === 1 ? names : undefined;
    },
    10_000,
    'one exporter',
  );
  // It stays that way across several renewals.
  for (let i = 0; i < 5; i++) {
    await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
    assert.deepEqual(await exporters([a, b]), [leaderName]);
  }
  const leader = leaderName === a.name ? a : b;
  const follower = leader === a ? b : a;
  const followerHealth = JSON.parse((await get(`http://127.0.0.1:${follower.port}/health`)).body);
  assert.deepEqual(followerHealth, { status: 'ok', collectors: { node: 'standby' } });
  const lease = server.get('leases', 'monitoring', 'sealos-state-metric-node', 'coordination.k8s.io');
  assert.ok(lease, 'the lease exists');
  assert.equal((lease.spec as { holderIdentity?: string }).holderIdentity, leader.name);

  const killedAt = Date.now();
  leader.child.kill('SIGKILL');
  await until(async () => ((await exports(follower)) ? true : undefined), 10_000, 'failover');
  const failoverMs = Date.now() - killedAt;
  assert.ok(failoverMs <= LEASE_MS + RETRY_MS + 1000, `failover took ${failoverMs} ms`);

  // A clean stop releases the lease: a third instance takes over well before a lease would expire.
  const c = await startInstance(server, 'instance-c');
  children.push(c.child);
  assert.equal(await exports(c), false);
  const stoppedAt = Date.now();
  const followerExit = exited(follower.child);
  follower.child.kill('SIGTERM');
  assert.equal(await followerExit, 0);
  await until(async () => ((await exports(c)) ? true : undefined), 10_000, 'handover');
  const handoverMs = Date.now() - stoppedAt;
  assert.ok(handoverMs < LEASE_MS, `handover took ${handoverMs} ms`);
  console.log(
    `leader election: failover after SIGKILL ${failoverMs} ms, handover after SIGTERM ${handoverMs} ms`,
  );
});
