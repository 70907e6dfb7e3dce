/**
 * kube-state-metrics' Custom Resource State tests (pkg/customresourcestate/registry_factory_test.go,
 * config_test.go, custom_resource_metrics_test.go at v2.20.0), made ours: the same object, the
 * same generators, kube-state-metrics' expected values and errors. Where an expectation differs
 * it says why (its tests decode objects with encoding/json, where every number is a float64; from
 * the API server whole numbers are int64). test/real/ksm-crs.test.ts runs kube-state-metrics
 * itself on the same inputs.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ignoredKeys, readKsmDocument } from './ksm-config.js';
import { resolveKinds, servedKinds } from './ksm-discovery.js';
import { compilePath, getPath } from './ksm-path.js';
import { compileResource, familyName, familySeries, KsmConfigError } from './ksm-series.js';
import { goText, ksmFloat, quantityFloat, rfc3339Seconds } from './ksm-values.js';

/** registry_factory_test.go's `cr`. */
const cr = {
  spec: {
    replicas: 1,
    version: 'v0.0.0',
    order: [
      { id: 1, value: true },
      { id: 3, value: false },
    ],
  },
  status: {
    active: { 'type-a': 1, 'type-b': 3 },
    phase: 'foo',
    sub: { 'type-a': { active: 1, ready: 2 }, 'type-b': { active: 3, ready: 4 } },
    uptime: 43.21,
    quantity_milli: '250m',
    quantity_binarySI: '5Gi',
    percentage: '28%',
    condition_values: [
      { name: 'a', value: 45 },
      { name: 'b', value: 66 },
    ],
    conditions: [
      { type: 'Ready', status: 'True' },
      { type: 'Provisioned', status: 'False' },
    ],
  },
  metadata: {
    name: 'foo',
    labels: { foo: 'bar' },
    annotations: { qux: 'quxx', bar: 'baz' },
    percentage: '39%',
    creationTimestamp: '2022-06-28T00:00:00Z',
  },
};

const GVK = { group: 'myteam.io', version: 'v1', kind: 'Foo' };
const GVK_LABELS = ['customresource_group', 'customresource_kind', 'customresource_version'];

/** One metric's `each` on `cr`: its series without the group/version/kind labels, and its errors. */
function each(spec: Record<string, unknown>, object: Record<string, unknown> = cr) {
  const read = readKsmDocument({
    spec: { resources: [{ groupVersionKind: GVK, metrics: [{ name: 'm', each: spec }] }] },
  });
  assert.ok(read.ok, JSON.stringify(read));
  const [family] = compileResource(read.document.spec.resources[0] as never, GVK, 'spec.resources[0]');
  const output = familySeries(family as never, object);
  return {
    result: output.samples.map((sample) => ({
      value: sample.value,
      labels: Object.fromEntries(
        Object.entries(sample.labels).filter(([name]) => !GVK_LABELS.includes(name)),
      ),
    })),
    errors: output.errors,
  };
}

const v = (value: number, ...pairs: string[]) => {
  const labels: Record<string, string> = {};
  for (let index = 0; index < pairs.length; index += 2)
    labels[pairs[index] as string] = pairs[index + 1] as string;
  return { value, labels };
};

const gauge = (gaugeSpec: Record<string, unknown>) => ({ type: 'Gauge', gauge: gaugeSpec });

