import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { harnessLogs } from '../../test/support/app.js';
import { clusterFixture } from '../../test/support/kube/cluster.js';
import { LeaseElector, leaseNameFor } from './lease.js';

test("lease names: the original's collectorLeaseName (its leader_election_test.go), valid object names", () => {
  // TestCollectorLeaseName.
  assert.equal(leaseNameFor('sealos-state-metrics', 'domain'), 'sealos-state-metrics-domain');
  // TestCollectorLeaseNameTruncatesToKubernetesLimit, and the exact name the original computes:
  // the base cut to its budget, 16 characters of the collector, 8 hex digits of sha256(raw).
  const long = leaseNameFor('a'.repeat(50), 'b'.repeat(30));
  assert.ok(long.length <= 63, long);
  assert.ok(long.includes('bbbb'), long);
  assert.equal(
    long,
    `${'a'.repeat(37)}-${'b'.repeat(16)}-${createHash('sha256')
      .update(`${'a'.repeat(50)}-${'b'.repeat(30)}`)
      .digest('hex')
      .slice(0, 8)}`,
  );
  assert.equal(leaseNameFor('x'.repeat(62), 'registryproxy').length, 63);
  // As the Go function prints it for a long release name.
  assert.equal(
    leaseNameFor('sealos-state-metrics-with-a-very-long-release-name-prod', 'cockroachlicense'),
    'sealos-state-metrics-with-a-very-long-cockroachlicense-0cfc225f',
  );
  // Characters an object name cannot have are replaced (the API refused them from the original).
  assert.equal(leaseNameFor('Sealos_State', 'CloudBalance'), 'sealos-state-cloudbalance');
  assert.equal(leaseNameFor('-x-', 'y!'), 'x--y');
});

test('a leader that cannot renew steps down at the renew deadline, before its lease expires', async (t) => {
  const { server, cluster } = await clusterFixture(t);
  const events: [string, number][] = [];
  const settings = {
    namespace: 'monitoring',
    name: 'partition-test',
    identity: 'me',
    leaseDurationMs: 3000,
    renewDeadlineMs: 1000,
    retryPeriodMs: 200,
  };
  const elector = new LeaseElector(cluster.client, settings, harnessLogs().child({}), {
    onStartedLeading: () => events.push(['started', Date.now()]),
    onStoppedLeading: () => events.push(['stopped', Date.now()]),
  });
  elector.start();
  await elector.firstAttempt;
  assert.equal(elector.leading, true);
  // Partition: every lease request now fails.
  const cutAt = Date.now();
  server.fail({ count: 10_000, status: 503, match: (_m, path) => path.includes('/leases') });
  while (elector.leading && Date.now() - cutAt < 5000)
    await new Promise((resolve) => setTimeout(resolve, 20));
  const steppedDownAfter = (events.find(([e]) => e === 'stopped')?.[1] ?? Number.POSITIVE_INFINITY) - cutAt;
  assert.ok(
    steppedDownAfter <= settings.renewDeadlineMs + settings.retryPeriodMs + 100,
    `after ${steppedDownAfter} ms`,
  );
  assert.ok(
    steppedDownAfter < settings.leaseDurationMs,
    'stepped down before the lease could expire for others',
  );
  await elector.stop({ release: false });
});

test('a held, unexpired lease is not taken; an expired one is, counting a transition', async (t) => {
  const { server, cluster } = await clusterFixture(t);
  server.create(
    'leases',
    {
      metadata: { name: 'held', namespace: 'monitoring' },
      spec: {
        holderIdentity: 'other',
        leaseDurationSeconds: 1,
        renewTime: new Date().toISOString(),
        leaseTransitions: 4,
      },
    },
    'coordination.k8s.io',
  );
  let started = 0;
  const elector = new LeaseElector(
    cluster.client,
    {
      namespace: 'monitoring',
      name: 'held',
      identity: 'me',
      leaseDurationMs: 1000,
      renewDeadlineMs: 800,
      retryPeriodMs: 100,
    },
    harnessLogs().child({}),
    { onStartedLeading: () => (started += 1), onStoppedLeading: () => {} },
  );
  elector.start();
  await elector.firstAttempt;
  assert.equal(elector.leading, false, 'took a lease another holder still renews');
  // The other holder stops renewing: one lease duration after we saw its last change, we take it.
  while (!elector.leading) await new Promise((resolve) => setTimeout(resolve, 50));
  const spec = server.get('leases', 'monitoring', 'held', 'coordination.k8s.io')?.spec as {
    holderIdentity: string;
    leaseTransitions: number;
  };
  assert.equal(spec.holderIdentity, 'me');
  assert.equal(spec.leaseTransitions, 5);
  assert.equal(started, 1);
  await elector.stop({ release: true });
  const released = server.get('leases', 'monitoring', 'held', 'coordination.k8s.io')?.spec as {
    holderIdentity: string;
  };
  assert.equal(released.holderIdentity, '');
});
