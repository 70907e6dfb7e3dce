/**
 * The OTLP/gRPC sender. Loaded only when `otlp.enabled` is on: gRPC and the OTLP transformer
 * are some 250 modules a pull-only process has no use for.
 *
 * It is the stock exporter's delegate (otlp-exporter-base's network delegate with its retries,
 * timeouts and bound on concurrent exports, the gRPC exporter's metrics, options, TLS and
 * metadata), made with the names @opentelemetry/exporter-metrics-otlp-grpc gives it, with two
 * parts changed: it is handed requests already encoded by the export's walk (otlp-encoding.ts)
 * rather than a collection of points to serialize, and its transport hands grpc-js those bytes
 * without the stock transport's copy (otlp-grpc-transport.ts).
 */
import { type ChannelCredentials, credentials, Metadata } from '@grpc/grpc-js';
import type { ExportResult } from '@opentelemetry/core';
import { createOtlpNetworkExportDelegate } from '@opentelemetry/otlp-exporter-base';
import {
  convertLegacyOtlpGrpcOptions,
  createOtlpGrpcExporterMetrics,
  type OTLPGRPCExporterConfigNode,
} from '@opentelemetry/otlp-grpc-exporter-base';
import { USER_AGENT } from '../version.js';
import { encodedRequestCounts, encodedRequestSerializer, readTlsFiles } from './otlp-delegate.js';
import { GrpcTransport } from './otlp-grpc-transport.js';
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
    // Prepended to the exporter's own product token, as over OTLP/HTTP (otlp-http.ts).
    userAgent: USER_AGENT,
  };
  const options = convertLegacyOtlpGrpcOptions(config, 'METRICS');
  // What createOtlpGrpcExportDelegate builds, with the names the stock OTLPMetricExporter passes
  // (its component type, the client's name and the gRPC method).
  const delegate = createOtlpNetworkExportDelegate(
    options,
    encodedRequestSerializer,
    createOtlpGrpcExporterMetrics('otlp_grpc_metric_exporter', encodedRequestCounts, options.url, undefined),
    new GrpcTransport(
      options,
      'MetricsExportService',
      '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export',
    ),
  );
  return {
    send: (request) => new Promise<ExportResult>((resolve) => delegate.export(request, resolve)),
    forceFlush: () => delegate.forceFlush(),
    shutdown: () => delegate.shutdown(),
  };
}
