/**
 * The gRPC transport under the OTLP export delegate: @opentelemetry/otlp-grpc-exporter-base's
 * GrpcExporterTransport (0.223.0) with its behaviour kept (the client made on the first request
 * with the stock exporter's options, a deadline per request, the client closed and made anew
 * after more than 5 deadlines in a row, every error a failure for the delegate to judge) and one
 * thing not done: the stock transport copies every request into a new Buffer before grpc-js,
 * which frames it into another. At L an export is ~16 requests of up to 3 MiB, so that copy was
 * ~44 MB of ArrayBuffers an export, which V8 counts as external memory and answers with
 * full collections of the whole heap: 2-3 per export, most of its CPU (issue 15, measured with a
 * discarding receiver: 693-1,016 ms of process CPU an export with the copy, 198-434 without).
 * Here grpc-js is handed a view of the request's own bytes.
 */
import { type Client, makeGenericClientConstructor, type ServiceError, status } from '@grpc/grpc-js';
import type { ExportResponse, IExporterTransport } from '@opentelemetry/otlp-exporter-base';
import type { convertLegacyOtlpGrpcOptions } from '@opentelemetry/otlp-grpc-exporter-base';
// The stock exporter's product token; the package has no export map, so its version module is reachable.
import { VERSION as EXPORTER_VERSION } from '@opentelemetry/otlp-grpc-exporter-base/build/src/version.js';

type GrpcOptions = ReturnType<typeof convertLegacyOtlpGrpcOptions>;

/** How many deadlines in a row the client may miss before it is closed and made anew (the stock figure). */
export const MAX_DEADLINES_IN_A_ROW = 5;

/** grpc-js's numbers for its compression algorithms (`grpc.default_compression_algorithm`). */
const GRPC_COMPRESSION = { none: 0, gzip: 2 } as const;

type Metadata = ReturnType<GrpcOptions['metadata']>;

type ExportCall = (
  request: Buffer,
  metadata: Metadata,
  options: { deadline: number },
  callback: (error: ServiceError | null, response?: Buffer) => void,
) => void;

interface Connection {
  readonly client: Client & { readonly export: ExportCall };
  readonly metadata: Metadata;
}

/** A Buffer over `data`'s own memory: no copy. */
function bufferOver(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

export class GrpcTransport implements IExporterTransport {
  readonly #options: GrpcOptions;
  readonly #path: string;
  readonly #service: string;
  #connection: Connection | undefined;
  #deadlinesInARow = 0;

  /** `path` is the method's full gRPC path, `service` the client's name. */
  constructor(options: GrpcOptions, service: string, path: string) {
    this.#options = options;
    this.#service = service;
    this.#path = path;
  }

  send(data: Uint8Array, timeoutMillis: number): Promise<ExportResponse> {
    let connection = this.#connection;
    if (connection === undefined) {
      try {
        connection = this.#connect();
      } catch (error) {
        return Promise.resolve({
          status: 'failure',
          error: error instanceof Error ? error : new Error(String(error)),
        });
      }
    }
    const { client, metadata } = connection;
    return new Promise((resolve) => {
      client.export(
        bufferOver(data),
        metadata,
        { deadline: Date.now() + timeoutMillis },
        (error, response) => {
          if (error) {
            resolve({ status: 'failure', error });
            if (error.code === status.DEADLINE_EXCEEDED) this.#missedDeadline(client);
            return;
          }
          this.#deadlinesInARow = 0;
          resolve(response === undefined ? { status: 'success' } : { status: 'success', data: response });
        },
      );
    });
  }

  shutdown(): void {
    this.#connection?.client.close();
    this.#connection = undefined;
  }

  #connect(): Connection {
    const metadata = this.#options.metadata();
    const identity = (bytes: Buffer) => bytes;
    const Constructor = makeGenericClientConstructor(
      {
        export: {
          path: this.#path,
          requestStream: false,
          responseStream: false,
          requestSerialize: identity,
          requestDeserialize: identity,
          responseSerialize: identity,
          responseDeserialize: identity,
        },
      },
      this.#service,
    );
    const agent = `OTel-OTLP-Exporter-JavaScript/${EXPORTER_VERSION}`;
    const client = new Constructor(this.#options.url, this.#options.credentials(), {
      'grpc.default_compression_algorithm':
        this.#options.compression === 'gzip' ? GRPC_COMPRESSION.gzip : GRPC_COMPRESSION.none,
      'grpc.primary_user_agent': this.#options.userAgent ? `${this.#options.userAgent} ${agent}` : agent,
      // A generic client's methods are typed `Function`; this one is the unary call above.
    }) as unknown as Connection['client'];
    this.#connection = { client, metadata };
    this.#deadlinesInARow = 0;
    return this.#connection;
  }

  #missedDeadline(client: Client): void {
    if (client !== this.#connection?.client) return;
    this.#deadlinesInARow += 1;
    if (this.#deadlinesInARow > MAX_DEADLINES_IN_A_ROW) this.shutdown();
  }
}
