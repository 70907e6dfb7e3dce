/**
 * One generation's telemetry: a MeterProvider with the pull reader and, when enabled, the OTLP
 * push reader. Instruments observe through the MetricSink it hands out; every metric it exposes
 * is declared, under its exact Prometheus name.
 */
import type { Resource } from '@opentelemetry/resources';
import { MeterProvider, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import type { MetricSink, Observe } from '../instrument.js';
import { exposedName, type MetricDeclaration } from './declaration.js';
import { type ExposedMetric, type ExpositionFormat, serialize } from './exposition.js';
import { createOtlpReader, type OtlpSettings, PullReader } from './readers.js';

export interface PipelineOptions {
  readonly namespace: string;
  readonly resource: Resource;
  readonly otlp?: OtlpSettings;
}

export interface Collection {
  readonly resourceMetrics: ResourceMetrics;
  readonly errors: readonly unknown[];
}

export class TelemetryPipeline {
  readonly #provider: MeterProvider;
  readonly #pull = new PullReader();
  readonly #declared = new Map<string, ExposedMetric>();
  readonly #namespace: string;
  readonly #meter;
  #inFlight: Promise<Collection> | undefined;

  constructor(options: PipelineOptions) {
    this.#namespace = options.namespace;
    const readers = options.otlp ? [this.#pull, createOtlpReader(options.otlp)] : [this.#pull];
    this.#provider = new MeterProvider({ resource: options.resource, readers });
    this.#meter = this.#provider.getMeter('sealos-state-metrics');
  }

  /** A sink that registers observable instruments for declared metrics on this pipeline. */
  readonly sink: MetricSink = {
    observe: (declaration: MetricDeclaration, callback: (observe: Observe) => void) => {
      const name = exposedName(declaration, this.#namespace);
      const known = this.#declared.get(name);
      if (known && known.declaration !== declaration) {
        throw new Error(`metric "${name}" is declared twice`);
      }
      this.#declared.set(name, { exposedName: name, declaration });
      const options = { description: declaration.help, unit: declaration.unit };
      const instrument =
        declaration.kind === 'counter'
          ? this.#meter.createObservableCounter(name, options)
          : this.#meter.createObservableGauge(name, options);
      instrument.addCallback((result) => callback((value, labels) => result.observe(value, labels)));
    },
  };

  /** The exposed names and declarations of everything registered so far. */
  get declared(): ReadonlyMap<string, ExposedMetric> {
    return this.#declared;
  }

  /** Collects once; concurrent callers share the collection in flight. */
  collect(): Promise<Collection> {
    this.#inFlight ??= this.#pull.collect().finally(() => {
      this.#inFlight = undefined;
    });
    return this.#inFlight;
  }

  async scrape(format: ExpositionFormat): Promise<{ body: string; errors: readonly unknown[] }> {
    const { resourceMetrics, errors } = await this.collect();
    return { body: serialize(resourceMetrics, this.#declared, format), errors };
  }

  /** Flushes the OTLP reader (a last export) and releases the provider. */
  async shutdown(): Promise<void> {
    await this.#provider.shutdown();
  }
}
