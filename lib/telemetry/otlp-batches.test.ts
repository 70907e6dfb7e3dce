import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ExportResultCode } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { DataPointType, type MetricData, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { OtlpReceiver } from '../../test/support/otlp-receiver.js';
import type { MetricDeclaration } from './declaration.js';
import { grpcExporter } from './otlp-grpc.js';
import { TelemetryPipeline } from './pipeline.js';
import { POINTS_PER_REQUEST, splitByPoints } from './readers.js';

function gaugeData(name: string, points: number): MetricData {
  return {
    descriptor: { name, description: '', unit: '', type: 'OBSERVABLE_GAUGE', valueType: 1 },
    aggregationTemporality: 1,
    dataPointType: DataPointType.GAUGE,
    dataPoints: Array.from({ length: points }, (_, i) => ({
      startTime: [0, 0],
      endTime: [0, 0],
      attributes: { i: String(i) },
      value: i,
    })),
  } as unknown as MetricData;
}

test('a collection is split into requests of at most N points, keeping every point once and in order', () => {
  const scope = { name: 'sealos-state-metrics' };
  const metrics: ResourceMetrics = {
    resource: resourceFromAttributes({}),
    scopeMetrics: [{ scope, metrics: [gaugeData('empty', 0), gaugeData('two', 2), gaugeData('seven', 7)] }],
  };
  const batches = splitByPoints(metrics, 3);
  const sizes = batches.map((b) =>
    b.scopeMetrics.flatMap((s) => s.metrics).reduce((n, m) => n + m.dataPoints.length, 0),
  );
  assert.deepEqual(sizes, [3, 3, 3]);
  const flattened = batches.flatMap((b) =>
    b.scopeMetrics.flatMap((s) =>
      s.metrics.flatMap((m) => m.dataPoints.map((p) => `${m.descriptor.name}:${p.value}`)),
    ),
  );
  assert.deepEqual(flattened, [
    'two:0',
    'two:1',
    'seven:0',
    'seven:1',
    'seven:2',
    'seven:3',
    'seven:4',
    'seven:5',
    'seven:6',
  ]);
  assert.ok(
    batches.every((b) => b.resource === metrics.resource && b.scopeMetrics.every((s) => s.scope === scope)),
  );
  assert.deepEqual(splitByPoints({ resource: metrics.resource, scopeMetrics: [] }, 3), []);
});

test('an export bigger than a Collector accepts in one message arrives whole, in several requests', async (t) => {
  // A Collector's default receive limit: 4 MiB. 40k points are about 6 MiB in one message.
  const receiver = await OtlpReceiver.start({ maxMessageBytes: 4 * 2 ** 20 });
  t.after(() => receiver.stop());
  const results: number[] = [];
  const pipeline = new TelemetryPipeline({
    namespace: 'sealos',
    resource: resourceFromAttributes({ 'service.name': 'test' }),
    otlp: {
      intervalMs: 3_600_000,
      timeoutMs: 10_000,
      exporter: grpcExporter({
        endpoint: `http://127.0.0.1:${receiver.port}`,
        headers: {},
        intervalMs: 3_600_000,
        timeoutMs: 10_000,
        insecure: true,
        compression: 'none',
        caFile: '',
        clientCertFile: '',
        clientKeyFile: '',
      }),
      report: (result) => results.push(result.code),
    },
  });
  const declaration = {
    name: 'test_objects',
    kind: 'gauge',
    unit: '{object}',
    help: 'Many objects.',
    labels: ['namespace', 'name', 'uid'],
  } as const satisfies MetricDeclaration;
  const items = Array.from({ length: 40_000 }, (_, i) => i);
  pipeline.sink.observeEach(
    declaration,
    () => items,
    (i, observe) =>
      observe(i, {
        namespace: `namespace-${i % 100}`,
        name: `object-${i}`,
        uid: `550e8400-e29b-41d4-a716-${i}`,
      }),
  );
  await pipeline.flush();
  const values = receiver.exports.flatMap((e) => e.points.map((p) => p.value)).sort((a, b) => a - b);
  assert.equal(values.length, items.length);
  assert.deepEqual(values, items);
  assert.ok(receiver.exports.length >= items.length / POINTS_PER_REQUEST);
  // Each request is reported, and each succeeded.
  assert.deepEqual(
    results,
    receiver.exports.map(() => ExportResultCode.SUCCESS),
  );
  await pipeline.shutdown();
});
