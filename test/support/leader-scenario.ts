/**
 * Leader election with real processes: two (then three) instances of the CLI against one API
 * server. Exactly one exports a cluster-wide instrument; failover after SIGKILL comes within
 * leaseDuration + retryPeriod; a clean stop releases the lease for an immediate takeover. Run
 * against our test API server (test/leader.test.ts) and a real kube-apiserver (test/real/).
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import {
  exited,
  exporters,
  exportsNodeSeries as exports,
  type Instance,
  startInstance as startCli,
  until,
} from './cli-instance.js';
import { get } from './http.js';

const LEASE_MS = 2000;
const RETRY_MS = 300;
const TIMINGS = { leaseMs: LEASE_MS, renewDeadlineMs: 1500, retryMs: RETRY_MS };

/** The API server the instances share, with a Ready node `node-a` already in it. */
export interface LeaderBackend {
  readonly kubeconfigPath: string;
  /** The holderIdentity of the node instrument's Lease in `monitoring`, if it exists. */
  leaseHolder(): Promise<string | undefined>;
  /** Environment every instance gets besides the leader-election timings. */
  readonly env?: Record<string, string>;
}

export async function leaderElectionScenario(
  t: { after(fn: () => unknown): void },
  backend: LeaderBackend,
): Promise<{ failoverMs: number; handoverMs: number }> {
  const children: ChildProcess[] = [];
  t.after(() => {
    for (const child of children) child.kill('SIGKILL');
  });
  const startInstance = (name: string): Promise<Instance> =>
    startCli(backend.kubeconfigPath, name, TIMINGS, backend.env);
  const a = await startInstance('instance-a');
  const b = await startInstance('instance-b');
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
  assert.equal(await backend.leaseHolder(), leader.name, 'the lease names the leader');

  const killedAt = Date.now();
  leader.child.kill('SIGKILL');
  await until(async () => ((await exports(follower)) ? true : undefined), 10_000, 'failover');
  const failoverMs = Date.now() - killedAt;
  assert.ok(failoverMs <= LEASE_MS + RETRY_MS + 1000, `failover took ${failoverMs} ms`);
  assert.equal(await backend.leaseHolder(), follower.name, 'the lease names the new leader');

  // A clean stop releases the lease: a third instance takes over well before a lease would expire.
  const c = await startInstance('instance-c');
  children.push(c.child);
  assert.equal(await exports(c), false);
  const stoppedAt = Date.now();
  const followerExit = exited(follower.child);
  follower.child.kill('SIGTERM');
  assert.equal(await followerExit, 0);
  await until(async () => ((await exports(c)) ? true : undefined), 10_000, 'handover');
  const handoverMs = Date.now() - stoppedAt;
  assert.ok(handoverMs < LEASE_MS, `handover took ${handoverMs} ms`);
  return { failoverMs, handoverMs };
}
