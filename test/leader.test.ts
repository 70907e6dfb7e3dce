/** Leader election against our test API server (test/support/leader-scenario.ts). */
import { test } from 'node:test';
import { TestApiServer } from './support/kube/api-server.js';
import { readyNode } from './support/kube/cluster.js';
import { leaderElectionScenario } from './support/leader-scenario.js';

test('exactly one instance exports; SIGKILL fails over in time; SIGTERM hands over at once', async (t) => {
  const server = await TestApiServer.start();
  t.after(() => server.stop());
  server.create('nodes', readyNode('node-a'));
  const { failoverMs, handoverMs } = await leaderElectionScenario(t, {
    kubeconfigPath: server.kubeconfigPath,
    leaseHolder: async () =>
      (
        server.get('leases', 'monitoring', 'sealos-state-metric-node', 'coordination.k8s.io')?.spec as
          | { holderIdentity?: string }
          | undefined
      )?.holderIdentity,
  });
  console.log(
    `leader election: failover after SIGKILL ${failoverMs} ms, handover after SIGTERM ${handoverMs} ms`,
  );
});
