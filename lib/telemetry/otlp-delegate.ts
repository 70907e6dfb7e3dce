/**
 * What the stock OTLP export delegates (gRPC and HTTP alike) are handed so that they send
 * requests the export's walk already encoded (otlp-encoding.ts) instead of serializing a
 * collection of points: a serializer that passes the bytes through, the counts their own
 * exporter metrics take from a request, and the TLS files of the settings.
 */
import {
  type IExportMetricsServiceResponse,
  type ISerializer,
  ProtobufMetricsSerializer,
} from '@opentelemetry/otlp-transformer';
import { readNamedFileSync } from '../config/named-file.js';
import type { EncodedRequest } from './otlp-encoding.js';
import type { OtlpSettings } from './otlp-push.js';

export const encodedRequestSerializer: ISerializer<EncodedRequest, IExportMetricsServiceResponse> = {
  serializeRequest: (request) => request.bytes,
  deserializeResponse: (data) => ProtobufMetricsSerializer.deserializeResponse(data),
};

/** The exporter's own counts (`otel.sdk.exporter.metric_data_point.*`), from the request's points. */
export const encodedRequestCounts = {
  name: 'metric_data_point' as const,
  countItems: (request: EncodedRequest) => request.points,
};

export interface TlsFiles {
  readonly ca: Buffer | undefined;
  readonly cert: Buffer | undefined;
  readonly key: Buffer | undefined;
}

/** The CA, client certificate and key of `settings`; an unreadable one throws naming its field. */
export function readTlsFiles(settings: OtlpSettings): TlsFiles {
  const read = (field: string, path: string) =>
    path === '' ? undefined : readNamedFileSync(path, `otlp.${field}`);
  return {
    ca: read('caFile', settings.caFile),
    cert: read('clientCertFile', settings.clientCertFile),
    key: read('clientKeyFile', settings.clientKeyFile),
  };
}
