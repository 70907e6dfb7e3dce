/**
 * The chart with real Helm on a real kube-apiserver (test/peers): `helm lint`, `helm template`,
 * every rendered object through a server-side dry run and then a real server-side apply (with
 * prometheus-operator's own ServiceMonitor and PodMonitor CRDs installed); then the app runs as
 * the chart's ServiceAccount with the config the chart's ConfigMap carries, and every instrument
 * the values enable gets its data with no 403. Removing any one rule the chart grants makes that
 * fail: the RBAC is least privilege, proved both ways.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { App } from '../../lib/app.js';
import { type CapturedLogs, harnessLogs } from '../support/app.js';
import { exited, startCli } from '../support/cli-instance.js';
import { chartDir, helm } from '../support/helm.js';
import { eventually, get } from '../support/http.js';
import { RealCluster } from '../support/kube/real-cluster.js';

// biome-ignore lint/suspicious/noExplicitAny: rendered objects are walked by known keys
type KubeObject = any;

const NAMESPACE = 'monitoring';
const WIDGETS = { group: 'example.com', version: 'v1', resource: 'widgets' };

/** Values a cluster-wide Deployment would use: every resource the instruments read, auth on. */
const VALUES = {
  deploymentMode: 'deployment',
  // cert-manager is not installed here; TLS serving has its own tests.
  tls: { enabled: false },
  serviceMonitor: { enabled: true },
  podMonitor: { enabled: true, authorization: { name: 'scraper-token' } },
  auth: { enabled: true, allowedServiceAccounts: [{ name: 'prometheus', namespace: NAMESPACE }] },
  enabledCollectors: ['node', 'pod', 'imagepull', 'crds'],
  collectors: {
    node: { ignoreNewNodeDuration: '0s' },
    pod: { restartThreshold: 1 },
    crds: {
      crds: [
        {
          name: 'widgets',
          gvr: WIDGETS,
          commonLabels: { name: 'metadata.name' },
          metrics: [{ type: 'gauge', name: 'widget_size', path: 'spec.size' }],
        },
      ],
    },
  },
};

let cluster: RealCluster;
let dir = '';
let objects: KubeObject[] = [];

/** Where an object of the chart's kinds lives in the API. */
function pathOf(object: KubeObject): string {
  const [group, version] = String(object.apiVersion).includes('/')
    ? String(object.apiVersion).split('/')
    : ['', object.apiVersion];
  const plural = `${String(object.kind).toLowerCase()}s`;
  const base = group ? `/apis/${group}/${version}` : `/api/${version}`;
  const clusterScoped = ['ClusterRole', 'ClusterRoleBinding', 'Namespace', 'CustomResourceDefinition'];
  return clusterScoped.includes(object.kind)
    ? `${base}/${plural}/${object.metadata.name}`
    : `${base}/namespaces/${object.metadata.namespace ?? NAMESPACE}/${plural}/${object.metadata.name}`;
}

/** Server-side apply, as `kubectl apply --server-side` does; a dry run first when asked. */
async function apply(object: KubeObject, dryRun = false): Promise<void> {
  const query = `?fieldManager=ssm-chart-test&force=true${dryRun ? '&dryRun=All' : ''}`;
  const response = await cluster.request('PATCH', `${pathOf(object)}${query}`, object, {
    contentType: 'application/apply-patch+yaml',
  });
  assert.ok(
    response.status === 200 || response.status === 201,
    `${dryRun ? 'dry run of ' : ''}${object.kind} ${object.metadata.name}: ${response.status} ${response.text}`,
  );
}

