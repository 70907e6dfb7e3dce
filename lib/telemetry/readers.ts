/**
 * The readers of one MeterProvider: the periodic OTLP push and, for tests and benchmarks, an
 * inspection reader. Both collect the pipeline's producer, which walks the instruments' passes.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import {
  type MetricData,
  type MetricProducer,
  MetricReader,
  PeriodicExportingMetricReader,
  type PushMetricExporter,
  type ResourceMetrics,
  type ScopeMetrics,
} from '@opentelemetry/sdk-metrics';

/**
 * Collects on demand what the OTLP reader would export. Not used to serve scrapes; tests and
 * benchmarks compare it with the exposition.
 */
export class InspectionReader extends MetricReader {
  constructor(producer: MetricProducer) {
    super({ metricProducers: [producer] });
  }
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

export interface OtlpSettings {
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
 * Points per OTLP request. The exporter sends a collection as one gRPC message, about 150 bytes
 * a point: at 150k series that is ~20 MiB, refused by a Collector's default 4 MiB receive limit,
 * and serialized in one piece (a stall of the event loop). 10k points is ~1.5 MiB.
 */
export const POINTS_PER_REQUEST = 10_000;

/** Splits a collection into collections of at most `limit` points, metric by metric, in order. */
export function splitByPoints(metrics: ResourceMetrics, limit: number): ResourceMetrics[] {
  const batches: ResourceMetrics[] = [];
  let current: ScopeMetrics[] = [];
  let points = 0;
  const close = () => {
    if (current.length > 0) batches.push({ resource: metrics.resource, scopeMetrics: current });
    current = [];
    points = 0;
  };
  for (const scope of metrics.scopeMetrics) {
    for (const metric of scope.metrics) {
      const dataPoints = metric.dataPoints as unknown[];
      let start = 0;
      do {
        if (points >= limit) close();
        const take = Math.min(limit - points, dataPoints.length - start);
        const part = { ...metric, dataPoints: dataPoints.slice(start, start + take) } as MetricData;
        const last = current.at(-1);
        if (last && last.scope === scope.scope) last.metrics.push(part);
        else current.push({ scope: scope.scope, metrics: [part] });
        points += take;
        start += take;
      } while (start < dataPoints.length);
    }
  }
  close();
  return batches;
}

/** Told the outcome of every OTLP request. */
export type ExportReport = (result: ExportResult) => void;

/**
 * Delegates to the OTLP exporter in requests of at most POINTS_PER_REQUEST points, one after
 * another with a turn of the event loop between them. The first failed request fails the export;
 * nothing is queued for later, since the next interval exports the whole current state again
 * (counters are cumulative, so no count is lost).
 */
function batchedExporter(exporter: PushMetricExporter, report: ExportReport): PushMetricExporter {
  const exportAll = async (metrics: ResourceMetrics): Promise<ExportResult> => {
    for (const batch of splitByPoints(metrics, POINTS_PER_REQUEST)) {
      const result = await new Promise<ExportResult>((resolve) => exporter.export(batch, resolve));
      report(result);
      if (result.code !== ExportResultCode.SUCCESS) return result;
      await nextTurn();
    }
    return { code: ExportResultCode.SUCCESS };
  };
  return {
    export: (metrics, done) => void exportAll(metrics).then(done),
    forceFlush: () => exporter.forceFlush?.() ?? Promise.resolve(),
    shutdown: () => exporter.shutdown(),
  };
}

/** The periodic OTLP push of what `producer` collects, through `exporter` (otlp-grpc.ts). */
export function createOtlpReader(
  settings: Pick<OtlpSettings, 'intervalMs' | 'timeoutMs'>,
  exporter: PushMetricExporter,
  producer: MetricProducer,
  report: ExportReport,
): PeriodicExportingMetricReader {
  return new PeriodicExportingMetricReader({
    exporter: batchedExporter(exporter, report),
    exportIntervalMillis: settings.intervalMs,
    exportTimeoutMillis: Math.min(settings.timeoutMs, settings.intervalMs),
    metricProducers: [producer],
  });
}
