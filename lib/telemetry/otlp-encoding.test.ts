/**
 * Our OTLP request encoder against the stock one: the same bytes for the same points, cut into
 * requests as the SDK's splitter cuts a collection, over a corpus of awkward values, so that
 * what a Collector decodes cannot differ.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ValueType } from '@opentelemetry/api';
import { ProtobufMetricsSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AggregationTemporality,
  DataPointType,
  type MetricData,
  type ResourceMetrics,
  type ScopeMetrics,
} from '@opentelemetry/sdk-metrics';
import { decodeRequest } from '../../test/support/otlp-receiver.js';
import { splitByPoints } from '../../test/support/otlp-split.js';
import type { MetricDeclaration } from './declaration.js';
import { type EncodedRequest, encodeCollection, RequestBuffers, RequestStream } from './otlp-encoding.js';
import { TelemetryPipeline } from './pipeline.js';

const strings = [
  'plain',
  '',
  'with "quotes" and \\ and\nnewline',
  'ünïcödé ✓',
  '日本語のラベル',
  'emoji 🚀 and ZWJ 👩‍💻',
  'lone surrogate \ud800 here',
  'x'.repeat(127),
  'y'.repeat(128),
  'z'.repeat(20_000),
  `é${'a'.repeat(300)}`,
];

const descriptor = (name: string, valueType = ValueType.DOUBLE, description = 'help', unit = '{thing}') => ({
  name,
  description,
  unit,
  valueType,
});

function corpus(): ResourceMetrics {
  const start: [number, number] = [1_764_000_000, 123_456_789];
  const end: [number, number] = [4_294_967_296 * 2, 999_999_999];
  const awkward: MetricData = {
    descriptor: descriptor('awkward_labels'),
    aggregationTemporality: AggregationTemporality.DELTA,
    dataPointType: DataPointType.GAUGE,
    dataPoints: strings.flatMap((value, i) =>
      strings.map((other, j) => ({
        startTime: start,
        endTime: end,
        attributes: { name: value, other, index: `${i}-${j}` },
        value: i * 31 + j + 0.5,
      })),
    ),
  };
  const values: MetricData = {
    descriptor: descriptor('special_values', ValueType.DOUBLE, '', ''),
    aggregationTemporality: AggregationTemporality.DELTA,
    dataPointType: DataPointType.GAUGE,
    dataPoints: [Number.NaN, Number.POSITIVE_INFINITY, -0, 5e-324, 1.7976931348623157e308, -42.5].map(
      (value, i) => ({ startTime: start, endTime: end, attributes: { case: String(i) }, value }),
    ),
  };
  const counter: MetricData = {
    descriptor: descriptor('events'),
    aggregationTemporality: AggregationTemporality.CUMULATIVE,
    dataPointType: DataPointType.SUM,
    isMonotonic: true,
    dataPoints: [{ startTime: start, endTime: end, attributes: {}, value: 7 }],
  };
  const deltaSum: MetricData = {
    descriptor: descriptor('int_sum', ValueType.INT),
    aggregationTemporality: AggregationTemporality.DELTA,
    dataPointType: DataPointType.SUM,
    isMonotonic: false,
    dataPoints: [-3, 0, 2 ** 40].map((value) => ({
      startTime: start,
      endTime: end,
      attributes: { mixed: value, flag: value > 0, words: ['a', 'ü'], numbers: [1, 2.5], nested: 'n' },
      value,
    })),
  };
  const many: MetricData = {
    descriptor: descriptor('many_points'),
    aggregationTemporality: AggregationTemporality.DELTA,
    dataPointType: DataPointType.GAUGE,
    dataPoints: Array.from({ length: 5_000 }, (_, i) => ({
      startTime: start,
      endTime: end,
      attributes: { namespace: `ns-${i % 7}`, pod: `pod-${i}-${'p'.repeat(i % 50)}` },
      value: i,
    })),
  };
  const empty: MetricData = {
    descriptor: descriptor('no_points'),
    aggregationTemporality: AggregationTemporality.DELTA,
    dataPointType: DataPointType.GAUGE,
    dataPoints: [],
  };
  return {
    resource: resourceFromAttributes({
      'service.name': 'sealos-state-metrics',
      'service.instance.id': 'pod-1',
      'host.count': 3,
      negative: -17,
      big: 2 ** 53,
      ratio: 0.25,
      enabled: false,
      list: ['x', 'ü'],
    }),
    scopeMetrics: [
      { scope: { name: 'sealos-state-metrics' }, metrics: [awkward, values, counter] },
      {
        scope: { name: 'second', version: '1.2.3', schemaUrl: 'https://example.com/s' },
        metrics: [deltaSum, many, empty],
      },
    ],
  };
}

const decodePoints = (bytes: Uint8Array) =>
  decodeRequest(bytes).flatMap((received) =>
    received.points.map((point) => `${point.metric}:${point.value}`),
  );

const stock = (metrics: ResourceMetrics) =>
  Buffer.from(ProtobufMetricsSerializer.serializeRequest(metrics) as Uint8Array);

/** The metrics with points: the stream never begins a metric that has none. */
function withPoints(metrics: ResourceMetrics): ResourceMetrics {
  return {
    resource: metrics.resource,
    scopeMetrics: metrics.scopeMetrics
      .map((scope) => ({ ...scope, metrics: scope.metrics.filter((m) => m.dataPoints.length > 0) }))
      .filter((scope) => scope.metrics.length > 0),
  };
}

