/** A real Cluster (client + informer hub) connected to a test API server. */
import { KubeClient, loadKubeConfig } from '../../../lib/kube/client.js';
import { Cluster } from '../../../lib/kube/cluster.js';
import { DEFAULT_INFORMER_OPTIONS, InformerHub } from '../../../lib/kube/informer.js';
import { harnessLogs } from '../app.js';
import type { TestApiServer } from './api-server.js';

export function testCluster(server: TestApiServer): Cluster {
  const access = loadKubeConfig(server.kubeconfigPath, {});
  if (!access) throw new Error('no kubeconfig');
  const client = new KubeClient(access.config, { qps: 1000, burst: 1000 });
  const hub = new InformerHub(client, harnessLogs().child({}), {
    ...DEFAULT_INFORMER_OPTIONS,
    backoffInitialMs: 50,
  });
  return new Cluster(client, hub, access.source);
}
