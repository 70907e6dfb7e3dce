/** A real Cluster (client + informer hub) connected to a test API server. */
import { KubeClient } from '../../../lib/kube/client.js';
import { Cluster } from '../../../lib/kube/cluster.js';
import { connectCluster } from '../../../lib/kube/connection.js';
import { DEFAULT_INFORMER_OPTIONS, InformerHub } from '../../../lib/kube/informer.js';
import { harnessLogs } from '../app.js';
import { TestApiServer } from './api-server.js';

export async function testCluster(server: TestApiServer): Promise<Cluster> {
  const access = await connectCluster(server.kubeconfigPath, {});
  if (!access) throw new Error('no kubeconfig');
  const client = new KubeClient(access, { qps: 1000, burst: 1000 });
  const hub = new InformerHub(client, harnessLogs().child({}), {
    ...DEFAULT_INFORMER_OPTIONS,
    backoffInitialMs: 50,
  });
  return new Cluster(client, hub, access.source);
}

/** A test API server and a Cluster on it, both stopped when the test ends. */
export async function clusterFixture(t: { after(fn: () => unknown): void }) {
  const server = await TestApiServer.start();
  const cluster = await testCluster(server);
  t.after(async () => {
    await cluster.stop();
    await server.stop();
  });
  return { server, cluster };
}

/**
 * A Ready node that has been in the cluster a while: past the node instrument's default
 * ignoreNewNodeDuration (30m), as nodes in a running cluster are.
 */
export function readyNode(name: string) {
  return {
    metadata: { name, creationTimestamp: '2026-01-01T00:00:00Z' },
    status: { conditions: [{ type: 'Ready', status: 'True' }] },
  };
}
