/**
 * Our Custom Resource State series against kube-state-metrics' own code (test/peers/ksm, crs-eval:
 * its pkg/customresourcestate at v2.20.0, fed the same document and objects, objects decoded as
 * client-go decodes them). The documented examples of docs/metrics/extend/customresourcestate-
 * metrics.md on its Foo object, a table of values at the edges of its conversions, and random
 * objects and paths: every series (name, labels, value) the same, none more, none fewer.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { readKsmDocument } from '../../instruments/crds/ksm-config.js';
import { compileResource, familySeries } from '../../instruments/crds/ksm-series.js';
import { peerPath } from '../support/peers.js';

type KsmObject = Record<string, unknown>;

/** A series as one line: `name{a="x",b="y"} value`, the value as Go's %v writes it. */
function theirs(config: string, objects: readonly KsmObject[]): string[] {
  const out = execFileSync(peerPath('crs-eval'), {
    input: JSON.stringify({ config, objects }),
    encoding: 'utf8',
    stdio: ['pipe', 'pipe', 'ignore'],
    maxBuffer: 256 * 1024 * 1024,
  });
  return out
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      const parsed = JSON.parse(line) as {
        error?: string;
        name: string;
        labels: Record<string, string>;
        value: string;
      };
      if (parsed.error) return `error: ${parsed.error}`;
      return seriesLine(parsed.name, parsed.labels, goNumber(parsed.value));
    })
    .sort();
}

/** Go's %v of a float64 back to a number (`+Inf` is no JavaScript number text). */
const goNumber = (text: string) =>
  text === '+Inf' ? Number.POSITIVE_INFINITY : text === '-Inf' ? Number.NEGATIVE_INFINITY : Number(text);

function seriesLine(name: string, labels: Readonly<Record<string, string>>, value: number): string {
  const text = Object.keys(labels)
    .sort()
    .map((key) => `${key}=${JSON.stringify(labels[key])}`)
    .join(',');
  return `${name}{${text}} ${Number.isNaN(value) ? 'NaN' : String(value)}`;
}

function ours(config: string, objects: readonly KsmObject[]): string[] {
  const read = readKsmDocument(config);
  assert.ok(read.ok, JSON.stringify(read));
  const lines: string[] = [];
  read.document.spec.resources.forEach((resource, index) => {
    for (const family of compileResource(resource, resource.groupVersionKind, `spec.resources[${index}]`)) {
      for (const object of objects) {
        for (const sample of familySeries(family, object).samples)
          lines.push(seriesLine(family.name, sample.labels, sample.value));
      }
    }
  });
  return lines.sort();
}

function same(config: string, objects: readonly KsmObject[], what: string): void {
  const expected = theirs(config, objects);
  assert.ok(!expected.some((line) => line.startsWith('error: ')), `${what}: ${expected.join('\n')}`);
  assert.deepEqual(ours(config, objects), expected, what);
}

/** The docs' Foo (its `apiVersion: myteam.io/vl` typo fixed). */
const FOO: KsmObject = {
  kind: 'Foo',
  apiVersion: 'myteam.io/v1',
  metadata: { annotations: { bar: 'baz', qux: 'quxx' }, labels: { foo: 'bar' }, name: 'foo' },
  spec: {
    version: 'v1.2.3',
    order: [
      { id: 1, value: true },
      { id: 3, value: false },
    ],
    replicas: 1,
    refs: ['my_other_foo', 'foo_2', 'foo_with_extensions'],
  },
  status: {
    phase: 'Pending',
    active: { 'type-a': 1, 'type-b': 3 },
    conditions: [
      { name: 'a', value: 45 },
      { name: 'b', value: 66 },
    ],
    sub: { 'type-a': { active: 1, ready: 2 }, 'type-b': { active: 3, ready: 4 } },
    uptime: 43.21,
  },
};

const resource = (body: string) => `kind: CustomResourceStateMetrics
spec:
  resources:
    - groupVersionKind:
        group: myteam.io
        kind: "Foo"
        version: "v1"
${body}`;

const DOCUMENTED: Record<string, string> = {
  'single values': resource(`      metrics:
        - name: "uptime"
          help: "Foo uptime"
          each:
            type: Gauge
            gauge:
              path: [status, uptime]
`),
  'multiple metrics / kitchen sink': resource(`      commonLabels:
        crd_type: "foo"
      labelsFromPath:
        name: [metadata, name]
      metrics:
        - name: "ready_count"
          help: "Number Foo Bars ready"
          each:
            type: Gauge
            gauge:
              path: [status, sub]
              labelFromKey: type
              labelsFromPath:
                active: [active]
              valueFrom: [ready]
          commonLabels:
            custom_metric: "yes"
          labelsFromPath:
            "*": [metadata, labels]
            "lorem_*": [metadata, annotations]
            "**": [metadata, annotations]
            name: [metadata, name]
            foo: [metadata, labels, foo]
`),
  'non-map arrays': resource(`      labelsFromPath:
        name: [metadata, name]
      metrics:
        - name: "ref_info"
          help: "Reference to other Foo"
          each:
            type: Info
            info:
              path: [spec, refs]
              labelsFromPath:
                ref: []
`),
  'status conditions': resource(`      labelsFromPath:
        name:
        - metadata
        - name
        namespace:
        - metadata
        - namespace
      metrics:
      - name: "foo_status"
        help: "status condition "
        each:
          type: Gauge
          gauge:
            path: [status, conditions]
            labelsFromPath:
              type: ["name"]
            valueFrom: ["value"]
`),
  stateset: resource(`      metrics:
        - name: "status_phase"
          help: "Foo status_phase"
          each:
            type: StateSet
            stateSet:
              labelName: phase
              path: [status, phase]
              list: [Pending, Bar, Baz]
`),
  info: resource(`      metrics:
        - name: "version"
          help: "Foo version"
          each:
            type: Info
            info:
              labelsFromPath:
                version: [spec, version]
`),
  'metricNamePrefix given': resource(`      metricNamePrefix: myteam_foos
      metrics:
        - name: uptime
          each: {type: Gauge, gauge: {path: [status, uptime]}}
`),
  'metricNamePrefix empty': resource(`      metricNamePrefix: ""
      metrics:
        - name: uptime
          each: {type: Gauge, gauge: {path: [status, uptime]}}
`),
  'path syntax': resource(`      metrics:
        - name: order_value
          each: {type: Gauge, gauge: {path: [spec, order, "0", value]}}
        - name: condition_a
          each: {type: Gauge, gauge: {path: [status, conditions, "[name=a]", value]}}
        - name: condition_66
          each: {type: Info, info: {labelsFromPath: {name: [status, conditions, "[value=66]", name]}}}
        - name: name_match
          each: {type: Info, info: {labelsFromPath: {name: [metadata, "name=foo"]}}}
        - name: active_map
          each: {type: Info, info: {path: [status, active], labelFromKey: type}}
`),
};

