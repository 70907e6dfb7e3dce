/**
 * One generation's telemetry. Instruments register, per declared metric, how to walk their
 * state (a pass); the registration is the single source of truth for both exports:
 * - Prometheus pull: a scrape walks the passes and writes the exposition directly; keyed passes
 *   (one object's series, kept encoded until the object changes) are copied as cached bytes.
 * - OTLP: the periodic push walks the same passes straight into encoded requests of bounded
 *   size, sending each as it fills (otlp-push.ts).
 * Neither goes through the SDK's attribute aggregation, which is most of a stock collection's
 * cost (DESIGN.md, "The pull path"). Concurrent scrapes share one walk, and a walk stops when
 * every scrape waiting on it has given up.
 */
import type { Resource } from '@opentelemetry/resources';
import type { MetricDeclaration, MetricSink } from '../instrument.js';
import { exposedName } from './declaration.js';
import {
  ChunkPool,
  Exposition,
  type ExpositionFormat,
  type MetricBlock,
  SampleWriter,
} from './exposition.js';
import type { RequestLimits } from './otlp-encoding.js';
import { CollectionWindow, type OtlpCollection, PassProducer, streamMetrics } from './otlp-producer.js';
import { type ExportReport, OtlpPush, type RequestSender } from './otlp-push.js';
import { type RegisteredMetric, registeredMetric, walkMetric } from './registry.js';
import { TimeSlicer } from './slicer.js';
import { type ObserveSource, type OpenPass, sinkOver } from './source.js';

export interface PipelineOptions {
  readonly namespace: string;
  readonly resource: Resource;
  /** The periodic OTLP push; the sender is made by the caller (otlp-grpc.ts loads on demand). */
  readonly otlp?: {
    readonly intervalMs: number;
    readonly sender: RequestSender;
    readonly report: ExportReport;
    /** REQUEST_LIMITS unless given. */
    readonly limits?: RequestLimits;
  };
  /** Lets `collectOtlp` collect what OTLP would export, as objects (tests and benchmarks compare it). */
  readonly inspect?: boolean;
  /** Which metrics are registered (metric-selection.ts); one it refuses is never walked. All without. */
  readonly select?: (exposedName: string, declaration: MetricDeclaration) => boolean;
}

export type { OtlpCollection } from './otlp-producer.js';

/** The sink instruments get, plus the pass registration that the leader gate builds on. */
export interface PipelineSink extends MetricSink {
  readonly observeSource: ObserveSource;
}

interface SharedWalk {
  readonly promise: Promise<Exposition>;
  readonly controller: AbortController;
  waiters: number;
  /** Callers that got or may get the exposition and have not released it. */
  holders: number;
}

/** An exposition lent to one writer, who releases it once its bytes are written. */
export interface ExpositionLease {
  readonly exposition: Exposition;
  release(): void;
}

