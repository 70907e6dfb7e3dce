/**
 * The streamed OTLP export: what it sends is what a collection holds, cut into bounded requests,
 * sent one at a time while the next is written, stopped by a failure, on the SDK reader's
 * schedule.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { DataPointType, type MetricData, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { decodeRequest, OtlpReceiver } from '../../test/support/otlp-receiver.js';
import { splitByPoints } from '../../test/support/otlp-split.js';
import { testEvents, testObjects } from '../../test/support/test-metrics.js';
import type { MetricDeclaration } from './declaration.js';
import { type EncodedRequest, encodeCollection } from './otlp-encoding.js';
import { grpcSender } from './otlp-grpc.js';
import type { RequestSender } from './otlp-push.js';
import { TelemetryPipeline } from './pipeline.js';

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

test('the oracle splitter: at most N points a request, every point once and in order', () => {
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
  assert.deepEqual(splitByPoints({ resource: metrics.resource, scopeMetrics: [] }, 3), []);
});

const objects = testObjects;
const keyedObjects = { ...objects, name: 'test_keyed_objects' } as const satisfies MetricDeclaration;
const events = testEvents;
const repeated = {
  name: 'test_repeated',
  kind: 'gauge',
  unit: '1',
  help: 'One series observed twice: the last value stands.',
  labels: ['name'],
} as const satisfies MetricDeclaration;
const broken = { ...repeated, name: 'test_broken', help: 'Its callback throws.' } as const;

/** A sender that records each request and answers as `answer` says, when `answer` says. */
class RecordingSender implements RequestSender {
  readonly requests: EncodedRequest[] = [];
  inFlight = 0;
  inFlightPeak = 0;
  shutdowns = 0;
  answer: (index: number) => Promise<ExportResult> = async () => ({ code: ExportResultCode.SUCCESS });

  async send(request: EncodedRequest): Promise<ExportResult> {
    // The bytes are ours only until the answer: a later request may be written into them.
    const index = this.requests.push({ ...request, bytes: Uint8Array.from(request.bytes) }) - 1;
    this.inFlight += 1;
    this.inFlightPeak = Math.max(this.inFlightPeak, this.inFlight);
    try {
      return await this.answer(index);
    } finally {
      this.inFlight -= 1;
    }
  }
  async forceFlush(): Promise<void> {}
  async shutdown(): Promise<void> {
    this.shutdowns += 1;
  }
}

function world(sender: RequestSender, report: (r: ExportResult) => void, count = 25_000) {
  const pipeline = new TelemetryPipeline({
    namespace: 'sealos',
    resource: resourceFromAttributes({ 'service.name': 'test' }),
    inspect: true,
    otlp: { intervalMs: 3_600_000, sender, report, limits: { points: 1_000, bytes: 3 * 2 ** 20 } },
  });
  const items = Array.from({ length: count }, (_, i) => i);
  const attributes = (i: number) => ({
    namespace: `namespace-${i % 100}`,
    name: `object-${i}`,
    uid: `uid-${i}`,
  });
  const observed = { plain: 0 };
  pipeline.sink.observeEach(
    objects,
    () => items,
    (i, observe) => {
      observed.plain += 1;
      observe(i, attributes(i));
    },
  );
  const keyed = new Map(items.map((i) => [`uid-${i}`, { i }] as const));
  pipeline.sink.observeObjects(
    keyedObjects,
    () => keyed,
    (o, observe) => observe(o.i * 2, attributes(o.i)),
  );
  pipeline.sink.observe(events, (observe) => {
    observe(3, { reason: 'a' });
    observe(4, { reason: 'b' });
  });
  pipeline.sink.observe(repeated, (observe) => {
    for (let i = 0; i < 1_500; i++) observe(i, { name: `n-${i % 1_200}` });
  });
  pipeline.sink.observe(broken, (observe) => {
    for (let i = 0; i < 1_500; i++) observe(i, { name: `n-${i}` });
    throw new Error('callback failed');
  });
  return { pipeline, keyed, observed };
}

const pointsOf = (requests: readonly EncodedRequest[]) =>
  requests.flatMap((r) =>
    decodeRequest(r.bytes).flatMap((e) =>
      e.points.map((p) => ({ metric: p.metric, attributes: p.attributes, value: p.value })),
    ),
  );

