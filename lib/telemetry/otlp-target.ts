/**
 * Where the OTLP push sends, by the OpenTelemetry specification's exporter rules
 * (specification/protocol/exporter.md): a metrics URL (OTEL_EXPORTER_OTLP_METRICS_ENDPOINT) is
 * used as is; over HTTP a base endpoint (OTEL_EXPORTER_OTLP_ENDPOINT) gets `v1/metrics`
 * appended to its path; without either, the protocol's default address.
 */

export type OtlpProtocol = 'grpc' | 'http/protobuf';

export interface OtlpAddress {
  readonly protocol: OtlpProtocol;
  /** A base endpoint; empty for the protocol's default. */
  readonly endpoint: string;
  /** The metrics URL as is; empty when not set. */
  readonly metricsEndpoint: string;
}

const DEFAULT_ENDPOINT: Record<OtlpProtocol, string> = {
  grpc: 'http://localhost:4317',
  'http/protobuf': 'http://localhost:4318',
};

/** The signal's path below a base endpoint over HTTP. */
export const METRICS_PATH = 'v1/metrics';

/**
 * The URL the push sends to. Over HTTP the path is appended below the base's own path, keeping
 * its query (the stock exporter appends to the string, which puts the path inside a query).
 */
export function otlpTargetUrl(address: OtlpAddress): string {
  if (address.metricsEndpoint !== '') return address.metricsEndpoint;
  const base = address.endpoint !== '' ? address.endpoint : DEFAULT_ENDPOINT[address.protocol];
  if (address.protocol === 'grpc') return base;
  const url = new URL(base);
  url.pathname = `${url.pathname.endsWith('/') ? url.pathname : `${url.pathname}/`}${METRICS_PATH}`;
  return url.toString();
}
