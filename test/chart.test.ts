/**
 * The Helm chart, rendered by real Helm (test/peers, built from helm.sh/helm/v3) for the
 * documented value combinations and linted by it, every object validated against the Kubernetes
 * OpenAPI schemas (kubernetes-models; prometheus-operator and cert-manager CRD schemas for
 * theirs), the rendered config loaded by our own loader, and the RBAC checked to follow the
 * enabled instruments. test/real/chart.test.ts applies what it renders to a real API server.
 */
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Certificate, Issuer } from '@kubernetes-models/cert-manager/cert-manager.io/v1';
import {
  PodMonitor,
  PrometheusRule,
  ServiceMonitor,
} from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import { DaemonSet, Deployment, StatefulSet } from 'kubernetes-models/apps/v1';
import {
  ClusterRole,
  ClusterRoleBinding,
  Role,
  RoleBinding,
} from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import { ConfigMap, Service, ServiceAccount } from 'kubernetes-models/v1';
import { parseAllDocuments, stringify } from 'yaml';
import { buildConfig, parseYaml } from '../lib/config/load.js';
import { assertGolden } from './support/harness.js';
import { helm } from './support/helm.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const chart = join(root, 'deploy/chart/sealos-state-metrics');
let workDir = '';

// biome-ignore lint/suspicious/noExplicitAny: rendered objects are walked by known keys; the schemas check their shape
type KubeObject = any;

const VALIDATORS: Record<string, new (data: never) => { validate(): void }> = {
  'apps/v1/Deployment': Deployment,
  'apps/v1/StatefulSet': StatefulSet,
  'apps/v1/DaemonSet': DaemonSet,
  'v1/ConfigMap': ConfigMap,
  'v1/Service': Service,
  'v1/ServiceAccount': ServiceAccount,
  'rbac.authorization.k8s.io/v1/ClusterRole': ClusterRole,
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': ClusterRoleBinding,
  'rbac.authorization.k8s.io/v1/Role': Role,
  'rbac.authorization.k8s.io/v1/RoleBinding': RoleBinding,
  'monitoring.coreos.com/v1/ServiceMonitor': ServiceMonitor,
  'monitoring.coreos.com/v1/PodMonitor': PodMonitor,
  'monitoring.coreos.com/v1/PrometheusRule': PrometheusRule,
  'cert-manager.io/v1/Certificate': Certificate,
  'cert-manager.io/v1/Issuer': Issuer,
};

before(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'ssm-chart-'));
});

async function renderText(values: object, name = 'ssm'): Promise<string> {
  const file = join(workDir, `values-${Math.random().toString(36).slice(2)}.yaml`);
  await writeFile(file, stringify(values));
  return helm(['template', name, chart, '--namespace', 'monitoring', '-f', file]);
}

async function render(values: object, name = 'ssm'): Promise<KubeObject[]> {
  return parseAllDocuments(await renderText(values, name))
    .map((doc) => doc.toJS())
    .filter(Boolean);
}

function renderError(values: object): Promise<string> {
  return render(values).then(
    () => '',
    (error: Error) => error.message,
  );
}

function validateAll(objects: KubeObject[]): void {
  for (const object of objects) {
    const key = `${object.apiVersion}/${object.kind}`;
    if (object.kind === 'VMServiceScrape') {
      // No schema package for VictoriaMetrics' CRDs on npm: check the fields its operator requires.
      assert.equal(object.apiVersion, 'operator.victoriametrics.com/v1beta1');
      assert.ok(object.spec.selector && object.spec.endpoints.length > 0);
      continue;
    }
    const Validator = VALIDATORS[key];
    assert.ok(Validator, `no schema for ${key}`);
    assert.doesNotThrow(() => new Validator(object as never).validate(), `${key} ${object.metadata?.name}`);
  }
}

function find(objects: KubeObject[], kind: string, suffix = ''): KubeObject {
  const found = objects.find((o) => o.kind === kind && String(o.metadata.name).endsWith(suffix));
  assert.ok(found, `${kind} ${suffix} rendered`);
  return found;
}

/** The config the ConfigMap carries, through our own loader: what the pod would start with. */
function loadedConfig(objects: KubeObject[]) {
  const text = find(objects, 'ConfigMap').data['config.yaml'] as string;
  return buildConfig(parseYaml(text, 'config.yaml'), {}).config;
}

function rules(objects: KubeObject[]): string[] {
  const role = objects.find((o) => o.kind === 'ClusterRole' && !o.metadata.name.endsWith('metrics-reader'));
  return (role?.rules ?? []).flatMap((rule: KubeObject) =>
    rule.resources.map(
      (resource: string) => `${rule.apiGroups[0] || 'core'}/${resource}:${rule.verbs.join(',')}`,
    ),
  );
}