async function waitEstablished(name: string): Promise<void> {
  await eventually(
    async () => {
      const crd = await cluster.get(`/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`);
      return crd.status?.conditions?.some((c: KubeObject) => c.type === 'Established' && c.status === 'True')
        ? true
        : undefined;
    },
    20_000,
    `CRD ${name} established`,
  );
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ssm-real-chart-'));
  cluster = await RealCluster.start();
  // prometheus-operator's own CRDs, from its pinned module (test/peers/modules.txt).
  const operator = execFileSync(
    'bash',
    [fileURLToPath(new URL('../peers/build.sh', import.meta.url)), '--module', 'prometheus-operator'],
    { encoding: 'utf8' },
  ).trim();
  for (const kind of ['servicemonitors', 'podmonitors']) {
    const crd = parse(
      await readFile(
        join(operator, `example/prometheus-operator-crd/monitoring.coreos.com_${kind}.yaml`),
        'utf8',
      ),
    );
    await apply(crd);
    await waitEstablished(crd.metadata.name);
  }
  await apply({
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${WIDGETS.resource}.${WIDGETS.group}` },
    spec: {
      group: WIDGETS.group,
      scope: 'Namespaced',
      names: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList' },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: { spec: { type: 'object', properties: { size: { type: 'integer' } } } },
            },
          },
        },
      ],
    },
  });
  await waitEstablished(`${WIDGETS.resource}.${WIDGETS.group}`);
  await cluster.namespace(NAMESPACE);
  await cluster.namespace('apps');

  const valuesFile = join(dir, 'values.yaml');
  await writeFile(valuesFile, stringify(VALUES));
  const lint = helm(['lint', '--strict', chartDir, '-f', valuesFile]);
  assert.match(lint, /1 chart\(s\) linted, 0 chart\(s\) failed/);
  const rendered = helm(['template', 'ssm', chartDir, '--namespace', NAMESPACE, '-f', valuesFile]);
  objects = parseAllDocuments(rendered)
    .map((doc) => doc.toJS())
    .filter(Boolean);
  // The chart's namespaced objects carry no namespace of their own when Helm renders them for one.
  for (const object of objects) {
    if (!pathOf(object).includes('/namespaces/')) continue;
    object.metadata.namespace ??= NAMESPACE;
  }
  for (const object of objects) await apply(object, true);
  for (const object of objects) await apply(object);

  // What the instruments should find.
  await cluster.createIfAbsent('/api/v1/nodes', { metadata: { name: 'chart-node' } });
  await cluster.patch('/api/v1/nodes/chart-node/status', {
    status: { conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady' }] },
  });
  await cluster.create('/api/v1/namespaces/apps/pods', {
    metadata: { name: 'web' },
    spec: { nodeName: 'chart-node', containers: [{ name: 'app', image: 'docker.io/library/nginx:nope' }] },
  });
  await cluster.patch('/api/v1/namespaces/apps/pods/web/status', {
    status: {
      phase: 'Pending',
      containerStatuses: [
        {
          name: 'app',
          image: 'docker.io/library/nginx:nope',
          imageID: '',
          ready: false,
          restartCount: 2,
          state: {
            waiting: {
              reason: 'ErrImagePull',
              message:
                'rpc error: code = NotFound desc = failed to pull and unpack image "docker.io/library/nginx:nope": not found',
            },
          },
        },
      ],
    },
  });
  await cluster.create('/apis/example.com/v1/namespaces/apps/widgets', {
    apiVersion: 'example.com/v1',
    kind: 'Widget',
    metadata: { name: 'w1' },
    spec: { size: 7 },
  });
});

after(() => cluster?.stop());

function find(kind: string, suffix = ''): KubeObject {
  const found = objects.find((o) => o.kind === kind && String(o.metadata.name).endsWith(suffix));
  assert.ok(found, `${kind} ${suffix} rendered`);
  return found;
}

/** A binary-suffixed quantity (what the chart writes for memory) in bytes. */
function quantityBytes(quantity: string): number {
  const match = /^(\d+)(Ki|Mi|Gi)?$/.exec(quantity);
  assert.ok(match, `quantity "${quantity}" is one this test can read`);
  const scale = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30 }[match[2] as 'Ki' | 'Mi' | 'Gi'] ?? 1;
  return Number(match[1]) * scale;
}

/** A resourceFieldRef as the kubelet resolves it: the container's resource over the divisor, rounded up. */
function resourceValue(
  container: KubeObject,
  ref: { resource: string; divisor?: string } | undefined,
): string | undefined {
  if (!ref) return undefined;
  const [kind, resource] = ref.resource.split('.') as [string, string];
  const amount = container.resources?.[kind]?.[resource];
  if (amount === undefined) return undefined;
  return String(Math.ceil(quantityBytes(String(amount)) / quantityBytes(ref.divisor ?? '1')));
}

/** What the chart's pod would run with: its ConfigMap's config file, its env, its ServiceAccount. */
async function chartPod(): Promise<{ config: string; env: Record<string, string> }> {
  const config = join(dir, `config-${Math.random().toString(36).slice(2)}.yaml`);
  await writeFile(config, find('ConfigMap').data['config.yaml']);
  const container = find('Deployment').spec.template.spec.containers[0];
  const fieldValues: Record<string, string> = {
    'spec.nodeName': 'chart-node',
    'metadata.name': 'ssm-0',
    'metadata.namespace': NAMESPACE,
  };
  const env: Record<string, string> = {};
  for (const variable of container.env ?? []) {
    const value =
      variable.value ??
      fieldValues[variable.valueFrom?.fieldRef?.fieldPath] ??
      resourceValue(container, variable.valueFrom?.resourceFieldRef);
    assert.ok(value !== undefined, `env ${variable.name} has a value this test can give`);
    env[variable.name] = value;
  }
  const account = find('ServiceAccount').metadata.name;
  return {
    config,
    env: {
      ...env,
      KUBECONFIG: await cluster.serviceAccountKubeconfig(NAMESPACE, account),
      SERVER_ADDRESS: '127.0.0.1:0',
      LEADER_ELECTION_RETRY_PERIOD: '200ms',
      // The chart's debug server listens on the pod's own loopback, here the machine's.
      DEBUG_SERVER_ENABLED: 'false',
    },
  };
}

async function startAsChartPod(logs: CapturedLogs): Promise<{ app: App; url: string }> {
  const { config, env } = await chartPod();
  const app = await App.start({ file: config, env, logs });
  return { app, url: `http://127.0.0.1:${app.server.address().port}/metrics` };
}

const EXPECTED = [
  /^sealos_node_healthy\{node="chart-node"\} 1$/m,
  /^sealos_pod_container_restarts\{namespace="apps",pod="web",container="app"\} 2$/m,
  /^sealos_image_pull_failures\{namespace="apps",pod="web",[^}]*reason="image_not_found"[^}]*\} 1$/m,
  /^sealos_widget_size\{name="w1"\} 7$/m,
];

