/**
 * The cluster-facing instruments on a real kube-apiserver (test/peers): node, pod, imagepull,
 * crds, zombie's node-scoped pod watch and database (KubeBlocks' Cluster CRD, real PostgreSQL),
 * on objects created, changed and deleted through the API, status written as a kubelet would;
 * 410 Gone after etcd compaction and an API server restart; /metrics auth decided by real
 * TokenReview, SubjectAccessReview and RBAC.
 */
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { App } from '../../lib/app.js';
import { harnessLogs } from '../support/app.js';
import { TEST_ADMIN } from '../support/database-servers.js';
import { eventually, get } from '../support/http.js';
import { TestApiServer } from '../support/kube/api-server.js';
import { RealCluster } from '../support/kube/real-cluster.js';
import { freePorts, startProcess, stopProcess } from '../support/peer-process.js';
import { peerPath } from '../support/peers.js';

let cluster: RealCluster;
let app: App;
/** Every app started here, stopped before the cluster. */
const apps: App[] = [];
const logs = harnessLogs();

const GADGETS = {
  group: 'example.com',
  version: 'v1',
  resource: 'gadgets',
  kind: 'Gadget',
  namespaced: true,
};
const KUBEBLOCKS_CLUSTERS = {
  group: 'apps.kubeblocks.io',
  version: 'v1alpha1',
  resource: 'clusters',
  kind: 'Cluster',
  namespaced: true,
};

const CONFIG = `
server:
  address: "127.0.0.1:0"
enabledCollectors: [node, pod, imagepull, crds]
identity: real-0
leaderElection:
  namespace: monitoring
  retryPeriod: 200ms
collectors:
  node:
    # The API server stamps creationTimestamp: every node here is new.
    ignoreNewNodeDuration: 0s
    kubeletMetricsCheckInterval: 5s
  pod:
    restartThreshold: 3
  crds:
    crds:
      - name: gadgets
        gvr: { group: example.com, version: v1, resource: gadgets }
        commonLabels: { namespace: metadata.namespace, gadget: metadata.name }
        metrics:
          - { type: gauge, name: gadget_replicas, path: spec.replicas }
          - { type: string_state, name: gadget_phase, path: status.phase }
`;

before(async () => {
  cluster = await RealCluster.start();
  await cluster.namespace('monitoring');
  await cluster.namespace('team-a');
  await cluster.serveCustomResource(GADGETS);
  app = await startApp(CONFIG, logs);
});

after(async () => {
  for (const started of apps) await started.stop();
  await cluster?.stop();
});

/** An app on the real cluster with `config` (YAML), as the admin; stopped after the last test. */
async function startApp(
  config: string,
  appLogs = harnessLogs(),
  env: Record<string, string> = {},
): Promise<App> {
  const dir = await mkdtemp(join(tmpdir(), 'ssm-real-'));
  await writeFile(join(dir, 'config.yaml'), config);
  const started = await App.start({
    file: join(dir, 'config.yaml'),
    env: { KUBECONFIG: cluster.kubeconfigPath, ...env },
    logs: appLogs,
  });
  apps.push(started);
  return started;
}

/**
 * Waits until `target`'s exposition has (or, with `present` false, lacks) a sample line matching
 * `line`; the sealos_ series in the error if it never does.
 */
function until(target: App, line: RegExp, present = true, timeoutMs = 15_000): Promise<string> {
  const read = async () => (await get(`http://127.0.0.1:${target.server.address().port}/metrics`)).body;
  return eventually(
    async () => {
      const body = await read();
      return line.test(body) === present ? body : undefined;
    },
    timeoutMs,
    `${present ? '' : 'no '}${line}`,
  ).catch(async (error: Error) => {
    const now = (await read()).split('\n').filter((l) => l.startsWith('sealos_'));
    throw new Error(`${error.message}; sealos_ series now:\n${now.join('\n')}`);
  });
}

