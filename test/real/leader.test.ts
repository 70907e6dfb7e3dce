/**
 * Leader election on a real kube-apiserver (test/support/leader-scenario.ts): the Lease object is
 * the coordination.k8s.io one the API server stores, updated with its optimistic concurrency.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RealCluster } from '../support/kube/real-cluster.js';
import { leaderElectionScenario } from '../support/leader-scenario.js';

test('on a real API server: one leader, failover after SIGKILL, handover after SIGTERM', async (t) => {
  const cluster = await RealCluster.start();
  t.after(() => cluster.stop());
  await cluster.namespace('monitoring');
  await cluster.create('/api/v1/nodes', { metadata: { name: 'node-a' } });
  await cluster.patch('/api/v1/nodes/node-a/status', {
    status: { conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady' }] },
  });
  const leasePath = '/apis/coordination.k8s.io/v1/namespaces/monitoring/leases/sealos-state-metric-node';
  const { failoverMs, handoverMs } = await leaderElectionScenario(t, {
    kubeconfigPath: cluster.kubeconfigPath,
    // The API server stamps creationTimestamp: node-a is new.
    env: { COLLECTORS_NODE_IGNORE_NEW_NODE_DURATION: '0s' },
    leaseHolder: async () => {
      const response = await cluster.request('GET', leasePath);
      return response.status === 200 ? response.body.spec.holderIdentity : undefined;
    },
  });
  const lease = await cluster.get(leasePath);
  // Two leaders after the first: each change of hands is counted, as client-go does.
  assert.equal(lease.spec.leaseTransitions, 2);
  console.log(
    `real API server: failover after SIGKILL ${failoverMs} ms, handover after SIGTERM ${handoverMs} ms`,
  );
});