/** Log lines that say the API server refused this ServiceAccount something. */
const refusals = (logs: CapturedLogs) => logs.lines.filter((line) => /\b403\b|forbidden/i.test(line));

async function scrapeAs(url: string, token: string): Promise<string> {
  const response = await get(url, { authorization: `Bearer ${token}` });
  assert.equal(response.status, 200, response.body);
  return response.body;
}

test('as the chart installs it: every enabled instrument gets its data, no request is refused', async (t) => {
  const logs = harnessLogs();
  const { app, url } = await startAsChartPod(logs);
  t.after(() => app.stop());
  const prometheus = await cluster.serviceAccountToken(NAMESPACE, 'prometheus');
  const body = await eventually(
    async () => {
      const current = await scrapeAs(url, prometheus);
      return EXPECTED.every((line) => line.test(current)) ? current : undefined;
    },
    20_000,
    'every instrument has data',
  ).catch(async (error: Error) => {
    const now = (await get(url, { authorization: `Bearer ${prometheus}` })).body;
    const ours = now.split('\n').filter((line) => line.startsWith('sealos_'));
    throw new Error(`${error.message}\nseries:\n${ours.join('\n')}\nlogs:\n${logs.lines.join('')}`);
  });
  assert.ok(body.includes('sealos_node_healthy'));
  const lease = await cluster.get(
    `/apis/coordination.k8s.io/v1/namespaces/${NAMESPACE}/leases/sealos-state-metrics-node`,
  );
  assert.equal(lease.spec.holderIdentity, 'ssm-0');
  assert.deepEqual(refusals(logs), []);
});

interface Grant {
  readonly role: KubeObject;
  readonly ruleIndex: number;
  readonly resource: string;
}

/** Each resource of each rule the chart's roles grant: the unit a grant can be taken away in. */
function grants(): Grant[] {
  const roles = objects.filter((o) => o.kind === 'ClusterRole' || o.kind === 'Role');
  return roles.flatMap((role) =>
    role.rules.flatMap((rule: KubeObject, ruleIndex: number) =>
      (rule.resources ?? rule.nonResourceURLs).map((resource: string) => ({ role, ruleIndex, resource })),
    ),
  );
}

function without(grant: Grant): KubeObject {
  const role = structuredClone(grant.role);
  const rule = role.rules[grant.ruleIndex];
  const key = rule.resources ? 'resources' : 'nonResourceURLs';
  rule[key] = rule[key].filter((resource: string) => resource !== grant.resource);
  if (rule[key].length === 0) role.rules.splice(grant.ruleIndex, 1);
  return role;
}

test('least privilege: without any one rule the chart grants, something is refused or missing', async (t) => {
  const all = grants();
  // Every rule the values call for: pods, nodes, NodeMetrics, events, widgets, the two reviews,
  // leases, and the scrapers' /metrics.
  assert.equal(all.length, 9, all.map((g) => `${g.role.metadata.name}:${g.resource}`).join(' '));
  const prometheus = await cluster.serviceAccountToken(NAMESPACE, 'prometheus');
  for (const grant of all) {
    const group = grant.role.rules[grant.ruleIndex].apiGroups?.[0];
    const name = `${grant.role.metadata.name}:${group ? `${group}/` : ''}${grant.resource}`;
    await apply(without(grant));
    // A process of its own for each, as each pod is: nothing of one run is left for the next.
    const { config, env } = await chartPod();
    const pod = await startCli(name, ['run', '--config', config], env);
    const url = `http://127.0.0.1:${pod.port}/metrics`;
    try {
      const outcome = await eventually(
        async () => {
          const response = await get(url, { authorization: `Bearer ${prometheus}` });
          if (response.status === 403) return 'the scraper was refused';
          if (/\b403\b|forbidden/i.test(pod.stderr())) return 'a request was refused';
          return undefined;
        },
        15_000,
        `a refusal without ${name}`,
      );
      t.diagnostic(`without ${name}: ${outcome}`);
    } finally {
      const exit = exited(pod.child);
      pod.child.kill('SIGTERM');
      await exit;
      await apply(grant.role);
    }
  }
});