const series = (line: RegExp, present = true, timeoutMs = 15_000) => until(app, line, present, timeoutMs);

async function node(name: string, conditions: { type: string; status: string }[]) {
  await cluster.createIfAbsent('/api/v1/nodes', { metadata: { name } });
  // A kubelet posts its conditions to the status subresource.
  await cluster.patch(`/api/v1/nodes/${name}/status`, {
    status: {
      conditions: conditions.map((c) => ({
        ...c,
        reason: 'Test',
        lastHeartbeatTime: new Date().toISOString(),
        lastTransitionTime: new Date().toISOString(),
      })),
    },
  });
}

interface ContainerState {
  readonly name: string;
  readonly image: string;
  readonly restartCount?: number;
  readonly waiting?: { reason: string; message?: string };
}

async function pod(namespace: string, name: string, nodeName: string, containers: ContainerState[]) {
  await cluster.create(`/api/v1/namespaces/${namespace}/pods`, {
    metadata: { name },
    spec: { nodeName, containers: containers.map((c) => ({ name: c.name, image: c.image })) },
  });
  await podStatus(namespace, name, containers);
}

async function podStatus(namespace: string, name: string, containers: ContainerState[]) {
  const startedAt = new Date().toISOString();
  await cluster.patch(`/api/v1/namespaces/${namespace}/pods/${name}/status`, {
    status: {
      phase: 'Pending',
      startTime: startedAt,
      containerStatuses: containers.map((c) => ({
        name: c.name,
        image: c.image,
        imageID: '',
        ready: false,
        restartCount: c.restartCount ?? 0,
        state: c.waiting ? { waiting: c.waiting } : { running: { startedAt } },
      })),
    },
  });
}

test('node: healthy, a pressure condition makes it unhealthy, a deleted node leaves no series', async () => {
  await node('real-node-a', [
    { type: 'Ready', status: 'True' },
    { type: 'MemoryPressure', status: 'False' },
  ]);
  await series(/^sealos_node_healthy\{node="real-node-a"\} 1$/m);
  await node('real-node-a', [
    { type: 'Ready', status: 'True' },
    { type: 'MemoryPressure', status: 'True' },
  ]);
  const body = await series(/^sealos_node_healthy\{node="real-node-a"\} 0$/m);
  assert.match(
    body,
    /^sealos_node_condition\{node="real-node-a",condition="MemoryPressure",status="True"\} 1$/m,
  );
  await cluster.delete('/api/v1/nodes/real-node-a');
  await series(/node="real-node-a"/, false);
});

test('node: kubelet metrics through the aggregation layer, from a stand-in metrics-server', async (t) => {
  // metrics.k8s.io is an aggregated API: kube-apiserver proxies it to metrics-server, for which
  // our test API server stands in (it serves NodeMetrics), registered as metrics-server is.
  const address = Object.values(networkInterfaces())
    .flat()
    .find((candidate) => candidate?.family === 'IPv4' && !candidate.internal)?.address;
  assert.ok(
    address,
    'a non-loopback IPv4 address for the endpoints of the stand-in (endpoints refuse 127.0.0.0/8)',
  );
  const metricsServer = await TestApiServer.start({ token: undefined, host: address });
  t.after(() => metricsServer.stop());
  await node('real-node-m', [{ type: 'Ready', status: 'True' }]);
  metricsServer.create(
    'nodes',
    {
      metadata: { name: 'real-node-m' },
      timestamp: new Date().toISOString(),
      window: '20s',
      usage: { cpu: '100m', memory: '1Gi' },
    },
    'metrics.k8s.io',
  );
  await cluster.serveNodeMetrics(address, metricsServer.port);
  await series(/^sealos_node_kubelet_metrics_available\{node="real-node-m"\} 1$/m, true, 20_000);
  // The request reached the stand-in through the aggregator, as the front proxy.
  assert.ok(
    metricsServer.requests.some((request) => request.startsWith('GET /apis/metrics.k8s.io/v1beta1/nodes')),
  );
  await cluster.delete('/api/v1/nodes/real-node-m');
});