test('defaults: a DaemonSet with TLS, auth, zombie on the host /proc, least-privilege RBAC', async () => {
  const objects = await render({});
  validateAll(objects);
  const daemonset = find(objects, 'DaemonSet');
  const container = daemonset.spec.template.spec.containers[0];
  // One pod per node: the node name is the identity, as in the original.
  assert.ok(!container.env.some((e: KubeObject) => e.name === 'IDENTITY'));
  assert.equal(container.securityContext.runAsNonRoot, true);
  assert.equal(container.securityContext.readOnlyRootFilesystem, true);
  assert.equal(container.livenessProbe.httpGet.scheme, 'HTTPS');
  assert.deepEqual(
    container.env.slice(0, 3).map((e: KubeObject) => e.valueFrom.fieldRef.fieldPath),
    ['spec.nodeName', 'metadata.name', 'metadata.namespace'],
  );
  assert.ok(daemonset.spec.template.spec.volumes.some((v: KubeObject) => v.hostPath?.path === '/proc'));
  // The entry point sizes the heap from the container's own limit, handed over in MiB.
  const env = Object.fromEntries(container.env.map((e: KubeObject) => [e.name, e.value ?? e.valueFrom]));
  assert.deepEqual(env.SSM_MEMORY_LIMIT_MIB, {
    resourceFieldRef: { containerName: container.name, resource: 'limits.memory', divisor: '1Mi' },
  });
  assert.equal(env.SSM_NODE_FLAGS, '--optimize-for-size');
  assert.equal(env.MALLOC_ARENA_MAX, '2');
  assert.ok(container.resources.limits.memory, 'a memory limit to size from');
  const config = loadedConfig(objects);
  assert.equal(config.server.tls.enabled, true);
  assert.equal(config.server.auth.enabled, true);
  assert.equal((config.collectors.zombie as { procPath: string }).procPath, '/host/proc');
  assert.equal(config.leaderElection.namespace, 'monitoring');
  assert.deepEqual(rules(objects).sort(), [
    'authentication.k8s.io/tokenreviews:create',
    'authorization.k8s.io/subjectaccessreviews:create',
    'core/events:list,watch',
    'core/nodes:list,watch',
    'core/pods:list,watch',
    'metrics.k8s.io/nodes:get,list',
  ]);
  assert.ok(
    !JSON.stringify(objects).includes('"secrets"'),
    'no Secret access without the database instrument',
  );
  find(objects, 'Certificate');
  find(objects, 'Issuer', '-selfsigned');
});

test('Deployment with every scrape resource, database and crds RBAC, secrets from Secrets', async () => {
  const objects = await render({
    deploymentMode: 'deployment',
    replicaCount: 2,
    serviceMonitor: { enabled: true },
    podMonitor: { enabled: true, authorization: { name: 'scraper-token' } },
    vmServiceScrape: { enabled: true },
    auth: { enabled: true, allowedServiceAccounts: [{ name: 'prometheus', namespace: 'monitoring' }] },
    enabledCollectors: ['node', 'database', 'crds', 'userbalance'],
    secretEnv: [{ name: 'ACCOUNTS_DSN', secretName: 'sealos-accounts', key: 'dsn' }],
    collectors: {
      userbalance: { database: { dsn: '${env:ACCOUNTS_DSN}' }, users: [{ uid: 'u1' }] },
      crds: {
        crds: [
          {
            name: 'devbox',
            gvr: { group: 'devbox.sealos.io', version: 'v1alpha2', resource: 'devboxes' },
            metrics: [{ type: 'string_state', name: 'devbox_status', path: 'status.phase' }],
          },
        ],
      },
    },
  });
  validateAll(objects);
  const deployment = find(objects, 'Deployment');
  assert.equal(deployment.spec.replicas, 2);
  const env = deployment.spec.template.spec.containers[0].env;
  // Replicas may share a node, and the identity falls back to the node name first (the
  // original's order): in a Deployment the pod name is the identity.
  assert.deepEqual(env.find((e: KubeObject) => e.name === 'IDENTITY')?.valueFrom, {
    fieldRef: { fieldPath: 'metadata.name' },
  });
  assert.deepEqual(env.find((e: KubeObject) => e.name === 'ACCOUNTS_DSN').valueFrom.secretKeyRef, {
    name: 'sealos-accounts',
    key: 'dsn',
  });
  assert.ok(
    !deployment.spec.template.spec.volumes.some((v: KubeObject) => v.hostPath),
    'no host paths in Deployment mode',
  );
  const granted = rules(objects);
  // The default database discovery (the original's) reads Secrets, not KubeBlocks Clusters.
  assert.ok(!granted.some((rule) => rule.includes('clusters')), granted.join(' '));
  for (const rule of [
    'core/secrets:list,watch',
    'core/endpoints:list,watch',
    'devbox.sealos.io/devboxes:list,watch',
  ]) {
    assert.ok(granted.includes(rule), `${rule} in ${granted.join(' ')}`);
  }
  assert.ok(
    !granted.some((rule) => rule.includes('core/pods')),
    'no pod access without a pod-reading instrument',
  );
  const reader = find(objects, 'ClusterRoleBinding', 'metrics-reader');
  assert.deepEqual(reader.subjects, [
    { kind: 'ServiceAccount', name: 'prometheus', namespace: 'monitoring' },
  ]);
  find(objects, 'ServiceMonitor');
  find(objects, 'PodMonitor');
  find(objects, 'VMServiceScrape');
  // The DSN reaches the process as ${env:...}, never as a value in the ConfigMap.
  assert.match(find(objects, 'ConfigMap').data['config.yaml'], /dsn: \$\{env:ACCOUNTS_DSN\}/);
});

