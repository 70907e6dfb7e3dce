/**
 * OTLP/HTTP against a real HTTP receiver decoding the protobuf: the same points as OTLP/gRPC,
 * framed as the stock @opentelemetry/exporter-metrics-otlp-proto frames them, retried and
 * refused as the specification says, over TLS and mutual TLS.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { CompressionAlgorithm } from '@opentelemetry/otlp-exporter-base';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { localhostPair, testCaSignedPair } from '../../test/support/certificates.js';
import { OtlpHttpReceiver } from '../../test/support/otlp-http-receiver.js';
import { OtlpReceiver, type ReceivedExport } from '../../test/support/otlp-receiver.js';
import { testEvents, testObjects } from '../../test/support/test-metrics.js';
import { grpcSender } from './otlp-grpc.js';
import { httpSender, requestHeaders } from './otlp-http.js';
import type { OtlpSettings, RequestSender } from './otlp-push.js';
import { TelemetryPipeline } from './pipeline.js';

function settings(endpoint: string, extra: Partial<OtlpSettings> = {}): OtlpSettings {
  return {
    protocol: 'http/protobuf',
    endpoint,
    headers: {},
    intervalMs: 3_600_000,
    timeoutMs: 5_000,
    insecure: false,
    compression: 'none',
    caFile: '',
    clientCertFile: '',
    clientKeyFile: '',
    ...extra,
  };
}

/** A pipeline holding `count` gauge points and two counter points, pushing through `sender`. */
function world(sender: RequestSender, results: ExportResult[], count: number) {
  const pipeline = new TelemetryPipeline({
    namespace: 'sealos',
    resource: resourceFromAttributes({ 'service.name': 'test', 'k8s.node.name': 'node-a' }),
    inspect: true,
    otlp: { intervalMs: 3_600_000, sender, report: (result) => results.push(result) },
  });
  const items = Array.from({ length: count }, (_, i) => i);
  pipeline.sink.observeEach(
    testObjects,
    () => items,
    (i, observe) => observe(i, { namespace: `namespace-${i % 10}`, name: `object-${i}`, uid: `uid-${i}` }),
  );
  pipeline.sink.observe(testEvents, (observe) => {
    observe(3, { reason: 'pulled' });
    observe(1, { reason: 'failed' });
  });
  return pipeline;
}

/** Every point of the exports, as comparable lines. */
function points(exports: readonly ReceivedExport[]): string[] {
  return exports
    .flatMap((received) =>
      received.points.map(
        (p) =>
          `${p.metric} ${p.unit} ${p.kind}${p.monotonic ? ' monotonic' : ''} ${JSON.stringify(p.attributes)} ${p.value} ${JSON.stringify(received.resource)}`,
      ),
    )
    .sort();
}

test('request headers: the configured ones, lower-cased, and a Content-Type they cannot replace', () => {
  assert.deepEqual(
    requestHeaders({ Authorization: 'Bearer t', 'Content-Type': 'text/plain', 'x-tenant': 'a' }),
    {
      authorization: 'Bearer t',
      'x-tenant': 'a',
      'content-type': 'application/x-protobuf',
    },
  );
  const refusals: [Record<string, string>, RegExp][] = [
    [{ 'bad name': 'v' }, /^otlp\.headers\.bad name: not a valid HTTP header name$/],
    [{ '': 'v' }, /^otlp\.headers\.: not a valid HTTP header name$/],
    [{ authorization: 'Bearer s3cret\r\nx-injected: 1' }, /^otlp\.headers\.authorization: the value holds/],
    [{ authorization: 'Bearer s3cret\u0000' }, /^otlp\.headers\.authorization: the value holds/],
  ];
  for (const [headers, message] of refusals) {
    assert.throws(
      () => requestHeaders(headers),
      (error: Error) => message.test(error.message) && !error.message.includes('s3cret'),
      JSON.stringify(headers),
    );
  }
});

test('OTLP/HTTP delivers the same points as OTLP/gRPC, in bounded requests, gzip or not', async (t) => {
  const grpc = await OtlpReceiver.start();
  const http = await OtlpHttpReceiver.start();
  t.after(() => Promise.all([grpc.stop(), http.stop()]));
  const count = 25_000;
  for (const compression of ['none', 'gzip'] as const) {
    const results: ExportResult[] = [];
    const senders = [
      grpcSender({ ...settings(`http://127.0.0.1:${grpc.port}`), protocol: 'grpc', compression }),
      httpSender(settings(`${http.origin}/v1/metrics`, { compression })),
    ];
    for (const sender of senders) {
      const pipeline = world(sender, results, count);
      await pipeline.flush();
      await pipeline.shutdown();
    }
    const received = http.requests.splice(0);
    assert.ok(
      received.length >= 3,
      `${received.length} HTTP requests: one export of ${count} points is split`,
    );
    for (const request of received) {
      assert.equal(request.method, 'POST');
      assert.equal(request.path, '/v1/metrics');
      assert.equal(request.headers['content-type'], 'application/x-protobuf');
      assert.equal(request.headers['content-encoding'], compression === 'gzip' ? 'gzip' : undefined);
    }
    const overGrpc = points(grpc.exports.splice(0));
    const overHttp = points(http.exports.splice(0));
    // Each export twice (the flush and the last one at shutdown): the same points both times.
    assert.equal(overHttp.length, 2 * (count + 2));
    assert.deepEqual(overHttp, overGrpc);
    assert.ok(results.every((result) => result.code === ExportResultCode.SUCCESS));
  }
});