test('pod: restarts at the threshold are exported, a deleted pod goes', async () => {
  await pod('team-a', 'crashy', 'real-node-b', [
    { name: 'app', image: 'busybox:1.36', restartCount: 2 },
    { name: 'sidecar', image: 'busybox:1.36', restartCount: 0 },
  ]);
  // Below the threshold: nothing; at it: the series.
  await series(/pod="crashy"/, false, 2000);
  await podStatus('team-a', 'crashy', [
    { name: 'app', image: 'busybox:1.36', restartCount: 3 },
    { name: 'sidecar', image: 'busybox:1.36', restartCount: 0 },
  ]);
  await series(/^sealos_pod_container_restarts\{namespace="team-a",pod="crashy",container="app"\} 3$/m);
  // Without a kubelet to confirm, only a zero grace period removes a pod at once.
  await cluster.delete('/api/v1/namespaces/team-a/pods/crashy?gracePeriodSeconds=0');
  await series(/pod="crashy"/, false);
});

test("imagepull: a pull in back-off from the pod status (the original's reason), its cause from the kubelet Event", async () => {
  await pod('team-a', 'private', 'real-node-b', [
    {
      name: 'app',
      image: 'ghcr.io/acme/private:1',
      waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "ghcr.io/acme/private:1"' },
    },
  ]);
  const at = new Date().toISOString();
  await cluster.create('/api/v1/namespaces/team-a/events', {
    metadata: { name: 'private.1' },
    involvedObject: {
      kind: 'Pod',
      apiVersion: 'v1',
      namespace: 'team-a',
      name: 'private',
      fieldPath: 'spec.containers{app}',
    },
    reason: 'Failed',
    message: 'Failed to pull image "ghcr.io/acme/private:1": failed to authorize: 401 Unauthorized',
    type: 'Warning',
    firstTimestamp: at,
    lastTimestamp: at,
    count: 1,
    source: { component: 'kubelet', host: 'real-node-b' },
  });
  await series(
    /^sealos_image_pull_failures\{namespace="team-a",pod="private",node="real-node-b",registry="ghcr.io",image="ghcr.io\/acme\/private:1",reason="back_off_pulling_image",cause="unauthorized"\} 1$/m,
  );
  await cluster.delete('/api/v1/namespaces/team-a/pods/private?gracePeriodSeconds=0');
  await series(/pod="private"/, false);
});

test('crds: a custom resource of an installed CRD, created, changed and deleted', async () => {
  const gadgets = '/apis/example.com/v1/namespaces/team-a/gadgets';
  await cluster.create(gadgets, {
    apiVersion: 'example.com/v1',
    kind: 'Gadget',
    metadata: { name: 'g1' },
    spec: { replicas: 2 },
    status: { phase: 'Pending' },
  });
  await series(/^sealos_gadget_replicas\{gadget="g1",namespace="team-a"\} 2$/m);
  await series(/^sealos_gadget_phase\{gadget="g1",namespace="team-a",state="Pending"\} 1$/m);
  await cluster.patch(`${gadgets}/g1`, { spec: { replicas: 5 }, status: { phase: 'Running' } });
  const body = await series(/^sealos_gadget_replicas\{gadget="g1",namespace="team-a"\} 5$/m);
  assert.match(body, /^sealos_gadget_phase\{gadget="g1",namespace="team-a",state="Running"\} 1$/m);
  await cluster.delete(`${gadgets}/g1`);
  await series(/gadget="g1"/, false);
});