test('Test_values: every case of kube-state-metrics, its values and errors', () => {
  const cases: {
    name: string;
    each: Record<string, unknown>;
    result: ReturnType<typeof v>[];
    errors?: string[];
  }[] = [
    { name: 'single', each: gauge({ path: ['spec', 'replicas'] }), result: [v(1)] },
    {
      name: 'obj',
      each: gauge({ path: ['status', 'active'], labelFromKey: 'type' }),
      result: [v(1, 'type', 'type-a'), v(3, 'type', 'type-b')],
    },
    {
      name: 'deep obj',
      each: gauge({
        path: ['status', 'sub'],
        labelsFromPath: { active: ['active'] },
        labelFromKey: 'type',
        valueFrom: ['ready'],
      }),
      result: [v(2, 'active', '1', 'type', 'type-a'), v(4, 'active', '3', 'type', 'type-b')],
    },
    {
      name: 'path-relative valueFrom value',
      each: gauge({
        path: ['metadata'],
        labelsFromPath: { name: ['name'] },
        valueFrom: ['creationTimestamp'],
      }),
      result: [v(1.6563744e9, 'name', 'foo')],
    },
    {
      name: 'non-existent path',
      each: gauge({ path: ['foo'], labelsFromPath: { name: ['name'] }, valueFrom: ['creationTimestamp'] }),
      result: [],
      errors: ['[foo]: got nil while resolving path'],
    },
    {
      name: 'exist path but valueFrom path is non-existent single',
      each: gauge({ path: ['spec', 'replicas'], valueFrom: ['non-existent'] }),
      result: [],
    },
    {
      name: 'exist path but valueFrom path non-existent array',
      each: gauge({
        path: ['status', 'condition_values'],
        labelsFromPath: { name: ['name'] },
        valueFrom: ['non-existent'],
      }),
      result: [],
    },
    {
      name: 'array',
      each: gauge({
        path: ['status', 'condition_values'],
        labelsFromPath: { name: ['name'] },
        valueFrom: ['value'],
      }),
      result: [v(45, 'name', 'a'), v(66, 'name', 'b')],
    },
    { name: 'timestamp', each: gauge({ path: ['metadata', 'creationTimestamp'] }), result: [v(1656374400)] },
    { name: 'quantity_milli', each: gauge({ path: ['status', 'quantity_milli'] }), result: [v(0.25)] },
    {
      name: 'quantity_binarySI',
      each: gauge({ path: ['status', 'quantity_binarySI'] }),
      result: [v(5.36870912e9)],
    },
    { name: 'percentage', each: gauge({ path: ['status', 'percentage'] }), result: [v(0.28)] },
    {
      name: 'path-relative valueFrom percentage',
      each: gauge({ path: ['metadata'], labelsFromPath: { name: ['name'] }, valueFrom: ['percentage'] }),
      result: [v(0.39, 'name', 'foo')],
    },
    { name: 'boolean_string', each: gauge({ path: ['spec', 'paused'], nilIsZero: true }), result: [v(0)] },
    {
      name: 'info',
      each: { type: 'Info', info: { labelsFromPath: { version: ['spec', 'version'] } } },
      result: [v(1, 'version', 'v0.0.0')],
    },
    { name: 'info nil path', each: { type: 'Info', info: { path: ['does', 'not', 'exist'] } }, result: [] },
    {
      name: 'info label from key',
      each: { type: 'Info', info: { path: ['status', 'active'], labelFromKey: 'type' } },
      result: [v(1, 'type', 'type-a'), v(1, 'type', 'type-b')],
    },
    {
      name: 'info label from path',
      each: { type: 'Info', info: { path: ['status', 'sub'], labelsFromPath: { active: ['active'] } } },
      result: [v(1, 'active', '1'), v(1, 'active', '3')],
    },
    {
      name: 'stateset',
      each: {
        type: 'StateSet',
        stateSet: { path: ['status', 'phase'], labelName: 'phase', list: ['foo', 'bar'] },
      },
      result: [v(0, 'phase', 'bar'), v(1, 'phase', 'foo')],
    },
    {
      name: 'stateset nil path',
      each: {
        type: 'StateSet',
        stateSet: { path: ['does', 'not', 'exist'], labelName: 'phase', list: ['foo', 'bar'] },
      },
      result: [],
    },
    {
      name: 'stateset nil valueFrom',
      each: {
        type: 'StateSet',
        stateSet: {
          path: ['status'],
          valueFrom: ['does', 'not', 'exist'],
          labelName: 'phase',
          list: ['foo', 'bar'],
        },
      },
      result: [],
    },
    {
      // kube-state-metrics' test says float64: its object is decoded by encoding/json.
      name: 'stateset non-string value',
      each: {
        type: 'StateSet',
        stateSet: { path: ['spec', 'replicas'], labelName: 'phase', list: ['1', '2'] },
      },
      result: [],
      errors: ['[spec,replicas]: expected value for path to be string, got int64'],
    },
    {
      name: 'stateset non-string valueFrom',
      each: {
        type: 'StateSet',
        stateSet: { path: ['status'], valueFrom: ['uptime'], labelName: 'phase', list: ['foo', 'bar'] },
      },
      result: [],
      errors: ['[status,uptime]: expected value for path to be string, got float64'],
    },
    {
      name: 'status_conditions',
      each: gauge({ path: ['status', 'conditions', '[type=Ready]', 'status'] }),
      result: [v(1)],
    },
    {
      name: 'status_conditions_all',
      each: gauge({
        path: ['status', 'conditions'],
        labelsFromPath: { type: ['type'] },
        valueFrom: ['status'],
      }),
      result: [v(0, 'type', 'Provisioned'), v(1, 'type', 'Ready')],
    },
    {
      name: '= expression matching',
      each: { type: 'Info', info: { labelsFromPath: { bar: ['metadata', 'annotations', 'bar=baz'] } } },
      result: [v(1, 'bar', 'baz')],
    },
  ];
  for (const c of cases) {
    const got = each(c.each);
    assert.deepEqual(got.result, c.result, c.name);
    assert.deepEqual(got.errors, c.errors ?? [], c.name);
  }
});

