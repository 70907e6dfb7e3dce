/**
 * Informer benchmark: initial sync time and memory for 1.5k / 6k / 30k realistic pods served by
 * the test API server (in this process), each sync measured in a fresh child process, with the
 * whole object kept and with the pod instrument's transform.
 */

import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { TestApiServer } from '../test/support/kube/api-server.js';

const run = promisify(execFile);
const child = fileURLToPath(new URL('./informer-sync.ts', import.meta.url));
const sizes = (process.env.BENCH_PODS ?? '1500,6000,30000').split(',').map(Number);

/** A pod as a kubelet-managed Deployment pod looks in a real cluster (about 5 KB of JSON). */
function realisticPod(i: number) {
  const name = `app-${i % 500}-7d9f8c6b5-${i.toString(36).padStart(5, 'x')}`;
  return {
    metadata: {
      name,
      namespace: `ns-user${i % 300}`,
      labels: {
        app: `app-${i % 500}`,
        'pod-template-hash': '7d9f8c6b5',
        'cloud.sealos.io/app-deploy-manager': `app-${i % 500}`,
      },
      annotations: {
        'kubectl.kubernetes.io/restartedAt': '2026-11-20T10:00:00Z',
        'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify({
          spec: { replicas: 1, image: 'nginx:1.27' },
        }).repeat(4),
      },
      ownerReferences: [
        {
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          name: `app-${i % 500}-7d9f8c6b5`,
          uid: 'aaaa',
          controller: true,
        },
      ],
      managedFields: [
        {
          manager: 'kube-controller-manager',
          operation: 'Update',
          apiVersion: 'v1',
          fieldsType: 'FieldsV1',
          fieldsV1: { 'f:metadata': { 'f:labels': {} }, 'f:spec': { 'f:containers': {} } },
        },
        {
          manager: 'kubelet',
          operation: 'Update',
          apiVersion: 'v1',
          subresource: 'status',
          fieldsType: 'FieldsV1',
          fieldsV1: { 'f:status': { 'f:conditions': {}, 'f:containerStatuses': {} } },
        },
      ],
    },
    spec: {
      nodeName: `node-${i % 1000}`,
      serviceAccountName: 'default',
      containers: [
        {
          name: 'app',
          image: 'nginx:1.27',
          ports: [{ containerPort: 80, protocol: 'TCP' }],
          env: Array.from({ length: 8 }, (_, k) => ({ name: `ENV_${k}`, value: `value-${k}-${i}` })),
          resources: { limits: { cpu: '500m', memory: '512Mi' }, requests: { cpu: '50m', memory: '64Mi' } },
          volumeMounts: [
            {
              name: 'kube-api-access',
              mountPath: '/var/run/secrets/kubernetes.io/serviceaccount',
              readOnly: true,
            },
          ],
        },
      ],
      volumes: [
        {
          name: 'kube-api-access',
          projected: { sources: [{ serviceAccountToken: { expirationSeconds: 3607, path: 'token' } }] },
        },
      ],
      tolerations: [
        {
          key: 'node.kubernetes.io/not-ready',
          operator: 'Exists',
          effect: 'NoExecute',
          tolerationSeconds: 300,
        },
      ],
    },
    status: {
      phase: 'Running',
      podIP: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
      hostIP: `192.168.${(i >> 8) & 255}.${i & 255}`,
      startTime: '2026-11-20T10:00:00Z',
      conditions: [
        'PodReadyToStartContainers',
        'Initialized',
        'Ready',
        'ContainersReady',
        'PodScheduled',
      ].map((type) => ({
        type,
        status: 'True',
        lastTransitionTime: '2026-11-20T10:00:05Z',
      })),
      containerStatuses: [
        {
          name: 'app',
          ready: true,
          restartCount: i % 13,
          image: 'docker.io/library/nginx:1.27',
          imageID: `docker.io/library/nginx@sha256:${'ab'.repeat(32)}`,
          containerID: `containerd://${i.toString(16).padStart(64, '0')}`,
          started: true,
          state: { running: { startedAt: '2026-11-20T10:00:04Z' } },
        },
      ],
    },
  };
}

console.log(
  `node ${process.version}; pods as a Deployment's pods look (about ${JSON.stringify(realisticPod(1)).length} bytes of JSON each)`,
);
console.log('pods     cache   sync s   retained MiB   MiB per 10k pods   RSS MiB');
for (const size of sizes) {
  const server = await TestApiServer.start();
  for (let i = 0; i < size; i++) server.create('pods', realisticPod(i));
  for (const mode of ['raw', 'lean']) {
    // Asynchronously: this process serves the API the child lists.
    const { stdout: result } = await run(process.execPath, [
      '--expose-gc',
      '--import',
      'tsx',
      child,
      server.kubeconfigPath,
      mode,
    ]);
    const r = JSON.parse(result.trim().split('\n').at(-1) as string) as {
      pods: number;
      syncMs: number;
      retainedMiB: number;
      rssMiB: number;
    };
    console.log(
      `${String(r.pods).padStart(6)}   ${mode.padEnd(5)} ${(r.syncMs / 1000).toFixed(2).padStart(8)} ${r.retainedMiB.toFixed(1).padStart(14)} ${((r.retainedMiB * 10_000) / r.pods).toFixed(1).padStart(18)} ${r.rssMiB.toFixed(0).padStart(9)}`,
    );
  }
  await server.stop();
}
console.log(
  'raw: the whole Pod object cached; lean: the pod instrument transform (name, namespace, restart counts).',
);