/** The corpus's metric with the fewest points, at least one. */
function smallest(metrics: ResourceMetrics): MetricData {
  const all = metrics.scopeMetrics.flatMap((scope) => scope.metrics).filter((m) => m.dataPoints.length > 0);
  return all.reduce((a, b) => (b.dataPoints.length < a.dataPoints.length ? b : a));
}

function assertSameBytes(ours: Uint8Array, theirs: Buffer, what: string): void {
  const mine = Buffer.from(ours);
  assert.equal(mine.length, theirs.length, `${what}: length`);
  assert.ok(
    mine.equals(theirs),
    `${what}: first difference at byte ${mine.findIndex((b, i) => b !== theirs[i])}`,
  );
}

test('the request bytes are the stock serializer’s, for a corpus of awkward values', () => {
  const collection = corpus();
  const [ours, ...more] = encodeCollection(collection);
  assert.ok(ours !== undefined && more.length === 0, 'no limits: one request');
  const theirs = stock(withPoints(collection));
  assert.ok(theirs.length > 300_000, 'the corpus spans multi-byte lengths at every level');
  assertSameBytes(ours.bytes, theirs, 'whole corpus');
  assert.equal(ours.points, 121 + 6 + 1 + 3 + 5_000);
});

test('cut into requests of N points, each request is the stock bytes of the SDK-style split', () => {
  const collection = corpus();
  for (const limit of [1, 3, 7, 121, 122, 1_000, 5_131]) {
    const ours = encodeCollection(collection, { points: limit, bytes: Number.POSITIVE_INFINITY });
    const batches = splitByPoints(withPoints(collection), limit);
    assert.equal(ours.length, batches.length, `limit ${limit}: requests`);
    for (const [index, batch] of batches.entries()) {
      assertSameBytes(
        (ours[index] as EncodedRequest).bytes,
        stock(batch),
        `limit ${limit}, request ${index}`,
      );
      const points = batch.scopeMetrics
        .flatMap((s) => s.metrics)
        .reduce((n, m) => n + m.dataPoints.length, 0);
      assert.equal(ours[index]?.points, points);
      assert.ok(points <= limit);
    }
  }
});

test('buffers kept from one export leave nothing of it in the next: the bytes stay the stock ones', () => {
  const collection = corpus();
  const small: ResourceMetrics = {
    resource: collection.resource,
    scopeMetrics: [{ ...(collection.scopeMetrics[0] as ScopeMetrics), metrics: [smallest(collection)] }],
  };
  const buffers = new RequestBuffers();
  // Large, then small (the kept writers hold the large one's bytes past its end), then large cut up.
  for (const [what, metrics, limit] of [
    ['corpus', collection, Number.POSITIVE_INFINITY],
    ['one metric', small, Number.POSITIVE_INFINITY],
    ['corpus by 7', collection, 7],
    ['corpus again', collection, Number.POSITIVE_INFINITY],
  ] as const) {
    const requests = encodeCollection(metrics, { points: limit, bytes: Number.POSITIVE_INFINITY }, buffers);
    const batches = splitByPoints(withPoints(metrics), limit);
    assert.equal(requests.length, batches.length, `${what}: requests`);
    for (const [index, batch] of batches.entries()) {
      const request = requests[index] as EncodedRequest;
      assertSameBytes(request.bytes, stock(batch), `${what}, request ${index}`);
      // Answered: its buffer may serve the next request.
      request.release?.();
    }
  }
});

