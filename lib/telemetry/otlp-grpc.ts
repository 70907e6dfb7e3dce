/**
 * The OTLP/gRPC exporter. Loaded only when `otlp.enabled` is on: gRPC and the OTLP transformer
 * are some 250 modules a pull-only process has no use for.
 */
import { type ChannelCredentials, credentials, Metadata } from '@grpc/grpc-js';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-grpc';
import type { PushMetricExporter } from '@opentelemetry/sdk-metrics';
import { readNamedFileSync } from '../config/named-file.js';
import type { OtlpSettings } from './readers.js';

function readPem(field: string, path: string): Buffer | null {
  return path === '' ? null : readNamedFileSync(path, `otlp.${field}`);
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

/** The exporter for `settings`; an unreadable CA, certificate or key file throws naming its field. */
export function grpcExporter(settings: OtlpSettings): PushMetricExporter {
  const metadata = new Metadata();
  for (const [key, value] of Object.entries(settings.headers)) metadata.set(key.toLowerCase(), value);
  return new OTLPMetricExporter({
    url: settings.endpoint,
    metadata,
    credentials: channelCredentials(settings),
    compression: settings.compression as ExporterOptions['compression'],
    timeoutMillis: settings.timeoutMs,
  });
}