test("zombie: its pod watch is scoped to this node: another node's pod cannot claim a container", async () => {
  const idA = '3f4e5d6c7b8a9f0e1d2c3b4a5f6e7d8c9b0a1f2e3d4c5b6a7f8e9d0c1b2a3f4e';
  const idB = '9b8a7f6e5d4c3b2a1f0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a';
  await cluster.namespace('shop');
  await pod('shop', 'web-7d9f', 'node-a', [{ name: 'app', image: 'busybox:1.36' }]);
  await pod('shop', 'impostor', 'node-b', [{ name: 'app', image: 'busybox:1.36' }]);
  // The kubelet reports the container IDs in the status.
  for (const [name, id] of [
    ['web-7d9f', idA],
    ['impostor', idB],
  ] as const) {
    await cluster.patch(`/api/v1/namespaces/shop/pods/${name}/status`, {
      status: {
        containerStatuses: [
          {
            name: 'app',
            image: 'busybox:1.36',
            imageID: '',
            ready: true,
            restartCount: 0,
            containerID: `containerd://${id}`,
            state: { running: { startedAt: new Date().toISOString() } },
          },
        ],
      },
    });
  }
  const zombie = await startApp(
    'server:\n  address: "127.0.0.1:0"\nenabledCollectors: [zombie]\n',
    harnessLogs(),
    {
      NODE_NAME: 'node-a',
      COLLECTORS_ZOMBIE_PROC_PATH: join(import.meta.dirname, '../../instruments/zombie/testdata/proc'),
    },
  );
  const body = await until(zombie, /pod="web-7d9f"/);
  const zombies = body
    .split('\n')
    .filter((line) => line.startsWith('sealos_zombie_processes{'))
    .sort();
  assert.deepEqual(zombies, [
    'sealos_zombie_processes{node="node-a",namespace="",pod="",container_id=""} 1',
    // node-b's pod claims this container id; this node's watch never sees it.
    `sealos_zombie_processes{node="node-a",namespace="",pod="",container_id="${idB.slice(0, 12)}"} 1`,
    `sealos_zombie_processes{node="node-a",namespace="shop",pod="web-7d9f",container_id="${idA.slice(0, 12)}"} 3`,
  ]);
});

