import type { MetricDeclaration } from '../../lib/instrument.js';

const registry = ['endpoint', 'scheme', 'host', 'port', 'info', 'repository', 'reference'] as const;

/** The labels every registry proxy series starts with, one set per configured registry. */
export type RegistryLabels = { readonly [K in (typeof registry)[number]]: string };

export const registryProxyHealth = {
  name: 'registry_proxy_health',
  kind: 'gauge',
  unit: '{address}',
  help: 'Per registry proxy: type=resolve (1 resolved, 0 not), ip_count, healthy_ips, unhealthy_ips (healthy: both the /v2/ check and the manifest fetch passed).',
  labels: [...registry, 'type'],
} as const satisfies MetricDeclaration;

export const registryProxyDnsStatus = {
  name: 'registry_proxy_dns_status',
  kind: 'gauge',
  unit: '{status}',
  help: "DNS resolution of the registry proxy host: 1 with empty error_type and reason, or 0 with the original's error_type and our finer reason.",
  labels: [...registry, 'error_type', 'reason'],
} as const satisfies MetricDeclaration;

export const registryProxyStatus = {
  name: 'registry_proxy_status',
  kind: 'gauge',
  unit: '{status}',
  help: "One check (check_type api or manifest) of one address: 1 passed, 0 failed; status_code is the HTTP status (0 without an answer), error_type the original's class of failure and reason our finer one.",
  labels: [...registry, 'ip', 'check_type', 'status_code', 'error_type', 'reason'],
} as const satisfies MetricDeclaration;

export const registryProxyResponseTime = {
  name: 'registry_proxy_response_time_seconds',
  kind: 'gauge',
  unit: 's',
  help: 'Time of one check of one address: connect, TLS handshake and the response headers.',
  labels: [...registry, 'ip', 'check_type'],
} as const satisfies MetricDeclaration;

export const registryproxyMetrics = [
  registryProxyHealth,
  registryProxyDnsStatus,
  registryProxyStatus,
  registryProxyResponseTime,
] as const;
