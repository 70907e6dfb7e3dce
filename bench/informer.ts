/**
 * Informer benchmark: initial sync time and memory for 1.5k / 6k / 30k realistic pods, each sync
 * measured in a fresh child process, with the whole object kept and with the pod instrument's
 * transform. Served by the test API server (in this process, over a kubeconfig) and by the real
 * kube-apiserver with etcd (test/peers), which the child reaches in-cluster as a pod does, with a
 * service-account token. BENCH_PODS=a,b,c the sizes, BENCH_API=test,real the servers.
 */

import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { KubeClient } from '../lib/kube/client.js';
import { TestApiServer } from '../test/support/kube/api-server.js';
import { RealCluster } from '../test/support/kube/real-cluster.js';
import { benchCluster } from './bench-cluster.js';
import { realisticPod } from './world-objects.js';

const run = promisify(execFile);
const child = fileURLToPath(new URL('./informer-sync.ts', import.meta.url));
const sizes = (process.env.BENCH_PODS ?? '1500,6000,30000').split(',').map(Number);
const apis = (process.env.BENCH_API ?? 'test,real').split(',');

interface SyncResult {
  readonly pods: number;
  readonly syncMs: number;
  readonly retainedMiB: number;
  readonly rssMiB: number;
}

/** One sync in a fresh child; this process keeps serving (the test API server) meanwhile. */
async function syncInChild(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<SyncResult> {
  const { stdout } = await run(process.execPath, ['--expose-gc', '--import', 'tsx', child, ...args], {
    env,
    maxBuffer: 1 << 20,
    // A child that cannot sync (no access, no server) retries forever; cut it.
    timeout: 300_000,
  });
  return JSON.parse(stdout.trim().split('\n').at(-1) as string) as SyncResult;
}

function printRow(api: string, mode: string, r: SyncResult): void {
  console.log(
    `${api.padEnd(6)} ${String(r.pods).padStart(6)}   ${mode.padEnd(5)} ${(r.syncMs / 1000).toFixed(2).padStart(8)} ${r.retainedMiB.toFixed(1).padStart(14)} ${((r.retainedMiB * 10_000) / r.pods).toFixed(1).padStart(18)} ${r.rssMiB.toFixed(0).padStart(9)}`,
  );
}

async function onTestApiServer(): Promise<void> {
  for (const size of sizes) {
    const server = await TestApiServer.start();
    for (let i = 0; i < size; i++) server.create('pods', realisticPod(i));
    for (const mode of ['raw', 'lean'])
      printRow('test', mode, await syncInChild([server.kubeconfigPath, mode]));
    await server.stop();
  }
}

/** `count` at a time from `items`, each through `each`. */
async function inParallel<T>(
  items: Iterable<T>,
  count: number,
  each: (item: T) => Promise<void>,
): Promise<void> {
  const iterator = items[Symbol.iterator]();
  const worker = async (): Promise<void> => {
    for (let next = iterator.next(); !next.done; next = iterator.next()) await each(next.value);
  };
  await Promise.all(Array.from({ length: count }, worker));
}

function* range(from: number, to: number): Generator<number> {
  for (let i = from; i < to; i++) yield i;
}

/** Pod `i` as the kubelet leaves it: created (status is dropped on create), then its status written. */
async function createPod(client: KubeClient, i: number): Promise<void> {
  const { status, ...pod } = realisticPod(i);
  const { managedFields: _, ...metadata } = pod.metadata;
  const base = `/api/v1/namespaces/${metadata.namespace}/pods`;
  const stored = await client.request<Record<string, unknown>>('POST', base, {
    body: { apiVersion: 'v1', kind: 'Pod', ...pod, metadata },
  });
  await client.request('PUT', `${base}/${metadata.name}/status`, { body: { ...stored, status } });
}

async function onRealApiServer(): Promise<void> {
  const cluster = await RealCluster.start();
  try {
    const admin = await benchCluster(cluster.kubeconfigPath);
    await inParallel(range(0, 300), 16, (n) => cluster.namespace(`ns-user${n}`));
    // A role of its own: `view` is an aggregated role, and no controller-manager fills it in here.
    await cluster.createIfAbsent('/apis/rbac.authorization.k8s.io/v1/clusterroles', {
      metadata: { name: 'bench-informer' },
      rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] }],
    });
    await cluster.createIfAbsent('/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', {
      metadata: { name: 'bench-informer' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'bench-informer' },
      subjects: [{ kind: 'ServiceAccount', name: 'bench', namespace: 'default' }],
    });
    let created = 0;
    for (const size of sizes) {
      const started = performance.now();
      await inParallel(range(created, size), 32, (i) => createPod(admin.client, i));
      console.log(
        `real: ${size - created} pods created in ${((performance.now() - started) / 1000).toFixed(1)} s`,
      );
      created = size;
      // A fresh token each size: the child connects as a pod of the `bench` ServiceAccount does.
      const pod = await cluster.serviceAccountFiles('default', 'bench');
      for (const mode of ['raw', 'lean']) {
        printRow('real', mode, await syncInChild(['', mode, pod.dir], { ...process.env, ...pod.env }));
      }
    }
    await admin.hub.stop();
  } finally {
    await cluster.stop();
  }
}

console.log(
  `node ${process.version}; pods as a Deployment's pods look (about ${JSON.stringify(realisticPod(1)).length} bytes of JSON each)`,
);
console.log('api      pods   cache   sync s   retained MiB   MiB per 10k pods   RSS MiB');
if (apis.includes('test')) await onTestApiServer();
if (apis.includes('real')) await onRealApiServer();
console.log(
  'raw: the whole Pod object cached; lean: the pod instrument transform (name, namespace, restart counts).',
);
console.log(
  'test: the test API server in this process, kubeconfig; real: kube-apiserver and etcd, in-cluster token.',
);
