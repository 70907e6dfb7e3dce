/**
 * The two readers of one MeterProvider: a pull reader that the HTTP server collects on scrape,
 * and the periodic OTLP/gRPC push. Both see the same instruments and the same callbacks.
 */
import { readFileSync } from 'node:fs';
import { type ChannelCredentials, credentials, Metadata } from '@grpc/grpc-js';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-grpc';
import {
  AggregationTemporality,
  InstrumentType,
  MetricReader,
  PeriodicExportingMetricReader,
  type PushMetricExporter,
} from '@opentelemetry/sdk-metrics';

/**
 * No series limit: a state-metrics collector exports one series per object it sees, and the
 * SDK's default (2000) would silently fold the rest into an overflow series.
 */
export const SERIES_LIMIT = Number.MAX_SAFE_INTEGER;

/**
 * Gauges are collected with delta temporality, so a series whose object is gone is gone from the
 * next collection; with cumulative temporality the SDK keeps reporting its last value forever.
 * OTLP gauges carry no temporality, so consumers see the same points.
 */
export function selectTemporality(type: InstrumentType): AggregationTemporality {
  return type === InstrumentType.OBSERVABLE_GAUGE || type === InstrumentType.GAUGE
    ? AggregationTemporality.DELTA
    : AggregationTemporality.CUMULATIVE;
}

export class PullReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: selectTemporality, cardinalitySelector: () => SERIES_LIMIT });
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

function readPem(field: string, path: string): Buffer | null {
  if (path === '') return null;
  try {
    return readFileSync(path);
  } catch (error) {
    throw new Error(
      `otlp.${field} "${path}": cannot read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
}

function channelCredentials(settings: OtlpSettings): ChannelCredentials {
  if (settings.insecure || settings.endpoint.startsWith('http://')) return credentials.createInsecure();
  return credentials.createSsl(
    readPem('caFile', settings.caFile),
    readPem('clientKeyFile', settings.clientKeyFile),
    readPem('clientCertFile', settings.clientCertFile),
  );
}

type ExporterOptions = NonNullable<ConstructorParameters<typeof OTLPMetricExporter>[0]>;

/** Delegates to the OTLP exporter but chooses temporality the same way as the pull reader. */
function withOurTemporality(exporter: OTLPMetricExporter): PushMetricExporter {
  return {
    export: (metrics, done) => exporter.export(metrics, done),
    forceFlush: () => exporter.forceFlush(),
    shutdown: () => exporter.shutdown(),
    selectAggregationTemporality: selectTemporality,
  };
}

export function createOtlpReader(settings: OtlpSettings): PeriodicExportingMetricReader {
  const metadata = new Metadata();
  for (const [key, value] of Object.entries(settings.headers)) metadata.set(key.toLowerCase(), value);
  const exporter = new OTLPMetricExporter({
    url: settings.endpoint,
    metadata,
    credentials: channelCredentials(settings),
    compression: settings.compression as ExporterOptions['compression'],
    timeoutMillis: settings.timeoutMs,
  });
  return new PeriodicExportingMetricReader({
    exporter: withOurTemporality(exporter),
    exportIntervalMillis: settings.intervalMs,
    exportTimeoutMillis: Math.min(settings.timeoutMs, settings.intervalMs),
    cardinalityLimits: {
      counter: SERIES_LIMIT,
      gauge: SERIES_LIMIT,
      histogram: SERIES_LIMIT,
      observableCounter: SERIES_LIMIT,
      observableGauge: SERIES_LIMIT,
      observableUpDownCounter: SERIES_LIMIT,
      upDownCounter: SERIES_LIMIT,
    },
  });
}