test('a streamed export sends what a collection holds, in order, in requests of at most N points', async () => {
  const sender = new RecordingSender();
  const results: ExportResultCode[] = [];
  const { pipeline, keyed } = world(sender, (r) => results.push(r.code));
  await pipeline.scrape('text'); // the keyed objects are cached, as in a running process
  keyed.set('uid-7', { i: 1_000_000 }); // and one changed since
  await pipeline.flush();
  const { resourceMetrics } = await pipeline.collectOtlp();
  const collected = resourceMetrics.scopeMetrics.flatMap((s) =>
    s.metrics.flatMap((m) =>
      m.dataPoints.map((p) => ({ metric: m.descriptor.name, attributes: p.attributes, value: p.value })),
    ),
  );
  const sent = pointsOf(sender.requests);
  assert.equal(sent.length, 25_000 * 2 + 2 + 1_200);
  assert.deepEqual(sent, collected);
  assert.ok(!sent.some((p) => p.metric === 'sealos_test_broken'), 'a throwing callback costs its own metric');
  assert.equal(
    sent.find((p) => p.metric === 'sealos_test_repeated' && p.attributes.name === 'n-5')?.value,
    1_205,
  );
  assert.equal(
    sent.find((p) => p.attributes.uid === 'uid-1000000' && p.metric === 'sealos_test_keyed_objects')?.value,
    2_000_000,
  );
  assert.ok(sender.requests.every((r) => r.points <= 1_000));
  assert.equal(
    sender.requests.reduce((n, r) => n + r.points, 0),
    sent.length,
  );
  assert.deepEqual(
    results,
    sender.requests.map(() => ExportResultCode.SUCCESS),
  );
  assert.equal(sender.inFlightPeak, 1, 'one request at a time');
  await pipeline.shutdown();
});

const containers = {
  name: 'test_containers',
  kind: 'gauge',
  unit: '1',
  help: 'Several series an object, a label on the resource.',
  labels: ['pod', 'container', 'index', 'instance'],
  resourceLabels: ['instance'],
} as const satisfies MetricDeclaration;

interface TestPod {
  readonly name: string;
  readonly containers: readonly string[];
  readonly value: number;
}

const CONTAINER_LIMITS = { points: 700, bytes: 3 * 2 ** 20 };

test('a cached object is exported from its kept points: the bytes a fresh encoding gives, cut alike', async () => {
  const pods = new Map<string, TestPod>();
  for (let i = 0; i < 3_000; i++) {
    // Point bodies from ~50 to ~250 bytes: short and long copies of the kept bytes.
    const name = `p${i}-ünï${'x'.repeat(i % 200)}`;
    pods.set(`ns/p${i}`, { name, containers: ['app', 'sidecar', 'init'].slice(0, 1 + (i % 3)), value: i });
  }
  const sender = new RecordingSender();
  const pipeline = new TelemetryPipeline({
    namespace: 'sealos',
    resource: resourceFromAttributes({ 'service.name': 'test' }),
    inspect: true,
    otlp: { intervalMs: 3_600_000, sender, report: () => {}, limits: CONTAINER_LIMITS },
  });
  pipeline.sink.observeObjects(
    containers,
    () => pods,
    (pod, observe) =>
      pod.containers.forEach((container, index) => {
        observe(pod.value + index / 4, {
          pod: pod.name,
          container,
          index: String(index),
          instance: 'node-1',
        });
      }),
  );
  await pipeline.flush(); // encodes and keeps every object's points
  let lastEnd = 0n;
  for (let round = 0; round < 3; round++) {
    // Changed, deleted and new objects between exports; most stay as they were.
    pods.set(`ns/p${round * 7}`, { name: `p${round * 7}-changed`, containers: ['app'], value: -1.5 });
    pods.delete(`ns/p${round * 11 + 1}`);
    pods.set(`ns/new-${round}`, { name: `new-${round}`, containers: ['a', 'b'], value: Number.NaN });
    sender.requests.length = 0;
    await pipeline.flush();
    const cached = [...sender.requests];
    // The oracle: the same state collected as objects, observed afresh, encoded point by point
    // (the encoding the stock serializer's bytes are checked against in otlp-encoding.test.ts).
    const fresh = encodeCollection((await pipeline.collectOtlp()).resourceMetrics, CONTAINER_LIMITS);
    assert.ok(cached.length > 3, `${cached.length} requests`);
    assert.deepEqual(
      cached.map((r) => [r.points, r.bytes.length]),
      fresh.map((r) => [r.points, r.bytes.length]),
      `round ${round}: the same cuts, the same sizes (only the times differ)`,
    );
    assert.deepEqual(pointsOf(cached), pointsOf(fresh), `round ${round}: the same points`);
    // Kept points carry this export's window, not the one they were first encoded in.
    const windows = new Set(
      cached.flatMap((r) =>
        decodeRequest(r.bytes).flatMap((e) =>
          e.points.map((p) => `${p.startTimeUnixNano}-${p.timeUnixNano}`),
        ),
      ),
    );
    assert.equal(windows.size, 1, `round ${round}: one window, got ${[...windows].slice(0, 3)}`);
    const end = BigInt(String([...windows][0]).split('-')[1] ?? 0);
    assert.ok(end > lastEnd, `round ${round}: the window ends later than the last one`);
    lastEnd = end;
    const exported = pointsOf(cached);
    assert.equal(String(exported.find((p) => p.attributes.pod === `new-${round}`)?.attributes.index), '0');
    assert.ok(!exported.some((p) => 'instance' in p.attributes), 'a resource label is not a point attribute');
  }
  await pipeline.shutdown();
});

