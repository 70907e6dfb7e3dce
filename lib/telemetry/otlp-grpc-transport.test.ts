/**
 * The gRPC transport against the stock one (otlp-grpc-exporter-base's, as its export delegate
 * uses it), both talking to a plain HTTP/2 server that sees what goes over the wire: the same
 * request, one copy fewer, and the same way with a receiver that stops answering.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Http2Server, type IncomingHttpHeaders } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { credentials, Metadata } from '@grpc/grpc-js';
import type { ExportResult } from '@opentelemetry/core';
import {
  convertLegacyOtlpGrpcOptions,
  createOtlpGrpcExportDelegate,
} from '@opentelemetry/otlp-grpc-exporter-base';
import { encodedRequestCounts, encodedRequestSerializer } from './otlp-delegate.js';
import type { EncodedRequest } from './otlp-encoding.js';
import { grpcSender } from './otlp-grpc.js';
import { MAX_DEADLINES_IN_A_ROW } from './otlp-grpc-transport.js';
import type { OtlpSettings, RequestSender } from './otlp-push.js';

const METHOD = '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export';

interface Seen {
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** An h2c server speaking just enough gRPC: an empty answer with status 0, or none at all. */
async function wire(
  answer: boolean,
): Promise<{ server: Http2Server; url: string; seen: Seen[]; sessions: () => number }> {
  const seen: Seen[] = [];
  let sessions = 0;
  const server = createServer();
  server.on('session', () => {
    sessions += 1;
  });
  server.on('stream', (stream, headers) => {
    const parts: Buffer[] = [];
    stream.on('data', (part: Buffer) => parts.push(part));
    stream.on('error', () => undefined);
    stream.on('end', () => {
      seen.push({ headers, body: Buffer.concat(parts) });
      if (!answer) return;
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
      stream.end(Buffer.alloc(5));
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}`, seen, sessions: () => sessions };
}

function settings(endpoint: string, timeoutMs: number): OtlpSettings {
  return {
    protocol: 'grpc',
    endpoint,
    headers: { 'X-Tenant': 'team-a' },
    intervalMs: 3_600_000,
    timeoutMs,
    insecure: true,
    compression: 'none',
    caFile: '',
    clientCertFile: '',
    clientKeyFile: '',
  };
}

/** The stock delegate as createOtlpGrpcExportDelegate makes it, with the same settings as ours. */
function stockSender(url: string, timeoutMs: number): RequestSender {
  const metadata = new Metadata();
  metadata.set('x-tenant', 'team-a');
  const delegate = createOtlpGrpcExportDelegate(
    convertLegacyOtlpGrpcOptions(
      { url, metadata, credentials: credentials.createInsecure(), timeoutMillis: timeoutMs },
      'METRICS',
    ),
    encodedRequestSerializer,
    'otlp_grpc_metric_exporter',
    encodedRequestCounts,
    undefined,
    'MetricsExportService',
    METHOD,
  );
  return {
    send: (request) => new Promise<ExportResult>((resolve) => delegate.export(request, resolve)),
    forceFlush: () => delegate.forceFlush(),
    shutdown: () => delegate.shutdown(),
  };
}

/** A request of `bytes` bytes that is a view into the middle of a larger buffer. */
function request(bytes: number, plain: boolean): EncodedRequest {
  const backing = new Uint8Array(bytes + 100);
  for (let i = 0; i < backing.length; i++) backing[i] = (i * 31) & 0xff;
  const view = backing.subarray(50, 50 + bytes);
  return { bytes: plain ? view : Buffer.from(view.buffer, view.byteOffset, view.byteLength), points: 1 };
}

/** Counts the copies `Buffer.from` makes of `bytes` while `run` runs. */
async function copiesOf(bytes: Uint8Array, run: () => Promise<unknown>): Promise<number> {
  const from = Buffer.from;
  let copies = 0;
  Buffer.from = function (this: unknown, ...args: unknown[]) {
    if (args[0] === bytes) copies += 1;
    return (from as (...a: unknown[]) => Buffer).apply(this, args);
  } as typeof Buffer.from;
  try {
    await run();
  } finally {
    Buffer.from = from;
  }
  return copies;
}

test('a request goes out as the stock transport sends it, without its copy', async (t) => {
  const { server, url, seen } = await wire(true);
  t.after(() => server.close());
  const ours = grpcSender(settings(url, 5_000));
  const stock = stockSender(url, 5_000);
  t.after(() => Promise.all([ours.shutdown(), stock.shutdown()]));

  for (const plain of [false, true]) {
    const sent = request(1_000_000, plain);
    let result: ExportResult | undefined;
    const copies = await copiesOf(sent.bytes, async () => {
      result = await ours.send(sent);
    });
    assert.equal(result?.code, 0, String(result?.error));
    assert.equal(copies, 0, 'grpc-js is handed the request bytes themselves');
    const stockCopies = await copiesOf(sent.bytes, async () => {
      result = await stock.send(sent);
    });
    assert.equal(result?.code, 0, String(result?.error));
    assert.equal(stockCopies, 1, 'the stock transport copies the request once');

    const [mine, theirs] = seen.splice(0);
    assert.ok(mine && theirs);
    // One gRPC frame: not compressed, the length, then exactly the request's bytes.
    const frame = Buffer.concat([Buffer.from([0, 0, 0x0f, 0x42, 0x40]), Buffer.from(sent.bytes)]);
    assert.ok(mine.body.equals(frame), 'our frame holds the request bytes');
    assert.ok(theirs.body.equals(frame), 'the stock frame holds the same bytes');
    for (const header of [':method', ':path', 'content-type', 'te', 'grpc-accept-encoding', 'x-tenant']) {
      assert.equal(mine.headers[header], theirs.headers[header], header);
    }
    assert.equal(mine.headers[':path'], METHOD);
    // Our product token goes before the exporter's, as over OTLP/HTTP.
    const stockAgent = String(theirs.headers['user-agent']);
    assert.match(stockAgent, /^OTel-OTLP-Exporter-JavaScript\/\S+ grpc-node-js\//);
    assert.equal(mine.headers['user-agent'], `sealos-state-metrics/0.1.0 ${stockAgent}`);
  }
});

test('a receiver that stops answering: after more deadlines in a row than the stock allows, a new connection, as the stock does', async (t) => {
  for (const [name, make] of [
    ['ours', (url: string) => grpcSender(settings(url, 100))],
    ['stock', (url: string) => stockSender(url, 100)],
  ] as const) {
    const { server, url, seen, sessions } = await wire(false);
    t.after(() => server.close());
    const sender = make(url);
    t.after(() => sender.shutdown());
    const results: ExportResult[] = [];
    for (let n = 0; n <= MAX_DEADLINES_IN_A_ROW + 1; n++)
      results.push(await sender.send(request(100, false)));
    assert.ok(
      results.every((result) => result.code === 1 && /deadline/i.test(String(result.error))),
      `${name}: every call ends at its deadline`,
    );
    assert.equal(seen.length, MAX_DEADLINES_IN_A_ROW + 2, `${name}: every call reached the receiver`);
    assert.equal(sessions(), 2, `${name}: the client was closed and made anew once`);
  }
});