test('each metric alone encodes as the stock serializer does; no points, no request', () => {
  const collection = corpus();
  for (const scope of collection.scopeMetrics) {
    for (const metric of scope.metrics) {
      const alone: ResourceMetrics = {
        resource: collection.resource,
        scopeMetrics: [{ ...scope, metrics: [metric] }],
      };
      const requests = encodeCollection(alone);
      if (metric.dataPoints.length === 0) assert.deepEqual(requests, [], metric.descriptor.name);
      else assertSameBytes((requests[0] as EncodedRequest).bytes, stock(alone), metric.descriptor.name);
    }
  }
  assert.deepEqual(encodeCollection({ resource: resourceFromAttributes({}), scopeMetrics: [] }), []);
});

test('a byte bound closes a request at the point that reaches it; every point arrives once, in order', () => {
  const collection = corpus();
  const bound = 64 * 1024;
  const requests = encodeCollection(collection, { points: Number.POSITIVE_INFINITY, bytes: bound });
  assert.ok(requests.length > 5, `${requests.length} requests`);
  // The 20k-character labels make single points of ~40-60 KiB: a request is over the bound by
  // at most its last point.
  for (const request of requests)
    assert.ok(request.bytes.length < bound + 64 * 1024, `${request.bytes.length}`);
  const decoded = requests.flatMap((request) => decodePoints(request.bytes));
  const expected = withPoints(collection).scopeMetrics.flatMap((scope) =>
    scope.metrics.flatMap((metric) =>
      metric.dataPoints.map((point) => `${metric.descriptor.name}:${point.value}`),
    ),
  );
  assert.deepEqual(decoded, expected);
});

test('a metric not begun final is held until it ends, and leaves nothing behind when abandoned', () => {
  const requests: EncodedRequest[] = [];
  const stream = new RequestStream({ attributes: { 'service.name': 'x' } }, { points: 3, bytes: 1e9 }, (r) =>
    requests.push(r),
  );
  stream.scope({ name: 'sealos-state-metrics' });
  const shape = (name: string) => ({
    name,
    description: 'd',
    unit: '1',
    integer: false,
    startTime: [1, 0] as [number, number],
    endTime: [2, 0] as [number, number],
  });
  stream.begin(shape('kept'), true);
  stream.point(1, { a: '1' });
  stream.end();
  stream.begin(shape('void'), false);
  for (let i = 0; i < 10; i++) stream.point(100 + i, { a: String(i) });
  assert.equal(requests.length, 0, 'nothing of an open, not final metric goes out');
  stream.abandon();
  stream.begin(shape('held'), false);
  for (let i = 0; i < 7; i++) stream.point(200 + i, { a: String(i) });
  assert.equal(requests.length, 0);
  stream.end();
  assert.equal(requests.length, 2, 'once it ends, the full requests go out');
  stream.finish();
  assert.deepEqual(
    requests.map((r) => decodePoints(r.bytes)),
    [
      ['kept:1', 'held:200', 'held:201'],
      ['held:202', 'held:203', 'held:204'],
      ['held:205', 'held:206'],
    ],
  );
});

test('what the pipeline exports encodes as the stock serializer would, keyed objects included', async () => {
  const declaration = {
    name: 'encoded_objects',
    kind: 'gauge',
    unit: '{object}',
    help: 'Objects.',
    labels: ['namespace', 'name', 'instance'],
    resourceLabels: ['instance'],
  } as const satisfies MetricDeclaration;
  const p = new TelemetryPipeline({
    namespace: 'sealos',
    resource: resourceFromAttributes({ 'service.name': 'x' }),
    inspect: true,
  });
  const objects = new Map(strings.map((name, i) => [String(i), { name, value: i }] as const));
  p.sink.observeObjects(
    declaration,
    () => objects,
    (item, observe) => observe(item.value, { namespace: 'ns', name: item.name, instance: 'i' }),
  );
  await p.scrape('text'); // the objects are cached before the export reads them
  const { resourceMetrics } = await p.collectOtlp();
  assertSameBytes(
    (encodeCollection(resourceMetrics)[0] as EncodedRequest).bytes,
    stock(resourceMetrics),
    'pipeline',
  );
  await p.shutdown();
});