test('answered requests lend their buffers to the next export; a failed one keeps its own', async () => {
  const memory: ArrayBufferLike[][] = [];
  const sender = new RecordingSender();
  const plainAnswer = sender.answer;
  const recording: RequestSender = {
    send: (request) => {
      memory.at(-1)?.push(request.bytes.buffer);
      return sender.send(request);
    },
    forceFlush: () => sender.forceFlush(),
    shutdown: () => sender.shutdown(),
  };
  const pipeline = new TelemetryPipeline({
    namespace: 'sealos',
    resource: resourceFromAttributes({}),
    otlp: {
      intervalMs: 3_600_000,
      sender: recording,
      report: () => {},
      limits: { points: 1_000, bytes: 2 ** 20 },
    },
  });
  // One large keyed metric, as at L: its points stream as they are met, one request at a time.
  const keyed = new Map(Array.from({ length: 25_000 }, (_, i) => [`uid-${i}`, { i }] as const));
  pipeline.sink.observeObjects(
    keyedObjects,
    () => keyed,
    (o, observe) => observe(o.i, { namespace: 'ns', name: `object-${o.i}`, uid: `uid-${o.i}` }),
  );
  const exportOnce = async () => {
    memory.push([]);
    sender.requests.length = 0;
    await pipeline.flush();
    return pointsOf(sender.requests);
  };
  const first = await exportOnce();
  assert.equal(first.length, 25_000);
  assert.deepEqual(await exportOnce(), first, 'the second export, in reused buffers, sends the same points');
  const [firstMemory = [], secondMemory = []] = memory;
  assert.equal(secondMemory.length, 25);
  assert.ok(new Set(secondMemory).size <= 3, `${new Set(secondMemory).size} buffers for 25 requests`);
  assert.ok(
    secondMemory.every((buffer) => firstMemory.includes(buffer)),
    'no new buffer in the second export',
  );
  // A failed request's buffer may still be on its way out: it is not written into again.
  sender.answer = async (index) =>
    index === 0
      ? { code: ExportResultCode.FAILED, error: new Error('refused') }
      : { code: ExportResultCode.SUCCESS };
  await exportOnce();
  const failed = memory.at(-1)?.[0];
  sender.answer = plainAnswer;
  assert.deepEqual(await exportOnce(), first);
  assert.ok(
    !memory.at(-1)?.includes(failed as ArrayBufferLike),
    "the failed request's buffer was not reused",
  );
  await pipeline.shutdown();
});