test("database: KubeBlocks' Cluster CRD installed, discovery by Clusters, a real PostgreSQL behind one", async () => {
  await cluster.serveCustomResource(KUBEBLOCKS_CLUSTERS);
  await cluster.namespace('dbs');
  const clusters = '/apis/apps.kubeblocks.io/v1alpha1/namespaces/dbs/clusters';
  const kubeblocksCluster = (name: string) => ({
    apiVersion: 'apps.kubeblocks.io/v1alpha1',
    kind: 'Cluster',
    metadata: { name, labels: { 'clusterdefinition.kubeblocks.io/name': 'postgresql' } },
    spec: { clusterDefinitionRef: 'postgresql', componentSpecs: [{ name: 'postgresql', replicas: 1 }] },
    status: { phase: 'Running' },
  });
  await cluster.create(clusters, kubeblocksCluster('pg-up'));
  await cluster.create(clusters, kubeblocksCluster('pg-nosecret'));
  const b64 = (value: string) => Buffer.from(value).toString('base64');
  await cluster.create('/api/v1/namespaces/dbs/secrets', {
    metadata: { name: 'pg-up-conn-credential', labels: { 'app.kubernetes.io/managed-by': 'kubeblocks' } },
    type: 'Opaque',
    data: {
      username: b64(TEST_ADMIN.user),
      password: b64(TEST_ADMIN.password),
      host: b64('127.0.0.1'),
      port: b64('5432'),
    },
  });
  const database = await startApp(
    'server:\n  address: "127.0.0.1:0"\nenabledCollectors: [database]\nleaderElection:\n  enabled: false\ncollectors:\n  database:\n    discovery: clusters\n    namespaces: [dbs]\n',
  );
  const body = await until(database, /^sealos_database_total\{type="all"\} 2$/m, true, 30_000);
  const stable = body
    .split('\n')
    .filter((line) => /^sealos_database_(connectivity|check_error)\{/.test(line))
    .sort();
  assert.deepEqual(stable, [
    'sealos_database_check_error{namespace="dbs",database="pg-nosecret",type="postgresql",reason="secret_missing"} 1',
    'sealos_database_connectivity{namespace="dbs",database="pg-nosecret",type="postgresql"} 0',
    'sealos_database_connectivity{namespace="dbs",database="pg-up",type="postgresql"} 1',
  ]);
  // The password is read from the Secret and used; it is never exported.
  assert.ok(!body.includes(TEST_ADMIN.password));
});

/** The `kube_customresource_` sample lines of an exposition, sorted, values as numbers. */
const customResourceLines = (body: string) =>
  body
    .split('\n')
    .filter((line) => /^kube_customresource_/.test(line))
    .map((line) => {
      const cut = line.lastIndexOf(' ');
      return `${line.slice(0, cut)} ${Number(line.slice(cut + 1))}`;
    })
    .sort();

test("Custom Resource State: kube-state-metrics' document from a file, discovered by wildcard, the series kube-state-metrics gives, reloaded on edit", async (t) => {
  const document = (name: string) => `kind: CustomResourceStateMetrics
spec:
  resources:
    - groupVersionKind: { group: example.com, version: "*", kind: "*" }
      labelsFromPath:
        name: [metadata, name]
        namespace: [metadata, namespace]
      metrics:
        - name: ${name}
          help: Gadget replicas
          each: { type: Gauge, gauge: { path: [spec, replicas] } }
        - name: gadget_phase
          help: Gadget phase
          each: { type: StateSet, stateSet: { path: [status, phase], labelName: phase, list: [Pending, Running] } }
        - name: gadget_info
          help: Gadget labels
          each: { type: Info, info: { labelsFromPath: { "label_*": [metadata, labels] } } }
`;
  const dir = await mkdtemp(join(tmpdir(), 'ssm-crs-'));
  const file = join(dir, 'crs.yaml');
  await writeFile(file, document('gadget_replicas'));
  await cluster.create('/apis/example.com/v1/namespaces/team-a/gadgets', {
    apiVersion: 'example.com/v1',
    kind: 'Gadget',
    metadata: { name: 'g-ksm', labels: { team: 'blue', 'app.kubernetes.io/name': 'gadget' } },
    spec: { replicas: 3 },
    status: { phase: 'Running' },
  });
  const ours = await startApp(
    `server:\n  address: "127.0.0.1:0"\nenabledCollectors: [crds]\nleaderElection:\n  enabled: false\ncollectors:\n  crds:\n    customResourceStateConfigFile: ${file}\n`,
  );
  // kube-state-metrics itself, on the same cluster and document.
  const [port, telemetryPort] = await freePorts(2);
  const ksm = startProcess(dir, 'kube-state-metrics', peerPath('kube-state-metrics'), [
    `--kubeconfig=${cluster.kubeconfigPath}`,
    '--custom-resource-state-only',
    `--custom-resource-state-config-file=${file}`,
    '--host=127.0.0.1',
    `--port=${port}`,
    '--telemetry-host=127.0.0.1',
    `--telemetry-port=${telemetryPort}`,
  ]);
  t.after(() => stopProcess(ksm));
  const gadget = /^kube_customresource_gadget_replicas\{.*name="g-ksm".*\} 3$/m;
  const theirs = await eventually(
    async () => {
      const body = (await get(`http://127.0.0.1:${port}/metrics`).catch(() => ({ body: '' }))).body;
      return gadget.test(body) ? body : undefined;
    },
    30_000,
    'kube-state-metrics serving the gadget',
  );
  const body = await until(ours, gadget, true, 30_000);
  assert.deepEqual(customResourceLines(body), customResourceLines(theirs));
  assert.ok(customResourceLines(body).some((line) => line.includes('label_app_kubernetes_io_name="gadget"')));

  // An edit of the file reloads: the renamed family replaces the old one.
  await writeFile(file, document('gadget_scale'));
  await until(ours, /^kube_customresource_gadget_scale\{.*name="g-ksm".*\} 3$/m, true, 30_000);
  await until(ours, /^kube_customresource_gadget_replicas\{/m, false);
  await cluster.delete('/apis/example.com/v1/namespaces/team-a/gadgets/g-ksm');
  await until(ours, /name="g-ksm"/, false);
});

test("sharding from a StatefulSet, as kube-state-metrics' autosharding: each pod's ordinal of the replicas, again when it is scaled", async () => {
  await cluster.namespace('shards');
  const statefulSet = (await cluster.create('/apis/apps/v1/namespaces/shards/statefulsets', {
    metadata: { name: 'ssm' },
    spec: {
      replicas: 2,
      serviceName: 'ssm',
      selector: { matchLabels: { app: 'ssm' } },
      template: {
        metadata: { labels: { app: 'ssm' } },
        spec: { containers: [{ name: 'ssm', image: 'ssm:1' }] },
      },
    },
  })) as { metadata: { uid: string } };
  // No controller runs here: the pods are made as the StatefulSet controller makes them.
  for (const ordinal of [0, 1]) {
    await cluster.create('/api/v1/namespaces/shards/pods', {
      metadata: {
        name: `ssm-${ordinal}`,
        labels: { app: 'ssm' },
        ownerReferences: [
          {
            apiVersion: 'apps/v1',
            kind: 'StatefulSet',
            name: 'ssm',
            uid: statefulSet.metadata.uid,
            controller: true,
          },
        ],
      },
      spec: { containers: [{ name: 'ssm', image: 'ssm:1' }] },
    });
  }
  const replica = (ordinal: number) =>
    startApp(
      'server:\n  address: "127.0.0.1:0"\nenabledCollectors: [pod]\nsharding:\n  fromStatefulSet: true\n',
      harnessLogs(),
      { POD_NAME: `ssm-${ordinal}`, POD_NAMESPACE: 'shards' },
    );
  const [first, second] = [await replica(0), await replica(1)];
  assert.deepEqual(
    [first.runtime.current.shard, second.runtime.current.shard],
    [
      { shard: 0, totalShards: 2, statefulSet: 'ssm' },
      { shard: 1, totalShards: 2, statefulSet: 'ssm' },
    ],
  );
  await cluster.patch('/apis/apps/v1/namespaces/shards/statefulsets/ssm', { spec: { replicas: 3 } });
  await eventually(
    async () =>
      first.runtime.current.shard.totalShards === 3 && second.runtime.current.shard.totalShards === 3
        ? true
        : undefined,
    15_000,
    'both replicas sharding over 3 after the scale',
  );
  assert.equal(second.runtime.current.shard.shard, 1);
});

test('410 Gone after etcd compaction and an API server restart: the informers relist and see changes', async () => {
  // Without leader election, so that the informers live through the restart (a lease not renewed
  // while the API server is down would hand the instrument over, and it would start afresh).
  const ownLogs = harnessLogs();
  const own = await startApp(
    'server:\n  address: "127.0.0.1:0"\nenabledCollectors: [pod]\nleaderElection:\n  enabled: false\ncollectors:\n  pod:\n    restartThreshold: 3\n',
    ownLogs,
  );
  const ownSeries = (line: RegExp, present = true, timeoutMs = 15_000) =>
    until(own, line, present, timeoutMs);

  await pod('team-a', 'survivor', 'real-node-b', [{ name: 'app', image: 'busybox:1.36', restartCount: 4 }]);
  await ownSeries(/pod="survivor",container="app"\} 4$/m);
  // The watch cache keeps its history through an etcd compaction; a restarted API server starts
  // its cache afresh, so the informers' resourceVersions are then too old: 410, and a relist.
  await cluster.compact();
  await cluster.restartApiServer();
  await podStatus('team-a', 'survivor', [{ name: 'app', image: 'busybox:1.36', restartCount: 6 }]);
  await ownSeries(/pod="survivor",container="app"\} 6$/m, true, 30_000);
  const relisted = ownLogs.lines.filter((line) => line.includes('resourceVersion expired, relisting'));
  assert.ok(
    relisted.length > 0,
    `the informers met 410 Gone and relisted; logs:\n${ownLogs.lines.slice(-20).join('')}`,
  );
  await cluster.delete('/api/v1/namespaces/team-a/pods/survivor?gracePeriodSeconds=0');
  await ownSeries(/pod="survivor"/, false);
});