test('framed as the stock exporter-metrics-otlp-proto frames the same collection', async (t) => {
  const receiver = await OtlpHttpReceiver.start();
  t.after(() => receiver.stop());
  const url = `${receiver.origin}/v1/metrics`;
  const headers = { authorization: 'Bearer t0k', 'x-tenant': 'team-a' };
  const results: ExportResult[] = [];
  const pipeline = world(httpSender(settings(url, { headers, compression: 'gzip' })), results, 100);
  await pipeline.flush();
  const ours = { request: receiver.requests.splice(0), exports: receiver.exports.splice(0) };

  const stock = new OTLPMetricExporter({ url, headers, compression: CompressionAlgorithm.GZIP });
  const collection = await pipeline.collectOtlp();
  const result = await new Promise<ExportResult>((resolve) =>
    stock.export(collection.resourceMetrics, resolve),
  );
  assert.equal(result.code, ExportResultCode.SUCCESS, String(result.error));
  await stock.shutdown();
  const theirs = { request: receiver.requests.splice(0), exports: receiver.exports.splice(0) };
  await pipeline.shutdown();

  assert.equal(ours.request.length, 1);
  assert.equal(theirs.request.length, 1);
  const [mine, stocks] = [ours.request[0], theirs.request[0]];
  assert.ok(mine && stocks);
  for (const field of ['method', 'path'] as const) assert.equal(mine[field], stocks[field], field);
  for (const header of ['content-type', 'content-encoding', 'authorization', 'x-tenant', 'connection']) {
    assert.equal(mine.headers[header], stocks.headers[header], header);
  }
  // Our product token goes before the exporter's, as the specification asks of a distribution.
  const stockAgent = stocks.headers['user-agent'] ?? '';
  assert.match(stockAgent, /^OTel-OTLP-Exporter-JavaScript\//);
  assert.equal(mine.headers['user-agent'], `sealos-state-metrics/0.1.0 ${stockAgent}`);
  assert.deepEqual(points(ours.exports), points(theirs.exports));
});

test('a 503 is retried after its Retry-After; a 400 is a failed export naming the status', async (t) => {
  const receiver = await OtlpHttpReceiver.start({ statuses: [503, 200, 400] });
  t.after(() => receiver.stop());
  const results: ExportResult[] = [];
  const pipeline = world(httpSender(settings(`${receiver.origin}/v1/metrics`)), results, 10);
  await pipeline.flush();
  assert.deepEqual(
    receiver.requests.map((request) => request.status),
    [503, 200],
  );
  assert.deepEqual(
    results.map((result) => result.code),
    [ExportResultCode.SUCCESS],
  );
  await pipeline.flush();
  assert.equal(results.at(-1)?.code, ExportResultCode.FAILED);
  assert.match(String(results.at(-1)?.error), /Bad Request/);
  await pipeline.shutdown();
});

test('over https it trusts caFile and no other, and presents the client pair for mutual TLS', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'ssm-otlp-http-tls-'));
  const server = await localhostPair('localhost');
  const client = await testCaSignedPair(['client']);
  const testCa = await readFile(new URL('../../test/fixtures/tls/test-ca.crt', import.meta.url), 'utf8');
  await writeFile(join(dir, 'ca.crt'), server.cert);
  await writeFile(join(dir, 'client.crt'), client.cert);
  await writeFile(join(dir, 'client.key'), client.key);
  const receiver = await OtlpHttpReceiver.start({ tls: { ...server, clientCa: testCa } });
  t.after(() => receiver.stop());
  const url = `https://localhost:${receiver.port}/v1/metrics`;
  const attempt = async (extra: Partial<OtlpSettings>) => {
    const results: ExportResult[] = [];
    const pipeline = world(httpSender(settings(url, { timeoutMs: 2_000, ...extra })), results, 5);
    await pipeline.flush();
    await pipeline.shutdown();
    return results[0];
  };
  const clientPair = { clientCertFile: join(dir, 'client.crt'), clientKeyFile: join(dir, 'client.key') };

  const untrusted = await attempt(clientPair);
  assert.equal(untrusted?.code, ExportResultCode.FAILED);
  assert.match(String(untrusted?.error), /self-signed certificate/);
  const anonymous = await attempt({ caFile: join(dir, 'ca.crt') });
  assert.equal(anonymous?.code, ExportResultCode.FAILED, 'the receiver asks for a client certificate');
  assert.equal(receiver.exports.length, 0);

  const trusted = await attempt({ caFile: join(dir, 'ca.crt'), ...clientPair });
  assert.equal(trusted?.code, ExportResultCode.SUCCESS, String(trusted?.error));
  assert.ok(
    receiver.exports.some((received) => received.points.some((p) => p.metric === 'sealos_test_objects')),
  );
});

test('an unreadable client key is an error naming its field', () => {
  assert.throws(
    () =>
      httpSender(
        settings('https://localhost:1/v1/metrics', {
          clientCertFile: '/nonexistent/client.crt',
          clientKeyFile: '/nonexistent/client.key',
        }),
      ),
    /otlp\.clientCertFile "\/nonexistent\/client\.crt": cannot read: ENOENT/,
  );
});
