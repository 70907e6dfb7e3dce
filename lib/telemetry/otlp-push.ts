/**
 * The periodic OTLP push. Each export walks the pipeline's metrics straight into encoded
 * requests (otlp-encoding.ts) and sends each as it fills, so an export holds at most the
 * request in flight and the one being written, never the collection as objects (the SDK's
 * PeriodicExportingMetricReader collects every point before its exporter sees the first: at
 * 250k series that was ~60 MiB of heap and a full GC per export). The schedule is the SDK
 * reader's: an export every interval, none started while one runs, `forceFlush` exports now,
 * `shutdown` exports a last time and closes the exporter.
 */
import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import { type EncodedRequest, RequestBuffers, type RequestLimits, RequestStream } from './otlp-encoding.js';
import type { OtlpProtocol } from './otlp-target.js';
import { TimeSlicer } from './slicer.js';

export interface OtlpSettings {
  readonly protocol: OtlpProtocol;
  /** Where requests go: the gRPC address, or the full metrics URL over HTTP (otlp-target.ts). */
  readonly endpoint: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly insecure: boolean;
  readonly compression: 'none' | 'gzip';
  readonly caFile: string;
  readonly clientCertFile: string;
  readonly clientKeyFile: string;
}

/**
 * The bounds of one OTLP request. Sent whole, a collection is about 150 bytes a point: at 150k
 * series ~20 MiB, refused by a Collector's default 4 MiB receive limit. 10k points are ~1.5 MiB;
 * the byte bound keeps points with long labels under that limit too.
 */
export const REQUEST_LIMITS: RequestLimits = { points: 10_000, bytes: 3 * 2 ** 20 };

const failure = (error: unknown): ExportResult => ({
  code: ExportResultCode.FAILED,
  error: error instanceof Error ? error : new Error(String(error)),
});

/** Told the outcome of every OTLP request. */
export type ExportReport = (result: ExportResult) => void;

/** Sends encoded requests: the OTLP exporter's transport, retries and timeouts (otlp-grpc.ts, otlp-http.ts). */
export interface RequestSender {
  /** `request.bytes` are the sender's until the promise settles: a later request may reuse them. */
  send(request: EncodedRequest): Promise<ExportResult>;
  /** Waits for the requests in flight. */
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}

/** Walks the metrics into `stream`; what a throwing metric cost is returned, not thrown. */
export type StreamWalk = (stream: RequestStream, slicer: TimeSlicer, signal: AbortSignal) => Promise<unknown>;

export interface OtlpPushOptions {
  readonly intervalMs: number;
  readonly resource: Resource;
  readonly sender: RequestSender;
  readonly report: ExportReport;
  readonly walk: StreamWalk;
  readonly limits?: RequestLimits;
}

export class OtlpPush {
  readonly #options: OtlpPushOptions;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #shutdown: Promise<void> | undefined;
  readonly #buffers = new RequestBuffers();

  constructor(options: OtlpPushOptions) {
    if (!(options.intervalMs > 0))
      throw new Error(`otlp.interval: must be above 0, got ${options.intervalMs}`);
    this.#options = options;
  }

  start(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => void this.#runOnce(), this.#options.intervalMs);
    this.#timer.unref();
  }

  /** Exports now, after any export under way; then waits for every request in flight. */
  async forceFlush(): Promise<void> {
    await this.#running;
    await (this.#running ?? this.#runOnce());
    await this.#options.sender.forceFlush();
  }

  /** Stops the schedule, exports a last time and closes the exporter (once, however often called). */
  shutdown(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#shutdown ??= this.forceFlush().finally(() => this.#options.sender.shutdown());
    return this.#shutdown;
  }

  /** One export, unless one is under way (an export that outlasts the interval skips a turn). */
  #runOnce(): Promise<void> {
    if (this.#running !== undefined) return this.#running;
    const run = this.#export()
      // Not a failed request but a fault in the walk itself: told as a failed export.
      .catch((error: unknown) => this.#options.report(failure(error)))
      .finally(() => {
        this.#running = undefined;
      });
    this.#running = run;
    return run;
  }

  async #export(): Promise<void> {
    const { resource, sender, report, walk } = this.#options;
    if (resource.asyncAttributesPending) await resource.waitForAsyncAttributes?.().catch(() => undefined);
    const controller = new AbortController();
    const slicer = new TimeSlicer(controller.signal);
    const sendOne = async (request: EncodedRequest): Promise<void> => {
      // After a failure nothing more is sent: the next interval sends the whole current state
      // again (counters are cumulative, so no count is lost).
      if (controller.signal.aborted) return;
      const result = await sender.send(request).catch(failure);
      report(result);
      // Answered: nothing reads its bytes any more. A failed one may still be on its way out
      // (a timeout), so its buffer is left to the collector.
      if (result.code === ExportResultCode.SUCCESS) request.release?.();
      else controller.abort(new Error('an OTLP request failed'));
    };
    // One request in flight while the next is written: a full request holds the walk until the
    // one before it is answered.
    let previous: Promise<void> = Promise.resolve();
    const stream = new RequestStream(
      resource,
      this.#options.limits ?? REQUEST_LIMITS,
      (request) => {
        const prior = previous;
        previous = prior.then(() => sendOne(request));
        slicer.holdUntil(prior);
      },
      this.#buffers,
    );
    try {
      await walk(stream, slicer, controller.signal);
    } catch (error) {
      if (!controller.signal.aborted) throw error;
    } finally {
      await previous;
    }
  }
}
