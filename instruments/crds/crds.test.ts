import assert from 'node:assert/strict';
import { test } from 'node:test';
import { harnessLogs } from '../../test/support/app.js';
import { assertGolden, harness, samples } from '../../test/support/harness.js';
import { eventually } from '../../test/support/http.js';
import { clusterFixture } from '../../test/support/kube/cluster.js';
import { crdsConfig } from './config.js';
import { crds } from './crds.js';
import { evaluatePath, formatPath, PathError, parsePath } from './path.js';
import { compileEntry, objectSeries } from './series.js';
import { parseQuantity, toNumber } from './values.js';

test('paths: dots, indexes, quoted and escaped keys; mistakes are errors with the position', () => {
  assert.deepEqual(parsePath('spec.replicas'), [{ key: 'spec' }, { key: 'replicas' }]);
  assert.deepEqual(parsePath('.status.conditions[0].type'), [
    { key: 'status' },
    { key: 'conditions' },
    { index: 0 },
    { key: 'type' },
  ]);
  assert.deepEqual(parsePath('metadata.labels["app.kubernetes.io/name"]'), [
    { key: 'metadata' },
    { key: 'labels' },
    { key: 'app.kubernetes.io/name' },
  ]);
  assert.deepEqual(parsePath("metadata.annotations['a.b/c']"), [
    { key: 'metadata' },
    { key: 'annotations' },
    { key: 'a.b/c' },
  ]);
  assert.deepEqual(parsePath('metadata.labels.app\\.kubernetes\\.io/name'), [
    { key: 'metadata' },
    { key: 'labels' },
    { key: 'app.kubernetes.io/name' },
  ]);
  for (const bad of ['', '.', 'spec..x', 'spec.', 'a[', 'a[x]', 'a[0]b', 'trailing\\']) {
    assert.throws(() => parsePath(bad), PathError, bad);
  }
  const object = { metadata: { labels: { 'app.kubernetes.io/name': 'web' } }, list: [{ a: 1 }], n: null };
  assert.equal(evaluatePath(object, parsePath('metadata.labels["app.kubernetes.io/name"]')), 'web');
  assert.equal(evaluatePath(object, parsePath('list[0].a')), 1);
  assert.equal(evaluatePath(object, parsePath('list[5].a')), undefined);
  assert.equal(evaluatePath(object, parsePath('list.a')), undefined);
  assert.equal(evaluatePath(object, parsePath('n.x')), undefined);
  assert.equal(evaluatePath(object, parsePath('metadata.constructor')), undefined, 'no prototype keys');
  assert.equal(
    formatPath(parsePath('metadata.labels.app\\.kubernetes\\.io/name')),
    'metadata.labels["app.kubernetes.io/name"]',
  );
});

test('values: numbers, booleans, quantities, timestamps, mappings; anything else is a problem', () => {
  const cases: [string, number | undefined][] = [
    ['500m', 0.5],
    ['1Gi', 2 ** 30],
    ['2k', 2000],
    ['1e3', 1000],
    ['1.5', 1.5],
    ['-3', -3],
    ['100Mi', 100 * 2 ** 20],
    ['7n', 7e-9],
    ['1GB', undefined],
    ['abc', undefined],
    ['', undefined],
  ];
  for (const [text, expected] of cases) assert.equal(parseQuantity(text), expected, text);
  assert.deepEqual(toNumber(true), { value: 1 });
  assert.deepEqual(toNumber('False'), { value: 0 });
  assert.deepEqual(toNumber('2026-11-25T10:00:00Z'), { value: Date.parse('2026-11-25T10:00:00Z') / 1000 });
  assert.deepEqual(toNumber('Running', { Running: 1, Failed: 0 }), { value: 1 });
  assert.ok('problem' in toNumber('Unknown', { Running: 1 }));
  assert.ok('problem' in toNumber({ a: 1 }));
  assert.ok('problem' in toNumber([1]));
  assert.ok('problem' in toNumber('fast'));
});

