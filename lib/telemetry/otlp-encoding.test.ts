/**
 * Our OTLP request encoder against the stock one: the same bytes for the same collection, over a
 * corpus of awkward values, so that what a Collector decodes cannot differ.
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
} from '@opentelemetry/sdk-metrics';
import type { MetricDeclaration } from './declaration.js';
import { encodeMetricsRequest } from './otlp-encoding.js';
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

test('the request bytes are the stock serializer’s, for a corpus of awkward values', () => {
  const collection = corpus();
  const ours = Buffer.from(encodeMetricsRequest(collection));
  const stock = Buffer.from(ProtobufMetricsSerializer.serializeRequest(collection) as Uint8Array);
  assert.ok(stock.length > 300_000, 'the corpus spans multi-byte lengths at every level');
  assert.equal(ours.length, stock.length);
  assert.ok(ours.equals(stock), `first difference at byte ${ours.findIndex((byte, i) => byte !== stock[i])}`);
});

test('each metric alone, and an empty collection, encode as the stock serializer does', () => {
  const collection = corpus();
  for (const scope of collection.scopeMetrics) {
    for (const metric of scope.metrics) {
      const alone: ResourceMetrics = {
        resource: collection.resource,
        scopeMetrics: [{ ...scope, metrics: [metric] }],
      };
      assert.ok(
        Buffer.from(encodeMetricsRequest(alone)).equals(
          Buffer.from(ProtobufMetricsSerializer.serializeRequest(alone) as Uint8Array),
        ),
        metric.descriptor.name,
      );
    }
  }
  const none: ResourceMetrics = { resource: resourceFromAttributes({}), scopeMetrics: [] };
  assert.ok(
    Buffer.from(encodeMetricsRequest(none)).equals(
      Buffer.from(ProtobufMetricsSerializer.serializeRequest(none) as Uint8Array),
    ),
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
  assert.ok(
    Buffer.from(encodeMetricsRequest(resourceMetrics)).equals(
      Buffer.from(ProtobufMetricsSerializer.serializeRequest(resourceMetrics) as Uint8Array),
    ),
  );
  await p.shutdown();
});
