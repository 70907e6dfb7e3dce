/**
 * One informer sync in this process: subscribe to all pods of the API server named by the
 * kubeconfig, with the full object kept (`raw`) or the pod instrument's transform (`lean`), and
 * print sync time, retained heap and RSS as one JSON line. Run with --expose-gc. An empty
 * kubeconfig and a third argument connect in-cluster with that service-account directory.
 */

import { podRestarts } from '../instruments/pod/pod.js';
import type { ApiObject } from '../lib/kube/informer.js';
import { benchCluster, requireGc } from './bench-cluster.js';

const [kubeconfig = '', mode = 'lean', serviceAccountDir] = process.argv.slice(2);
const gc = requireGc();
const hub = (await benchCluster(kubeconfig, serviceAccountDir)).hub;
gc();
const heapBefore = process.memoryUsage().heapUsed;
const started = performance.now();
const transform: (object: ApiObject) => unknown = mode === 'raw' ? (object) => object : podRestarts;
const pods = hub.subscribe({ group: '', version: 'v1', resource: 'pods' }, {}, `bench.${mode}`, transform);
await pods.synced();
const syncMs = performance.now() - started;
gc();
const usage = process.memoryUsage();
process.stdout.write(
  `${JSON.stringify({ mode, pods: pods.items.size, syncMs, retainedMiB: (usage.heapUsed - heapBefore) / 2 ** 20, rssMiB: usage.rss / 2 ** 20 })}\n`,
);
await hub.stop();
