/**
 * A real OTLP/gRPC metrics receiver for tests: @grpc/grpc-js serving the OTLP MetricsService,
 * decoding requests with the protocol's own message definitions.
 */
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

export interface ReceivedPoint {
  readonly metric: string;
  readonly unit: string;
  readonly kind: 'gauge' | 'sum';
  readonly monotonic: boolean;
  readonly attributes: Record<string, string>;
  readonly value: number;
  /** fixed64 nanoseconds, as decimal strings. */
  readonly startTimeUnixNano: string;
  readonly timeUnixNano: string;
}

export interface ReceivedExport {
  readonly resource: Record<string, string>;
  readonly metadata: Record<string, string>;
  readonly points: ReceivedPoint[];
}

interface AnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: string;
  doubleValue?: number;
}
interface KeyValue {
  key: string;
  value?: AnyValue;
}
interface NumberDataPoint {
  attributes: KeyValue[];
  asDouble?: number;
  asInt?: string;
  startTimeUnixNano: string;
  timeUnixNano: string;
}
interface Metric {
  name: string;
  unit: string;
  gauge?: { dataPoints: NumberDataPoint[] };
  sum?: { dataPoints: NumberDataPoint[]; isMonotonic: boolean };
}
interface Request {
  resourceMetrics: { resource?: { attributes: KeyValue[] }; scopeMetrics: { metrics: Metric[] }[] }[];
}

function attributes(list: readonly KeyValue[] = []): Record<string, string> {
  const out: Record<string, string> = {};
  for (const { key, value } of list) {
    out[key] = String(value?.stringValue ?? value?.intValue ?? value?.doubleValue ?? value?.boolValue ?? '');
  }
  return out;
}

function decode(request: Request, metadata: grpc.Metadata): ReceivedExport[] {
  const meta = Object.fromEntries(
    Object.entries(metadata.getMap()).map(([key, value]) => [key, String(value)]),
  );
  return request.resourceMetrics.map((resourceMetrics) => ({
    resource: attributes(resourceMetrics.resource?.attributes),
    metadata: meta,
    points: resourceMetrics.scopeMetrics.flatMap((scope) =>
      scope.metrics.flatMap((metric) => {
        const kind = metric.gauge ? ('gauge' as const) : ('sum' as const);
        const data = metric.gauge ?? metric.sum;
        return (data?.dataPoints ?? []).map((point) => ({
          metric: metric.name,
          unit: metric.unit,
          kind,
          monotonic: metric.sum?.isMonotonic ?? false,
          attributes: attributes(point.attributes),
          value: point.asDouble ?? Number(point.asInt ?? Number.NaN),
          startTimeUnixNano: point.startTimeUnixNano,
          timeUnixNano: point.timeUnixNano,
        }));
      }),
    ),
  }));
}

function loadDefinition(): protoLoader.PackageDefinition {
  return protoLoader.loadSync(
    fileURLToPath(new URL('../fixtures/otlp/metrics_service.proto', import.meta.url)),
    {
      longs: String,
      defaults: true,
      oneofs: true,
    },
  );
}

let definitionOnce: protoLoader.PackageDefinition | undefined;

/** One ExportMetricsServiceRequest's bytes, decoded as the receiver decodes what it is sent. */
export function decodeRequest(bytes: Uint8Array): ReceivedExport[] {
  definitionOnce ??= loadDefinition();
  const service = definitionOnce[
    'opentelemetry.proto.collector.metrics.v1.MetricsService'
  ] as protoLoader.ServiceDefinition;
  const request = (service.Export as protoLoader.MethodDefinition<Request, unknown>).requestDeserialize(
    Buffer.from(bytes),
  );
  return decode(request, new grpc.Metadata());
}

export interface ReceiverOptions {
  /** TLS with this server certificate and key (PEM); plain gRPC without. */
  readonly tls?: { cert: string; key: string };
  /** A Collector's default is 4 MiB; the gateway example raises it to 64 MiB. */
  readonly maxMessageBytes?: number;
  /** A fixed port, e.g. to come back where a stopped receiver was; any free port without. */
  readonly port?: number;
  /** Never answer an export (a Collector stuck on a full queue): calls are held until cancelled. */
  readonly hang?: boolean;
}

/** What a receiver was sent, and a wait for what is still to come. */
export class ReceivedExports {
  readonly exports: ReceivedExport[] = [];
  #waiters: (() => void)[] = [];

  receive(exports: readonly ReceivedExport[]): void {
    this.exports.push(...exports);
    for (const wake of this.#waiters.splice(0)) wake();
  }

  /** Waits until an export satisfying `predicate` has arrived. */
  async waitFor(
    predicate: (received: ReceivedExport) => boolean,
    timeoutMs = 10_000,
  ): Promise<ReceivedExport> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.exports.find(predicate);
      if (found) return found;
      const remaining = deadline - Date.now();
      if (remaining <= 0)
        throw new Error(`no matching OTLP export within ${timeoutMs} ms (${this.exports.length} received)`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, remaining);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
}

export class OtlpReceiver extends ReceivedExports {
  /** Export calls that arrived, answered or not. */
  calls = 0;
  /** Calls of a hanging receiver the client cancelled, with how long each was held (ms). */
  readonly cancelledAfterMs: number[] = [];
  /** Calls a hanging receiver holds now, and the most it held at once. */
  held = 0;
  heldPeak = 0;
  readonly #server: grpc.Server;
  readonly port: number;

  private constructor(server: grpc.Server, port: number) {
    super();
    this.#server = server;
    this.port = port;
  }

  static async start(options: ReceiverOptions = {}): Promise<OtlpReceiver> {
    const { tls, maxMessageBytes = 64 * 2 ** 20, port: fixedPort = 0, hang = false } = options;
    const definition = loadDefinition();
    const proto = grpc.loadPackageDefinition(definition) as unknown as {
      opentelemetry: {
        proto: { collector: { metrics: { v1: { MetricsService: grpc.ServiceClientConstructor } } } };
      };
    };
    const server = new grpc.Server({ 'grpc.max_receive_message_length': maxMessageBytes });
    let receiver: OtlpReceiver | undefined;
    server.addService(proto.opentelemetry.proto.collector.metrics.v1.MetricsService.service, {
      Export: (call: grpc.ServerUnaryCall<Request, unknown>, callback: grpc.sendUnaryData<unknown>) => {
        if (receiver) receiver.calls += 1;
        if (hang && receiver) {
          const self = receiver;
          const since = performance.now();
          self.held += 1;
          self.heldPeak = Math.max(self.heldPeak, self.held);
          call.on('cancelled', () => {
            self.held -= 1;
            self.cancelledAfterMs.push(performance.now() - since);
          });
          return;
        }
        receiver?.receive(decode(call.request, call.metadata));
        callback(null, {});
      },
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(
        `127.0.0.1:${fixedPort}`,
        tls
          ? grpc.ServerCredentials.createSsl(null, [
              { cert_chain: Buffer.from(tls.cert), private_key: Buffer.from(tls.key) },
            ])
          : grpc.ServerCredentials.createInsecure(),
        (error, bound) => (error ? reject(error) : resolve(bound)),
      ),
    );
    receiver = new OtlpReceiver(server, port);
    return receiver;
  }

  /** Stops serving; held calls of a hanging receiver are dropped with the connections. */
  stop(): Promise<void> {
    return new Promise((resolve) => this.#server.tryShutdown(() => resolve()));
  }

  /** Stops at once, dropping every connection, as a Collector that is killed. */
  kill(): void {
    this.#server.forceShutdown();
  }
}