test('a full request holds the walk until the one before it is answered', async () => {
  const sender = new RecordingSender();
  const answers: (() => void)[] = [];
  sender.answer = () =>
    new Promise((resolve) => answers.push(() => resolve({ code: ExportResultCode.SUCCESS })));
  const pipeline = new TelemetryPipeline({
    namespace: 'sealos',
    resource: resourceFromAttributes({}),
    otlp: { intervalMs: 3_600_000, sender, report: () => {}, limits: { points: 1_000, bytes: 3 * 2 ** 20 } },
  });
  const keyed = new Map(Array.from({ length: 25_000 }, (_, i) => [`uid-${i}`, { i }] as const));
  let observed = 0;
  pipeline.sink.observeObjects(
    keyedObjects,
    () => keyed,
    (o, observe) => {
      observed += 1;
      observe(o.i, { namespace: 'ns', name: `object-${o.i}`, uid: `uid-${o.i}` });
    },
  );
  await pipeline.scrape('text'); // cached: the export observes each object once more, as it sends
  observed = 0;
  let done = false;
  const flushed = pipeline.flush().then(() => {
    done = true;
  });
  const turn = () => new Promise((resolve) => setImmediate(resolve));
  while (sender.requests.length === 0) await turn();
  // Every chance to run ahead: the walk writes the second request (1,000 more points), then waits.
  for (let i = 0; i < 300; i++) await turn();
  assert.equal(sender.requests.length, 1);
  assert.ok(observed <= 2_000 + 1, `${observed} series observed while the first request is unanswered`);
  let answered = 0;
  while (!done) {
    if (answers.length > answered) answers[answered++]?.();
    await turn();
  }
  await flushed;
  assert.equal(sender.inFlightPeak, 1);
  assert.equal(sender.requests.length, 25);
  assert.equal(pointsOf(sender.requests).length, 25_000);
  sender.answer = async () => ({ code: ExportResultCode.SUCCESS });
  await pipeline.shutdown();
});

test('a failed request ends the export; the next export sends the whole state again', async () => {
  const sender = new RecordingSender();
  const results: ExportResultCode[] = [];
  const { pipeline } = world(sender, (r) => results.push(r.code));
  sender.answer = async (index) =>
    index === 1
      ? { code: ExportResultCode.FAILED, error: new Error('refused') }
      : { code: ExportResultCode.SUCCESS };
  await pipeline.flush();
  assert.deepEqual(results, [ExportResultCode.SUCCESS, ExportResultCode.FAILED]);
  assert.ok(
    sender.requests.length <= 3,
    `${sender.requests.length} requests written before the walk stopped`,
  );
  sender.requests.length = 0;
  sender.answer = async () => ({ code: ExportResultCode.SUCCESS });
  await pipeline.flush();
  assert.equal(pointsOf(sender.requests).length, 25_000 * 2 + 2 + 1_200);
  await pipeline.shutdown();
});

test('a sender that throws counts as a failed request, and the schedule goes on', async () => {
  const sender = new RecordingSender();
  const results: ExportResult[] = [];
  const { pipeline } = world(sender, (r) => results.push(r), 10);
  sender.answer = async () => {
    throw new Error('transport broke');
  };
  await pipeline.flush();
  assert.equal(results.length, 1);
  assert.equal(results[0]?.code, ExportResultCode.FAILED);
  assert.match(String(results[0]?.error), /transport broke/);
  sender.answer = async () => ({ code: ExportResultCode.SUCCESS });
  await pipeline.flush();
  assert.equal(results.at(-1)?.code, ExportResultCode.SUCCESS);
  await pipeline.shutdown();
});

test('the schedule: no export starts while one runs; shutdown exports once more and closes once', async () => {
  const sender = new RecordingSender();
  let release: (() => void) | undefined;
  sender.answer = () =>
    new Promise((resolve) => {
      release = () => resolve({ code: ExportResultCode.SUCCESS });
    });
  const pipeline = new TelemetryPipeline({
    namespace: 'sealos',
    resource: resourceFromAttributes({}),
    otlp: { intervalMs: 5, sender, report: () => {} },
  });
  pipeline.sink.observe(events, (observe) => observe(1, { reason: 'a' }));
  // The interval fires many times while the first request hangs: one export, one request.
  while (sender.requests.length === 0) await new Promise((r) => setTimeout(r, 5));
  await new Promise((r) => setTimeout(r, 60));
  assert.equal(sender.requests.length, 1);
  release?.();
  sender.answer = async () => ({ code: ExportResultCode.SUCCESS });
  await Promise.all([pipeline.shutdown(), pipeline.shutdown()]);
  const afterShutdown = sender.requests.length;
  assert.ok(afterShutdown >= 2, 'a last export at shutdown');
  assert.equal(sender.shutdowns, 1);
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(sender.requests.length, afterShutdown, 'nothing is sent after shutdown');
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
      sender: grpcSender({
        protocol: 'grpc',
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
  const items = Array.from({ length: 40_000 }, (_, i) => i);
  pipeline.sink.observeEach(
    objects,
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
  assert.deepEqual(values, items);
  assert.ok(receiver.exports.length >= 4, `${receiver.exports.length} requests`);
  // Each request is reported, and each succeeded.
  assert.deepEqual(
    results,
    receiver.exports.map(() => ExportResultCode.SUCCESS),
  );
  await pipeline.shutdown();
});
