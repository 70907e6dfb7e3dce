/**
 * The OTLP/gRPC sender. Loaded only when `otlp.enabled` is on: gRPC and the OTLP transformer
 * are some 250 modules a pull-only process has no use for.
 *
 * It is the stock exporter's delegate (the gRPC export delegate, with its transport, retries,
 * timeouts, TLS, metadata and bound on concurrent exports), made with the names
 * @opentelemetry/exporter-metrics-otlp-grpc gives it, with one part changed: it is handed
 * requests already encoded by the export's walk (otlp-encoding.ts) rather than a collection of
 * points to serialize.
 */
import { type ChannelCredentials, credentials, Metadata } from '@grpc/grpc-js';
import type { ExportResult } from '@opentelemetry/core';
import {
  convertLegacyOtlpGrpcOptions,
  createOtlpGrpcExportDelegate,
  type OTLPGRPCExporterConfigNode,
} from '@opentelemetry/otlp-grpc-exporter-base';
import { encodedRequestCounts, encodedRequestSerializer, readTlsFiles } from './otlp-delegate.js';
import type { OtlpSettings, RequestSender } from './otlp-push.js';

function channelCredentials(settings: OtlpSettings): ChannelCredentials {
  if (settings.insecure || settings.endpoint.startsWith('http://')) return credentials.createInsecure();
  const { ca, key, cert } = readTlsFiles(settings);
  return credentials.createSsl(ca ?? null, key ?? null, cert ?? null);
}

/** The sender for `settings`; an unreadable CA, certificate or key file throws naming its field. */
export function grpcSender(settings: OtlpSettings): RequestSender {
  const metadata = new Metadata();
  for (const [key, value] of Object.entries(settings.headers)) metadata.set(key.toLowerCase(), value);
  const config: OTLPGRPCExporterConfigNode = {
    url: settings.endpoint,
    metadata,
    credentials: channelCredentials(settings),
    compression: settings.compression as OTLPGRPCExporterConfigNode['compression'],
    timeoutMillis: settings.timeoutMs,
  };
  // The names the stock OTLPMetricExporter passes (its component type and the gRPC method).
  const delegate = createOtlpGrpcExportDelegate(
    convertLegacyOtlpGrpcOptions(config, 'METRICS'),
    encodedRequestSerializer,
    'otlp_grpc_metric_exporter',
    encodedRequestCounts,
    undefined,
    'MetricsExportService',
    '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export',
  );
  return {
    send: (request) => new Promise<ExportResult>((resolve) => delegate.export(request, resolve)),
    forceFlush: () => delegate.forceFlush(),
    shutdown: () => delegate.shutdown(),
  };
}