test("kube-state-metrics' documented examples on its Foo: the same series", () => {
  for (const [what, config] of Object.entries(DOCUMENTED)) same(config, [FOO], what);
});

test('values at the edges of its conversions: the same numbers and label texts', () => {
  const values: unknown[] = [
    ...['250m', '5Gi', '1e3', '1E', '1.5', '.5', '-', '+.', '5.', '0.0000000001', '1e-20', '1e400', '-1.5E2'],
    ...[
      '28%',
      '28.5%',
      '100%',
      'Yes',
      'NO',
      'unknown',
      'True',
      'inf',
      '-Infinity',
      'NaN',
      '0x1p4',
      ' 1',
      '1K',
      '1m3',
    ],
    ...[
      '2022-06-28T00:00:00Z',
      '2022-06-28T02:00:00.9+02:00',
      '2022-02-30T00:00:00Z',
      '2022-06-28t00:00:00Z',
    ],
    ...['0.1Mi', '1.5Gi', '9223372036854775807Ki', '123456789012345678901', '1.23456789012345678901', '007'],
    ...[1, 43.21, 1e21, 1234567.5, 0.00001, 1e6, 123456.7, 1.5e-7, 2 ** 53 + 2, 1e300, -5, true, false, null],
    { b: [1, 'x'], a: null },
    ['a', 2],
  ];
  const config = `spec:
  resources:
  - groupVersionKind: {group: g.io, version: v1, kind: K}
    labelsFromPath: {name: [metadata, name]}
    metrics:
    - name: value
      each: {type: Gauge, gauge: {path: [spec, v]}}
    - name: value_nil_is_zero
      each: {type: Gauge, gauge: {path: [spec, v], nilIsZero: true}}
    - name: text
      each: {type: Info, info: {labelsFromPath: {text: [spec, v]}}}
    - name: state
      each: {type: StateSet, stateSet: {path: [spec, v], labelName: s, list: ["250m", "Yes", "true"]}}
`;
  const objects = values.map((v, index) => ({
    apiVersion: 'g.io/v1',
    kind: 'K',
    metadata: { name: `o${index}` },
    spec: { v },
  }));
  same(config, objects, 'values');
});

/** A small deterministic generator (mulberry32), so a failure is reproducible from its seed. */
function random(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test('random objects and paths: the same series (maps, lists, [k=v], negative indexes, * copies)', () => {
  const next = random(20261203);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  const keys = ['a', 'b', 'c', 'x-y', 'n.m', '1'];
  const scalars: unknown[] = [0, 1, 2.5, -3, 1e6, 'a', 'b', '1', '250m', 'true', 'Ready', true, false, null];
  const value = (depth: number): unknown => {
    const roll = next();
    if (depth > 2 || roll < 0.5) return pick(scalars);
    if (roll < 0.75)
      return Object.fromEntries(keys.filter(() => next() < 0.5).map((key) => [key, value(depth + 1)]));
    return Array.from({ length: Math.floor(next() * 4) }, () => value(depth + 1));
  };
  const segment = () => pick([...keys, '0', '-1', '5', '[a=1]', '[b=true]', '[c=a]', 'a=1', 'b=a']);
  const path = () =>
    `[${Array.from({ length: 1 + Math.floor(next() * 3) }, () => JSON.stringify(segment())).join(', ')}]`;
  const objects = Array.from({ length: 60 }, (_, index) => ({
    apiVersion: 'g.io/v1',
    kind: 'K',
    metadata: { name: `r${index}`, labels: { app: 'x', 'team.io/name': 'y' } },
    spec: Object.fromEntries(keys.map((key) => [key, value(0)])),
  }));
  for (let round = 0; round < 20; round++) {
    const config = `spec:
  resources:
  - groupVersionKind: {group: g.io, version: v1, kind: K}
    labelsFromPath: {name: [metadata, name], "*": [metadata, labels]}
    metrics:
    - name: g
      each: {type: Gauge, gauge: {path: [spec, ${JSON.stringify(pick(keys))}], labelFromKey: key, valueFrom: ${pick(['[]', path()])}, labelsFromPath: {l: ${path()}}}}
    - name: i
      each: {type: Info, info: {path: [spec, ${JSON.stringify(pick(keys))}], labelFromKey: key, labelsFromPath: {l: ${path()}, "p_*": ${path()}}}}
    - name: s
      each: {type: StateSet, stateSet: {path: ${path()}, labelName: st, list: [a, b, "1"], valueFrom: ${pick(['[]', path()])}}}
`;
    same(config, objects, `round ${round}:\n${config}`);
  }
});