/** Resolves or rejects with `promise`, or rejects as soon as `signal` aborts. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

export class TelemetryPipeline {
  readonly #push: OtlpPush | undefined;
  readonly #inspection: PassProducer | undefined;
  readonly #metrics = new Map<string, RegisteredMetric>();
  readonly #namespace: string;
  readonly #select: PipelineOptions['select'];
  readonly #pool = new ChunkPool();
  #shared: SharedWalk | undefined;

  constructor(options: PipelineOptions) {
    this.#namespace = options.namespace;
    this.#select = options.select;
    // One window for both, as one MeterProvider's readers share their collection times.
    const window = new CollectionWindow();
    if (options.inspect) this.#inspection = new PassProducer(this.#metrics, window, options.resource);
    if (options.otlp) {
      this.#push = new OtlpPush({
        intervalMs: options.otlp.intervalMs,
        resource: options.resource,
        sender: options.otlp.sender,
        report: options.otlp.report,
        ...(options.otlp.limits ? { limits: options.otlp.limits } : {}),
        walk: (stream, slicer, signal) => streamMetrics(this.#metrics, window, stream, slicer, signal),
      });
      this.#push.start();
    }
  }

  readonly #observeSource: ObserveSource = (declaration: MetricDeclaration, open: OpenPass) => {
    const name = exposedName(declaration, this.#namespace);
    if (this.#select && !this.#select(name, declaration)) return;
    const known = this.#metrics.get(name);
    if (known && known.exposed.declaration !== declaration) {
      throw new Error(`metric "${name}" is declared twice`);
    }
    const metric = known ?? registeredMetric({ exposedName: name, declaration });
    metric.opens.push(open);
    this.#metrics.set(name, metric);
  };

  /** The sink instruments register their metrics on. */
  readonly sink: PipelineSink = { ...sinkOver(this.#observeSource), observeSource: this.#observeSource };

  async #walk(signal: AbortSignal): Promise<Exposition> {
    const slicer = new TimeSlicer(signal);
    const blocks: MetricBlock[] = [];
    const errors: unknown[] = [];
    for (const metric of this.#metrics.values()) {
      try {
        const { visitor, series } = await walkMetric(
          metric,
          slicer,
          () => new SampleWriter(metric.exposed, this.#pool),
        );
        blocks.push({ exposed: metric.exposed, chunks: visitor.finish(), series, pooled: visitor.pooled });
      } catch (error) {
        // A callback that throws costs its own metric only; an abort ends the walk.
        if (signal.aborted) throw signal.reason;
        errors.push(error);
      }
      await slicer.pause();
    }
    return new Exposition(blocks, errors, this.#pool);
  }

  async #join(signal: AbortSignal | undefined): Promise<{ exposition: Exposition; walk: SharedWalk }> {
    let walk = this.#shared;
    if (!walk) {
      const controller = new AbortController();
      const started: SharedWalk = {
        controller,
        waiters: 0,
        holders: 0,
        promise: this.#walk(controller.signal).finally(() => {
          if (this.#shared === started) this.#shared = undefined;
        }),
      };
      walk = started;
      this.#shared = walk;
    }
    walk.waiters += 1;
    walk.holders += 1;
    try {
      return { exposition: await untilAborted(walk.promise, signal), walk };
    } catch (error) {
      walk.holders -= 1;
      throw error;
    } finally {
      walk.waiters -= 1;
      if (walk.waiters === 0 && this.#shared === walk && signal?.aborted) {
        this.#shared = undefined;
        walk.controller.abort(signal.reason);
      }
    }
  }

  /**
   * The current exposition. Concurrent callers share one walk; a caller whose `signal` aborts
   * (its scrape timed out) stops waiting, and the walk stops once no caller waits for it. Its
   * chunks are never recycled (see `lease`).
   */
  async exposition(signal?: AbortSignal): Promise<Exposition> {
    return (await this.#join(signal)).exposition;
  }

  /**
   * The current exposition for a writer that says when it is done with the bytes: once every
   * caller of the walk has released it, its chunks go back to the pool for the next scrape.
   */
  async lease(signal?: AbortSignal): Promise<ExpositionLease> {
    const { exposition, walk } = await this.#join(signal);
    let released = false;
    return {
      exposition,
      release: () => {
        if (released) return;
        released = true;
        walk.holders -= 1;
        if (walk.holders === 0) exposition.recycle();
      },
    };
  }

  async scrape(
    format: ExpositionFormat,
    signal?: AbortSignal,
  ): Promise<{ body: string; errors: readonly unknown[] }> {
    const exposition = await this.exposition(signal);
    return { body: exposition.text(format), errors: exposition.errors };
  }

  /** A collection as the OTLP reader exports it (needs `inspect`). */
  async collectOtlp(): Promise<OtlpCollection> {
    if (!this.#inspection) throw new Error('TelemetryPipeline: collectOtlp needs the inspect option');
    return this.#inspection.collect();
  }

  /** Exports to OTLP now (the periodic push's next export, early). */
  async flush(): Promise<void> {
    await this.#push?.forceFlush();
  }

  /** Pushes a last OTLP export and closes the exporter. */
  async shutdown(): Promise<void> {
    await this.#push?.shutdown();
  }
}