test('Test_addPathLabels: fields, * copies of maps with and without a prefix, a field over a copy', () => {
  const info = (labelsFromPath: Record<string, string[]>) =>
    each({ type: 'Info', info: { labelsFromPath } }).result.map((sample) => sample.labels);
  assert.deepEqual(
    info({
      bool: ['spec', 'order', '-1', 'value'],
      number: ['spec', 'replicas'],
      string: ['metadata', 'labels', 'foo'],
    }),
    [{ bool: 'false', number: '1', string: 'bar' }],
  );
  assert.deepEqual(
    info({
      '*1': ['metadata', 'annotations'],
      bar: ['metadata', 'labels', 'foo'],
      'label_object_*': ['metadata', 'annotations'],
    }),
    [{ bar: 'bar', label_object_bar: 'baz', label_object_qux: 'quxx', qux: 'quxx' }],
  );
  // An index past the end does not resolve: no label, not an error text.
  assert.deepEqual(
    each({ type: 'Info', info: { labelsFromPath: { idx: ['spec', 'order', '5'] } } }).result,
    [],
  );
});

test('Test_valuePath_Get: keys, [key=value] by string, number and boolean, indexes', () => {
  const cases: [unknown, string[]][] = [
    [1, ['spec', 'replicas']],
    [66, ['status', 'condition_values', '[name=b]', 'value']],
    [true, ['spec', 'order', '0', 'value']],
    ['bar', ['metadata', 'labels', 'foo']],
    [false, ['spec', 'order', '[id=3]', 'value']],
    [3, ['spec', 'order', '[value=false]', 'id']],
    [false, ['spec', 'order', '-1', 'value']],
    [undefined, ['spec', 'order', '-3', 'value']],
    [undefined, ['spec', 'order', 'x']],
    // `k=v` on a map gives v where the key holds it; else the key `k=v` itself.
    ['baz', ['metadata', 'annotations', 'bar=baz']],
    [undefined, ['metadata', 'annotations', 'bar=nope']],
  ];
  for (const [want, path] of cases) assert.deepEqual(getPath(compilePath(path), cr), want, path.join('.'));
});