/** A small deterministic PRNG, so a failing case can be replayed. */
function prng(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

test('fuzz: random objects and paths never make evaluation or series building throw', () => {
  const random = prng(20261125);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const keys = [
    'spec',
    'status',
    'a',
    'b.c',
    'conditions',
    '0',
    'type',
    '__proto__',
    'constructor',
    'x y',
    '"q"',
  ];
  const value = (depth: number): unknown => {
    const kind = Math.floor(random() * (depth > 3 ? 6 : 8));
    switch (kind) {
      case 0:
        return random() * 1000 - 500;
      case 1:
        return pick([
          '',
          'Running',
          '500m',
          '1Gi',
          'true',
          '2026-01-01T00:00:00Z',
          'x'.repeat(100),
          '\u0000\u{1F600}',
        ]);
      case 2:
        return random() > 0.5;
      case 3:
        return null;
      case 4:
        return undefined;
      case 5:
        return Number.NaN;
      case 6:
        return Array.from({ length: Math.floor(random() * 4) }, () => value(depth + 1));
      default:
        return Object.fromEntries(
          Array.from({ length: Math.floor(random() * 4) }, () => [pick(keys), value(depth + 1)]),
        );
    }
  };
  const path = (): string => {
    const parts: string[] = [];
    const length = 1 + Math.floor(random() * 4);
    for (let i = 0; i < length; i += 1) {
      const key = pick(keys);
      parts.push(
        random() < 0.2
          ? `[${Math.floor(random() * 3)}]`
          : /^[\w]+$/.test(key)
            ? key
            : `[${JSON.stringify(key)}]`,
      );
    }
    return parts
      .join('.')
      .replaceAll('.[', '[')
      .replace(/^\[(\d)\]/, 'spec[$1]');
  };
  const types = ['info', 'gauge', 'count', 'string_state', 'map_state', 'map_gauge', 'conditions'] as const;
  for (let round = 0; round < 300; round += 1) {
    const paths = [path(), path(), path()];
    const parsed = crdsConfig.safeParse({
      crds: [
        {
          name: 'fuzz',
          gvr: { version: 'v1', resource: 'things' },
          commonLabels: { name: 'metadata.name', odd: paths[0] },
          metrics: types.map((type, i) => ({
            type,
            name: `m_${i}`,
            path: paths[i % 3],
            ...(type === 'count' ? {} : { labels: { extra: paths[(i + 1) % 3] } }),
            ...(type === 'gauge' && round % 2 ? { each: paths[2] } : {}),
          })),
        },
      ],
    });
    if (!parsed.success) continue;
    const compiled = compileEntry(parsed.data.crds[0] as never);
    for (let i = 0; i < 20; i += 1) {
      const object = { metadata: { name: `o${i}` }, spec: value(0), status: value(0), a: value(0) };
      const series = objectSeries(compiled, object as never);
      assert.equal(series.samples.length, types.length);
      for (const sample of series.samples.flat()) {
        for (const labelValue of Object.values(sample.labels)) assert.equal(typeof labelValue, 'string');
      }
    }
  }
});

const APPLICATIONS = { group: 'apps.example.com', version: 'v1', resource: 'applications' } as const;

function application(name: string, namespace: string, fields: Record<string, unknown>) {
  return {
    metadata: { name, namespace, labels: { team: 'platform', 'app.kubernetes.io/name': name } },
    spec: {
      version: 'v1.2.0',
      replicas: 3,
      cpu: '500m',
      memory: '1Gi',
      features: { caching: 'enabled', logging: 'disabled' },
      ...((fields.spec as object) ?? {}),
    },
    status: {
      phase: 'Running',
      startedAt: '2026-11-25T00:00:00Z',
      usage: { cpu: 0.5, memory: 1024 },
      components: [
        { name: 'api', ready: 2 },
        { name: 'worker', ready: 1 },
      ],
      conditions: [
        { type: 'Ready', status: 'True', reason: 'AllGood' },
        { type: 'Progressing', status: 'False', reason: 'Done' },
      ],
      ...((fields.status as object) ?? {}),
    },
  };
}

const CONFIG = {
  crds: [
    {
      name: 'applications',
      gvr: APPLICATIONS,
      commonLabels: { namespace: 'metadata.namespace', name: 'metadata.name' },
      metrics: [
        {
          type: 'info',
          name: 'application_info',
          labels: {
            team: 'metadata.labels.team',
            app: 'metadata.labels["app.kubernetes.io/name"]',
            version: 'spec.version',
          },
        },
        { type: 'gauge', name: 'application_replicas', path: 'spec.replicas' },
        { type: 'gauge', name: 'application_cpu_cores', path: 'spec.cpu' },
        { type: 'gauge', name: 'application_started_timestamp_seconds', path: 'status.startedAt' },
        {
          type: 'gauge',
          name: 'application_running',
          path: 'status.phase',
          valueMapping: { Running: 1, Pending: 0, Failed: -1 },
        },
        {
          type: 'gauge',
          name: 'application_component_ready',
          each: 'status.components',
          path: 'ready',
          labels: { component: 'name' },
        },
        { type: 'count', name: 'application_count', path: 'status.phase', valueLabel: 'phase' },
        { type: 'string_state', name: 'application_phase', path: 'status.phase' },
        { type: 'map_state', name: 'application_feature', path: 'spec.features' },
        { type: 'map_gauge', name: 'application_usage', path: 'status.usage' },
        { type: 'conditions', name: 'application_condition', path: 'status.conditions' },
      ],
    },
    {
      name: 'deployments',
      gvr: { group: 'apps', version: 'v1', resource: 'deployments' },
      commonLabels: { namespace: 'metadata.namespace', deployment: 'metadata.name' },
      metrics: [{ type: 'gauge', name: 'deployment_ready_replicas', path: 'status.readyReplicas' }],
    },
  ],
};

test('all seven types, quantities, timestamps, mappings and each, from a custom resource and Deployments (golden)', async (t) => {
  const { server, cluster } = await clusterFixture(t);
  server.registerType({ ...APPLICATIONS, kind: 'Application', namespaced: true });
  server.create('applications', application('web', 'team-a', {}), APPLICATIONS.group);
  server.create(
    'applications',
    application('batch', 'team-b', {
      status: { phase: 'Pending', conditions: [{ type: 'Ready', status: 'False', reason: 'Scheduling' }] },
    }),
    APPLICATIONS.group,
  );
  server.create(
    'applications',
    application('legacy', 'team-b', { spec: { replicas: 'three' } }),
    APPLICATIONS.group,
  );
  server.create(
    'deployments',
    { metadata: { name: 'api', namespace: 'team-a' }, spec: { replicas: 2 }, status: { readyReplicas: 2 } },
    'apps',
  );
  // readyReplicas is omitted at 0 by the controller: nilIsZero reads 0.
  server.create(
    'deployments',
    { metadata: { name: 'cold', namespace: 'team-a' }, spec: { replicas: 1 }, status: {} },
    'apps',
  );

  const logs = harnessLogs();
  const h = harness('sealos', cluster);
  const instrument = crds.create(
    { ...h.context('crds'), logger: logs.child({ collector: 'crds' }) },
    crdsConfig.parse(CONFIG),
  );
  t.after(() => instrument.stop());
  await instrument.start();
  await instrument.ready?.();
  assert.equal(instrument.health().state, 'healthy');
  await assertGolden(
    `${samples(await h.scrape(), 'sealos_').join('\n')}\n`,
    new URL('./testdata/crds.prom', import.meta.url),
  );

  // The wrong type is reported once per object and metric, however often it is scraped or changes.
  for (let i = 0; i < 3; i += 1) await h.scrape();
  server.update(
    'applications',
    application('legacy', 'team-b', { spec: { replicas: 'three', version: 'v2' } }),
    APPLICATIONS.group,
  );
  await eventually(
    async () => ((await h.scrape()).includes('version="v2"') ? true : undefined),
    5000,
    'update seen',
  );
  const warnings = logs.lines.filter((line) => line.includes('field cannot be exported'));
  assert.equal(warnings.length, 1, warnings.join('\n'));
  assert.match(
    warnings[0] ?? '',
    /team-b\/legacy.*application_replicas: spec.replicas \\"three\\" is not a number/,
  );

  // A deleted object's series and its share of the count go.
  server.remove('applications', 'team-b', 'batch', APPLICATIONS.group);
  const after = await eventually(
    async () => {
      const body = await h.scrape();
      return body.includes('name="batch"') ? undefined : body;
    },
    5000,
    'deleted object gone',
  );
  assert.ok(
    samples(after, 'sealos_application_count').includes('sealos_application_count{phase="Running"} 2'),
  );
  assert.ok(!after.includes('phase="Pending"'));
});

test('a reload adds and removes watches without restarting the ones it keeps', async (t) => {
  const { server, cluster } = await clusterFixture(t);
  server.registerType({ ...APPLICATIONS, kind: 'Application', namespaced: true });
  server.create('applications', application('web', 'team-a', {}), APPLICATIONS.group);
  const [apps, deployments] = CONFIG.crds as [(typeof CONFIG.crds)[number], (typeof CONFIG.crds)[number]];
  const first = crds.create(harness('sealos', cluster).context('crds'), crdsConfig.parse({ crds: [apps] }));
  await first.start();
  await first.ready?.();
  const informer = (resource: string) => cluster.hub.informers.find((i) => i.ref.resource === resource);
  const listsBefore = informer('applications')?.stats.lists;

  // The new generation starts before the old one stops, as a reload does.
  const second = crds.create(
    harness('sealos', cluster).context('crds'),
    crdsConfig.parse({ crds: [apps, deployments] }),
  );
  t.after(() => second.stop());
  await second.start();
  await second.ready?.();
  await first.stop();
  assert.equal(informer('applications')?.stats.lists, listsBefore, 'the kept watch was not restarted');
  assert.ok(informer('deployments'), 'the added watch runs');

  const third = crds.create(
    harness('sealos', cluster).context('crds'),
    crdsConfig.parse({ crds: [deployments] }),
  );
  t.after(() => third.stop());
  await third.start();
  await third.ready?.();
  await second.stop();
  assert.equal(informer('applications'), undefined, 'the removed watch stopped');
});

test('bad configuration is refused at validation with the path', () => {
  const entry = (metric: Record<string, unknown>) => ({
    crds: [{ name: 'x', gvr: { version: 'v1', resource: 'things' }, metrics: [metric] }],
  });
  const issues = (input: unknown) => JSON.stringify(crdsConfig.safeParse(input).error?.issues ?? []);
  assert.match(
    issues(entry({ type: 'histogram', name: 'a', path: 'spec.a' })),
    /unknown metric type \\"histogram\\"/,
  );
  assert.match(
    issues(entry({ type: 'gauge', name: 'a', path: 'spec..a' })),
    /path \\"spec..a\\" has an empty key/,
  );
  assert.match(issues(entry({ type: 'gauge', name: 'a' })), /needs a path/);
  assert.match(
    issues(entry({ type: 'conditions', name: 'a', path: 'status.conditions', each: 'status.x' })),
    /each works with/,
  );
  assert.match(issues(entry({ type: 'gauge', name: 'bad-name', path: 'spec.a' })), /Prometheus metric name/);
});

// labring/sealos-state-metrics pkg/collector/crds/metric_store_test.go,
// TestMetricStoreUpdatesDerivedMetrics: info, gauge, count and string_state over two objects,
// through an update and a delete; and helpers_test.go's missing-field and ToFloat64 cases.
test("the original's metric store test: series and counts follow adds, updates and deletes", async (t) => {
  const { server, cluster } = await clusterFixture(t);
  server.registerType({ ...APPLICATIONS, kind: 'Application', namespaced: true });
  const cr = (name: string, phase: string, replicas: number) => ({
    apiVersion: `${APPLICATIONS.group}/v1`,
    kind: 'Application',
    metadata: { name, namespace: 'default' },
    spec: { version: 'v1', replicas },
    status: { phase },
  });
  server.create('applications', cr('first', 'Running', 1), APPLICATIONS.group);
  server.create('applications', cr('second', 'Pending', 2), APPLICATIONS.group);
  const h = harness('acme', cluster);
  const instrument = crds.create(
    h.context('crds'),
    crdsConfig.parse({
      crds: [
        {
          name: 'apps',
          gvr: { group: APPLICATIONS.group, version: 'v1', resource: 'applications' },
          commonLabels: { name: 'metadata.name', namespace: 'metadata.namespace' },
          metrics: [
            { type: 'info', name: 'app_info', labels: { version: 'spec.version' } },
            { type: 'gauge', name: 'app_replicas', path: 'spec.replicas' },
            { type: 'count', name: 'app_phase_count', path: 'status.phase' },
            { type: 'string_state', name: 'app_phase', path: 'status.phase' },
          ],
        },
      ],
    }),
  );
  t.after(() => instrument.stop());
  await instrument.start();
  await instrument.ready?.();
  // Always sealos_<name>, whatever metrics.namespace (acme here), as in the original.
  const series = async () => samples(await h.scrape(), 'sealos_app');
  assert.equal((await series()).length, 8);
  assert.ok((await series()).includes('sealos_app_phase_count{value="Running"} 1'));
  assert.ok((await series()).includes('sealos_app_phase_count{value="Pending"} 1'));

  server.update('applications', cr('first', 'Pending', 1), APPLICATIONS.group);
  const updated = await eventually(
    async () => {
      const lines = await series();
      return lines.length === 7 ? lines : undefined;
    },
    5000,
    'update seen',
  );
  assert.ok(updated.includes('sealos_app_phase_count{value="Pending"} 2'));
  assert.ok(!updated.some((line) => line.includes('value="Running"')));

  server.remove('applications', 'default', 'second', APPLICATIONS.group);
  const deleted = await eventually(
    async () => {
      const lines = await series();
      return lines.some((line) => line.includes('second')) ? undefined : lines;
    },
    5000,
    'delete seen',
  );
  assert.ok(deleted.includes('sealos_app_phase_count{value="Pending"} 1'));
});

test('the original\'s field rules: a missing string state is "", a gauge that is not a number reads 0', () => {
  const entry = compileEntry(
    crdsConfig.parse({
      crds: [
        {
          name: 'x',
          gvr: { version: 'v1', resource: 'things' },
          metrics: [
            { type: 'string_state', name: 'thing_phase', path: 'status.phase' },
            { type: 'gauge', name: 'thing_replicas', path: 'spec.replicas' },
            { type: 'gauge', name: 'thing_strict', path: 'spec.replicas', nilIsZero: false },
          ],
        },
      ],
    }).crds[0] as never,
  );
  const cases: [spec: unknown, phase: unknown, replicas: number | undefined, strict: number | undefined][] = [
    [{ replicas: 3 }, 'Running', 3, 3],
    [{ replicas: 0.75 }, undefined, 0.75, 0.75],
    [{ replicas: true }, 'Running', 1, 1],
    [{ replicas: '3.14' }, 'Running', 3.14, 3.14],
    // helpers_test.go: "string non-number" and "non-existent field" are 0.
    [{ replicas: 'abc' }, 'Running', 0, undefined],
    [{}, 'Running', 0, undefined],
  ];
  for (const [spec, phase, replicas, strict] of cases) {
    const object = { metadata: { name: 'a' }, spec, status: phase === undefined ? {} : { phase } };
    const { samples: produced } = objectSeries(entry, object as never);
    assert.deepEqual(
      produced.map((list) => list.map((sample) => [sample.labels.state, sample.value])),
      [
        [[phase ?? '', 1]],
        replicas === undefined ? [] : [[undefined, replicas]],
        strict === undefined ? [] : [[undefined, strict]],
      ],
      JSON.stringify({ spec, phase }),
    );
  }
});
