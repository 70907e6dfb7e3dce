/**
 * The objects of a benchmark world, shaped as a real cluster has them: Deployment pods, nodes
 * with kubelet conditions, KubeBlocks databases with their Secrets, Services and Endpoints.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { TestDnsServer } from '../test/support/dns-server.js';
import type { TestApiServer } from '../test/support/kube/api-server.js';

/** A pod as a kubelet-managed Deployment pod looks in a real cluster (about 5 KB of JSON). */
export function realisticPod(i: number, nodes = 1000) {
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
      nodeName: `node-${i % nodes}`,
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

/** A Sealos user as the userbalance config lists one (the labels of its balance series). */
export function sealosUser(i: number) {
  return {
    region: `region-${i % 4}`,
    uuid: `550e8400-e29b-41d4-a716-${String(i).padStart(12, '0')}`,
    uid: `user${i}`,
    owner: `owner${i}@example.com`,
    type: i % 3 === 0 ? 'enterprise' : 'standard',
    level: ['silver', 'gold', 'platinum'][i % 3] as string,
  };
}

const CONDITION_TYPES = ['MemoryPressure', 'DiskPressure', 'PIDPressure', 'NetworkUnavailable'];

/** A kubelet-managed node; every fiftieth is NotReady and every seventieth has DiskPressure. */
export function realisticNode(i: number) {
  const name = `node-${i}`;
  const at = '2026-11-20T10:00:00Z';
  return {
    metadata: {
      name,
      // Past the node instrument's default ignoreNewNodeDuration, as in a running cluster.
      creationTimestamp: at,
      labels: {
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        'node.kubernetes.io/instance-type': 'ecs.g7.2xlarge',
        'topology.kubernetes.io/zone': `zone-${i % 3}`,
      },
      annotations: {
        'node.alpha.kubernetes.io/ttl': '0',
        'volumes.kubernetes.io/controller-managed-attach-detach': 'true',
      },
    },
    spec: { podCIDR: `10.${i >> 8}.${i & 255}.0/24`, providerID: `alicloud://cn-hangzhou.i-${i}` },
    status: {
      capacity: { cpu: '8', memory: '32Gi', pods: '110' },
      allocatable: { cpu: '7800m', memory: '30Gi', pods: '110' },
      conditions: [
        ...CONDITION_TYPES.map((type) => ({
          type,
          status: type === 'DiskPressure' && i % 70 === 0 ? 'True' : 'False',
          lastHeartbeatTime: at,
          lastTransitionTime: at,
          reason: 'KubeletHasSufficientResources',
        })),
        {
          type: 'Ready',
          status: i % 50 === 0 ? 'False' : 'True',
          lastHeartbeatTime: at,
          lastTransitionTime: at,
        },
      ],
      nodeInfo: {
        kubeletVersion: 'v1.33.4',
        containerRuntimeVersion: 'containerd://1.7.27',
        osImage: 'Ubuntu 24.04',
      },
      images: Array.from({ length: 10 }, (_, k) => ({
        names: [`registry.local/app-${k}:v1`],
        sizeBytes: 1e8,
      })),
    },
  };
}

/** metrics.k8s.io NodeMetrics for a node, as metrics-server reports it. */
export function nodeMetrics(i: number, timestamp: string) {
  return {
    metadata: { name: `node-${i}` },
    timestamp,
    window: '20s',
    usage: { cpu: '1200m', memory: '9Gi' },
  };
}

export interface DatabaseLogin {
  readonly user: string;
  readonly password: string;
  readonly mongoPort: number;
}

const TYPES = [
  ['postgresql', 'postgresql', 5432],
  ['apecloud-mysql', 'mysql', 3306],
  ['redis', 'redis', 6379],
  ['mongodb', 'mongodb', 0],
] as const;

/**
 * `count` KubeBlocks databases, a quarter of each type, all answering on this machine's servers
 * (MongoDB: the wire fixture). Half go through the whole preflight (Service, Endpoints, a name in
 * `dns`), half name 127.0.0.1.
 */
export function addDatabases(server: TestApiServer, dns: TestDnsServer, count: number, login: DatabaseLogin) {
  for (let i = 0; i < count; i += 1) {
    const [definition, type, defaultPort] = TYPES[i % 4] as (typeof TYPES)[number];
    const namespace = `ns-user${i % 200}`;
    const name = `db-${i}`;
    const port = type === 'mongodb' ? login.mongoPort : defaultPort;
    server.create(
      'clusters',
      {
        metadata: { name, namespace },
        spec: { clusterDefinitionRef: definition },
        status: { phase: 'Running' },
      },
      'apps.kubeblocks.io',
    );
    const viaService = i % 2 === 0;
    const service = `${name}-svc`;
    const host = viaService ? `${service}.${namespace}.svc` : '127.0.0.1';
    const secretName =
      type === 'mongodb'
        ? `${name}-mongodb-account-root`
        : type === 'redis'
          ? `${name}-redis-account-default`
          : `${name}-conn-credential`;
    const data = { username: login.user, password: login.password, host, port: String(port) };
    if (type === 'mongodb') data.username = 'root';
    server.create('secrets', {
      metadata: { name: secretName, namespace, labels: { 'app.kubernetes.io/managed-by': 'kubeblocks' } },
      data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
    });
    if (viaService) {
      server.create('services', { metadata: { name: service, namespace } });
      server.create('endpoints', {
        metadata: { name: service, namespace },
        subsets: [{ addresses: [{ ip: '10.0.0.1' }] }],
      });
      dns.set(`${host}.cluster.local`, { a: ['127.0.0.1'] });
    }
  }
}

/** The MongoDB wire fixture in a child process (it would compete with the process measured). */
export async function startMongoFixture(password: string): Promise<{ port: number; stop(): void }> {
  const script = fileURLToPath(new URL('./mongo-fixture.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script, password], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [line] = await createInterface({ input: child.stdout })
    [Symbol.asyncIterator]()
    .next()
    .then((r) => [r.value]);
  return { port: Number(line), stop: () => child.kill() };
}