test('compile errors name the field: an invalid list lookup in path or labelsFromPath of each type', () => {
  const bad = ['status', 'conditions', '[Ready]'];
  for (const [type, field] of [
    ['Gauge', 'gauge'],
    ['Info', 'info'],
    ['StateSet', 'stateSet'],
  ] as const) {
    for (const meta of [{ path: bad }, { labelsFromPath: { cond: bad } }]) {
      const spec = { type, [field]: { ...meta, labelName: 'state', list: [] } };
      assert.throws(
        () => each(spec),
        (error: Error) =>
          error instanceof KsmConfigError && /invalid list lookup: \[Ready\]/.test(error.message),
        `${type} ${Object.keys(meta)[0]}`,
      );
    }
  }
  assert.throws(() => each({ type: 'Gauge' }), /metrics\[0\]\.each: expected each.gauge to not be nil/);
  assert.throws(() => each({ type: 'Counter', gauge: {} }), /each.type: unknown metric type "counter"/);
});

test('Test_fullName: kube_customresource_ by default, none for "", the given prefix', () => {
  const metric = { name: 'count' } as never;
  const resource = (metricNamePrefix: string | null) => ({ metricNamePrefix }) as never;
  assert.equal(familyName(resource(null), metric), 'kube_customresource_count');
  assert.equal(familyName(resource(''), metric), 'count');
  assert.equal(familyName(resource('bar_baz'), metric), 'bar_baz_count');
});

test('TestNewCustomResourceMetrics: the group/version/kind labels join commonLabels; labelsFromPath merge', () => {
  const read = readKsmDocument({
    spec: {
      resources: [
        {
          groupVersionKind: { group: 'apps', version: 'v1', kind: 'Deployment' },
          labelsFromPath: { name: ['metadata', 'name'] },
          commonLabels: { hello: 'world' },
          metricNamePrefix: 'apps_deployment',
          metrics: [
            {
              name: 'test_metrics',
              help: 'metrics for testing',
              each: { type: 'Info', info: { path: ['metadata', 'annotations'], labelFromKey: 'test' } },
            },
          ],
        },
      ],
    },
  });
  assert.ok(read.ok);
  const [family] = compileResource(
    read.document.spec.resources[0] as never,
    { group: 'apps', version: 'v1', kind: 'Deployment' },
    'r',
  );
  assert.equal(family?.name, 'apps_deployment_test_metrics');
  assert.deepEqual(family?.labels, {
    hello: 'world',
    customresource_group: 'apps',
    customresource_version: 'v1',
    customresource_kind: 'Deployment',
  });
  assert.deepEqual(
    family?.labelsFromPath.map((label) => label.name),
    ['name'],
  );
});

test("Test_Metrics_deserialization: kube-state-metrics' example config loads; its unknown key is reported, not fatal", () => {
  const text = readFileSync(join(import.meta.dirname, 'testdata/ksm-example-config.yaml'), 'utf8');
  const read = readKsmDocument(text);
  assert.ok(read.ok, JSON.stringify(read));
  const resource = read.document.spec.resources[0];
  assert.equal(resource?.metrics[0]?.name, 'active_count');
  const families = compileResource(resource as never, resource?.groupVersionKind as never, 'r');
  assert.deepEqual(
    families[1]?.labelsFromPath.map((label) => label.name),
    ['name'],
  );
  assert.equal(families[1]?.errorLogV, 5);
  // `value: [count]` is no field of a gauge: kube-state-metrics ignores it.
  assert.deepEqual(ignoredKeys(read.input), ['spec.resources[0].metrics[0].each.gauge.value']);
});

test('refused as kube-state-metrics refuses: a wrong shape, named by its field', () => {
  const read = readKsmDocument(
    'spec:\n  resources:\n    - groupVersionKind: {group: a.io, version: v1, kind: A}\n      labelsFromPath:\n        name: metadata.name\n',
  );
  assert.ok(!read.ok);
  assert.match(read.problems.join(), /spec\.resources\[0\]\.labelsFromPath\.name: /);
  const dup = readKsmDocument('spec: {}\nspec: {}\n');
  assert.ok(!dup.ok, 'a repeated key, as yaml.v3 refuses it');
});

