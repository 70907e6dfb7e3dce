/**
 * A real OTLP/HTTP metrics receiver for tests: node:http(s) taking POSTs of binary protobuf
 * (`application/x-protobuf`, gzip or not), decoded with the protocol's own message definitions,
 * answering as the specification says (200 with an ExportMetricsServiceResponse, 4xx/5xx on
 * demand, with Retry-After for the retryable ones).
 */
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { decodeRequest, ReceivedExports } from './otlp-receiver.js';

/** One request as it arrived, whether answered with success or not. */
export interface ReceivedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  /** The body after any Content-Encoding was undone. */
  readonly body: Buffer;
  readonly status: number;
}

export interface HttpReceiverOptions {
  /** TLS with this server pair (PEM); with `clientCa`, a client certificate it signed is required. */
  readonly tls?: { cert: string; key: string; clientCa?: string };
  /** The status of each request in turn (200 after the list runs out). */
  readonly statuses?: readonly number[];
}

export class OtlpHttpReceiver extends ReceivedExports {
  readonly requests: ReceivedRequest[] = [];
  readonly #server: ReturnType<typeof createHttpServer>;
  readonly #statuses: number[];
  readonly #scheme: 'http' | 'https';
  port = 0;

  private constructor(options: HttpReceiverOptions) {
    super();
    this.#statuses = [...(options.statuses ?? [])];
    const handle = (request: IncomingMessage, response: ServerResponse) =>
      void this.#handle(request, response);
    const { tls } = options;
    this.#scheme = tls ? 'https' : 'http';
    this.#server = tls
      ? createHttpsServer(
          { cert: tls.cert, key: tls.key, ...(tls.clientCa ? { ca: tls.clientCa, requestCert: true } : {}) },
          handle,
        )
      : createHttpServer(handle);
  }

  static async start(options: HttpReceiverOptions = {}): Promise<OtlpHttpReceiver> {
    const receiver = new OtlpHttpReceiver(options);
    await new Promise<void>((resolve) => receiver.#server.listen(0, '127.0.0.1', resolve));
    receiver.port = (receiver.#server.address() as AddressInfo).port;
    return receiver;
  }

  get origin(): string {
    return `${this.#scheme}://127.0.0.1:${this.port}`;
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks);
    const headers = Object.fromEntries(
      Object.entries(request.headers).map(([name, value]) => [name, String(value)]),
    );
    const body = headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw;
    const status = this.#statuses.shift() ?? 200;
    this.requests.push({ method: request.method ?? '', path: request.url ?? '', headers, body, status });
    if (status !== 200) {
      response.writeHead(status, status === 429 || status === 503 ? { 'retry-after': '1' } : {});
      response.end('refused by the test receiver');
      return;
    }
    const exports = decodeRequest(body).map((received) => ({ ...received, metadata: headers }));
    // An empty ExportMetricsServiceResponse: full success, no partial_success field.
    response.writeHead(200, { 'content-type': 'application/x-protobuf' });
    response.end();
    this.receive(exports);
  }

  stop(): Promise<void> {
    this.#server.closeAllConnections();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}