test('StatefulSet mode shards by ordinal; a Custom Resource State document gets CRD discovery and its groups', async () => {
  const objects = await render({
    deploymentMode: 'statefulset',
    replicaCount: 3,
    enabledCollectors: ['pod', 'crds'],
    rbac: { extraRules: [{ apiGroups: ['other.io'], resources: ['widgets'], verbs: ['list', 'watch'] }] },
    collectors: {
      crds: {
        customResourceStateConfig: {
          kind: 'CustomResourceStateMetrics',
          spec: {
            resources: [
              {
                groupVersionKind: { group: 'myteam.io', version: '*', kind: '*' },
                metrics: [
                  {
                    name: 'foo_info',
                    each: { type: 'Info', info: { labelsFromPath: { n: ['metadata', 'name'] } } },
                  },
                ],
              },
            ],
          },
        },
      },
    },
  });
  validateAll(objects);
  const statefulSet = find(objects, 'StatefulSet');
  assert.equal(statefulSet.spec.replicas, 3);
  assert.equal(statefulSet.spec.podManagementPolicy, 'Parallel');
  const env = statefulSet.spec.template.spec.containers[0].env;
  assert.equal(env.find((e: KubeObject) => e.name === 'SHARDING_FROM_STATEFUL_SET')?.value, 'true');
  const sharding = find(objects, 'Role', '-sharding');
  assert.deepEqual(
    sharding.rules.map(
      (rule: KubeObject) => `${rule.apiGroups[0] || 'core'}/${rule.resources[0]}:${rule.verbs.join(',')}`,
    ),
    ['core/pods:get', 'apps/statefulsets:get,list,watch'],
  );
  const granted = rules(objects);
  for (const rule of [
    'apiextensions.k8s.io/customresourcedefinitions:list,watch',
    'myteam.io/*:list,watch',
    'other.io/widgets:list,watch',
  ])
    assert.ok(granted.includes(rule), `${rule} in ${granted.join(' ')}`);
  // The ConfigMap's document loads through our own loader, as the pod would load it.
  assert.equal(loadedConfig(objects).enabledCollectors.join(), 'pod,crds');
});

test('lvm in DaemonSet mode gets the node devices and a privileged container; TLS and auth can be off', async () => {
  const objects = await render({
    enabledCollectors: ['lvm'],
    tls: { enabled: false },
    auth: { enabled: false },
  });
  validateAll(objects);
  const spec = find(objects, 'DaemonSet').spec.template.spec;
  assert.equal(spec.containers[0].securityContext.privileged, true);
  assert.ok(spec.volumes.some((v: KubeObject) => v.hostPath?.path === '/dev'));
  assert.equal(spec.containers[0].livenessProbe.httpGet.scheme, undefined);
  assert.equal(
    objects.some((o) => o.kind === 'Certificate'),
    false,
  );
  assert.equal(
    objects.some((o) => o.kind === 'ClusterRole'),
    false,
    'lvm alone needs no cluster access',
  );
  assert.equal(loadedConfig(objects).server.tls.enabled, false);
});