test('/metrics auth, connected in-cluster: real TokenReview and SubjectAccessReview, decided by RBAC', async (t) => {
  // The app reviews tokens as its own ServiceAccount, with only the rights the chart grants it.
  await cluster.namespace('monitoring');
  await cluster.create('/apis/rbac.authorization.k8s.io/v1/clusterroles', {
    metadata: { name: 'ssm-reviewer' },
    rules: [
      { apiGroups: ['authentication.k8s.io'], resources: ['tokenreviews'], verbs: ['create'] },
      { apiGroups: ['authorization.k8s.io'], resources: ['subjectaccessreviews'], verbs: ['create'] },
    ],
  });
  await cluster.create('/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', {
    metadata: { name: 'ssm-reviewer' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'ssm-reviewer' },
    subjects: [{ kind: 'ServiceAccount', name: 'ssm', namespace: 'monitoring' }],
  });
  await cluster.create('/apis/rbac.authorization.k8s.io/v1/clusterroles', {
    metadata: { name: 'ssm-metrics-reader' },
    rules: [{ nonResourceURLs: ['/metrics'], verbs: ['get'] }],
  });
  await cluster.create('/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', {
    metadata: { name: 'ssm-metrics-reader' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'ssm-metrics-reader' },
    subjects: [{ kind: 'ServiceAccount', name: 'prometheus', namespace: 'monitoring' }],
  });
  const authLogs = harnessLogs();
  // As in a pod: the projected token and CA, KUBERNETES_SERVICE_HOST/PORT, no kubeconfig.
  const pod = await cluster.serviceAccountFiles('monitoring', 'ssm');
  const secured = await App.start({
    serviceAccountDir: pod.dir,
    env: {
      ...pod.env,
      SERVER_ADDRESS: '127.0.0.1:0',
      SERVER_AUTH_ENABLED: 'true',
      ENABLED_COLLECTORS: 'zombie',
      COLLECTORS_ZOMBIE_PROC_PATH: join(import.meta.dirname, '../../instruments/zombie/testdata/proc'),
    },
    logs: authLogs,
  });
  t.after(() => secured.stop());
  const url = `http://127.0.0.1:${secured.server.address().port}/metrics`;
  const prometheus = await cluster.serviceAccountToken('monitoring', 'prometheus');
  const stranger = await cluster.serviceAccountToken('team-a', 'stranger');
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  assert.equal((await get(url)).status, 401);
  assert.equal((await get(url, bearer(`${prometheus.slice(0, -4)}AAAA`))).status, 401, 'a forged signature');
  assert.equal((await get(url, bearer(stranger))).status, 403, 'a valid token RBAC does not allow');
  const allowed = await get(url, bearer(prometheus));
  assert.equal(allowed.status, 200);
  assert.match(allowed.body, /^sealos_zombie_processes\{/m);
  // A real token of the allowed account, but minted for another audience.
  const elsewhere = await cluster.serviceAccountToken('monitoring', 'prometheus', {
    audiences: ['https://vault.example'],
  });
  assert.equal((await get(url, bearer(elsewhere))).status, 401, 'a token for another audience');
  const text = authLogs.lines.join('');
  assert.match(text, /"from":"in-cluster service account"/);
  assert.ok(!text.includes(prometheus) && !text.includes(stranger), 'no token in the logs');
});
