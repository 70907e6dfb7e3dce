/** The Cluster a bench child process works against: the API server its parent started, quiet logs. */
import { KubeClient } from '../lib/kube/client.js';
import { Cluster } from '../lib/kube/cluster.js';
import { connectCluster } from '../lib/kube/connection.js';
import { DEFAULT_INFORMER_OPTIONS, InformerHub } from '../lib/kube/informer.js';
import { LogHub } from '../lib/log.js';

/**
 * `kubeconfig`, or, when it is empty, in-cluster as a pod connects: the service-account files in
 * `serviceAccountDir` and KUBERNETES_SERVICE_HOST / PORT from this process's environment.
 */
export async function benchCluster(kubeconfig: string, serviceAccountDir?: string): Promise<Cluster> {
  const access = await connectCluster(
    kubeconfig,
    kubeconfig === '' ? process.env : {},
    serviceAccountDir ? { serviceAccountDir } : {},
  );
  if (!access) throw new Error('no kubeconfig and no service account');
  const client = new KubeClient(access, { qps: 1000, burst: 1000 });
  const hub = new InformerHub(client, new LogHub({ level: 'silent' }).child({}), DEFAULT_INFORMER_OPTIONS);
  return new Cluster(client, hub, access.source);
}

/** `global.gc`, which the bench children need for retained-memory figures. */
export function requireGc(): () => void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc');
  return gc;
}