test('values: quantities, timestamps, percentages and words as toFloat64 reads them', () => {
  const cases: [unknown, number | string][] = [
    ['250m', 0.25],
    ['5Gi', 5368709120],
    ['1e3', 1000],
    ['1E', 1e18],
    ['1.5', 1.5],
    ['.5', 0.5],
    ['-', 0],
    ['0.0000000001', 1e-9],
    ['28%', 0.28],
    ['28.5%', 'strconv.ParseFloat: parsing "28.5%": invalid syntax'],
    ['Yes', 1],
    ['unknown', 0],
    ['2022-06-28T00:00:00Z', 1656374400],
    ['2022-06-28T02:00:00.9+02:00', 1656374400],
    ['2022-02-30T00:00:00Z', 'strconv.ParseFloat: parsing "2022-02-30T00:00:00Z": invalid syntax'],
    ['inf', Number.POSITIVE_INFINITY],
    ['NaN', Number.NaN],
    ['0x1p4', 16],
    [' 1', 'strconv.ParseFloat: parsing " 1": invalid syntax'],
    [null, 'expected number but found nil value'],
    [{ a: 1 }, 'expected number but was map[a:1]'],
  ];
  for (const [input, want] of cases) {
    const got = ksmFloat(input, false);
    if (typeof want === 'string') assert.deepEqual(got, { error: want }, String(input));
    else assert.deepEqual(got, { value: want }, String(input));
  }
  assert.equal(quantityFloat('1Ki'), 1024);
  assert.equal(quantityFloat('1K'), undefined);
  assert.equal(rfc3339Seconds('2022-06-28t00:00:00Z'), undefined);
});

test("label values as Go's %v prints them: int64, float64, maps and lists", () => {
  const cases: [unknown, string][] = [
    [1, '1'],
    [43.21, '43.21'],
    [1e21, '1e+21'],
    [1234567.5, '1.2345675e+06'],
    [0.00001, '1e-05'],
    [true, 'true'],
    [{ b: [1, 'x'], a: null }, 'map[a:<nil> b:[1 x]]'],
  ];
  for (const [input, want] of cases) assert.equal(goText(input), want, JSON.stringify(input));
});

test('discovery: served versions of a CRD; * and empty match every version and kind of the group', () => {
  const crd = {
    spec: {
      group: 'myteam.io',
      names: { kind: 'Foo', plural: 'foos' },
      versions: [{ name: 'v1' }, { name: 'v2', served: true }, { name: 'v0', served: false }],
    },
  };
  const bar = {
    spec: { group: 'myteam.io', names: { kind: 'Bar', plural: 'bars' }, versions: [{ name: 'v1' }] },
  };
  const served = [...servedKinds(crd), ...servedKinds(bar)];
  assert.deepEqual(
    served.map((kind) => `${kind.version}/${kind.kind}/${kind.plural}`),
    ['v1/Foo/foos', 'v2/Foo/foos', 'v1/Bar/bars'],
  );
  const ids = (gvk: { group: string; version: string; kind: string }) =>
    resolveKinds(gvk, served).map((kind) => `${kind.version}/${kind.kind}`);
  assert.deepEqual(ids({ group: 'myteam.io', version: '*', kind: '*' }), ['v1/Foo', 'v2/Foo', 'v1/Bar']);
  assert.deepEqual(ids({ group: 'myteam.io', version: 'v1', kind: '*' }), ['v1/Foo', 'v1/Bar']);
  assert.deepEqual(ids({ group: 'myteam.io', version: '', kind: 'Foo' }), ['v1/Foo', 'v2/Foo']);
  assert.deepEqual(ids({ group: 'myteam.io', version: 'v0', kind: 'Foo' }), [], 'a version not served');
  assert.deepEqual(ids({ group: 'other.io', version: 'v1', kind: 'Foo' }), []);
});