test("the original chart's values render through this chart, and the config they produce loads", async () => {
  const original = parseYaml(
    await (await import('node:fs/promises')).readFile(
      join(root, 'test/fixtures/original/chart-values.yaml'),
      'utf8',
    ),
    'chart-values.yaml',
  ) as Record<string, unknown>;
  // Their image names a registry; ours is set by whoever deploys.
  const objects = await render({ ...original, image: 'sealos-state-metrics:0.1.0' });
  validateAll(objects);
  const config = loadedConfig(objects);
  assert.ok(config.enabledCollectors.includes('database'));
  assert.ok(rules(objects).includes('core/secrets:list,watch'));
  // Only the crds entry of the original's values reads KubeBlocks Clusters.
  assert.ok(rules(objects).includes('apps.kubeblocks.io/clusters:list,watch'));
  // discovery: clusters also reads the Clusters of the configured API version.
  const byClusters = await render({
    enabledCollectors: ['database'],
    collectors: { database: { discovery: 'clusters', clusterApiVersion: 'apps.kubeblocks.io/v1' } },
  });
  assert.ok(rules(byClusters).includes('apps.kubeblocks.io/clusters:list,watch'));
  find(objects, 'VMServiceScrape');
});

test('bad values fail the render with the value named; the schemas catch a bad object', async () => {
  const broken = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'x' },
    spec: { replicas: 'two', selector: {}, template: {} },
  };
  assert.throws(() => validateAll([broken]), /replicas must be integer/);
  assert.match(
    await renderError({ deploymentMode: 'replicaset' }),
    /deploymentMode: must be deployment, daemonset or statefulset \(got "replicaset"\)/,
  );
  assert.match(await renderError({ podMonitor: { enabled: true } }), /podMonitor.authorization.name/);
  assert.match(
    await renderError({ secretEnv: [{ name: 'X', key: 'k' }] }),
    /secretEnv\[\].secretName is required/,
  );
});

/** The values deploy/manifests/ is rendered with: no cert-manager needed. */
const PLAIN_MANIFEST_VALUES = { tls: { enabled: false } };

test('prometheusRule.enabled: the shipped alerts as a PrometheusRule, thresholds from values; deploy/alerts is them at the defaults (UPDATE_GOLDEN=1 rewrites it)', async () => {
  assert.equal((await render({})).filter((o) => o.kind === 'PrometheusRule').length, 0);
  const objects = await render({ prometheusRule: { enabled: true, labels: { release: 'kube-prometheus' } } });
  validateAll(objects);
  const rule = find(objects, 'PrometheusRule');
  assert.equal(rule.metadata.labels.release, 'kube-prometheus');
  const header =
    "# The shipped alerts for a plain Prometheus (rule_files:), rendered from the chart's\n" +
    '# templates/_alerts.tpl with its default thresholds; runbooks in README.md, promtool tests in\n' +
    '# tests/. Regenerate: UPDATE_GOLDEN=1 npm test\n';
  await assertGolden(
    header + stringify({ groups: rule.spec.groups }, { lineWidth: 0 }),
    new URL('../deploy/alerts/sealos-state-metrics.rules.yaml', import.meta.url),
  );

  const tuned = find(
    await render({
      prometheusRule: {
        enabled: true,
        thresholds: { certificateExpiryWarningDays: 30, lvmFreeWarningPercent: 20, cloudBalanceLow: 5000 },
      },
    }),
    'PrometheusRule',
  );
  const rulesOf = (object: KubeObject, alert: string) =>
    object.spec.groups
      .flatMap((group: KubeObject) => group.rules)
      .filter((r: KubeObject) => r.alert === alert);
  const [certificate] = rulesOf(tuned, 'SealosDomainCertificateExpiring');
  assert.equal(certificate.expr, 'sealos_domain_cert_expiry_seconds < 30 * 86400');
  assert.equal(certificate.annotations.summary, 'A certificate expires in less than 30 days.');
  assert.match(rulesOf(tuned, 'SealosLvmVolumeGroupNearlyFull')[0].expr, /< 20 \/ 100\n/);
  assert.equal(rulesOf(tuned, 'SealosCloudBalanceLow')[0].expr, 'sealos_cloudbalance_balance < 5000');
  // Prometheus' own templates reach it untouched by Helm.
  assert.match(certificate.annotations.description, /^\{\{ \$labels\.domain \}\} at \{\{ \$labels\.ip \}\}/);
});

test('deploy/manifests is the chart rendered for users without Helm, and is current (UPDATE_GOLDEN=1 rewrites it)', async () => {
  const text = await renderText(PLAIN_MANIFEST_VALUES, 'sealos-state-metrics');
  const header =
    '# Rendered from deploy/chart/sealos-state-metrics with tls.enabled=false (no cert-manager needed),\n' +
    '# release "sealos-state-metrics" in namespace "monitoring". Regenerate: UPDATE_GOLDEN=1 npm test\n';
  await assertGolden(
    header + text,
    new URL('../deploy/manifests/sealos-state-metrics.yaml', import.meta.url),
  );
  validateAll(
    parseAllDocuments(text)
      .map((doc) => doc.toJS())
      .filter(Boolean),
  );
});
