import type { MetricDeclaration } from '../../lib/instrument.js';

export const domainHealth = {
  name: 'domain_health',
  kind: 'gauge',
  unit: '{address}',
  help: 'Per domain: type=resolve (1 resolved, 0 not), ip_count, healthy_ips, unhealthy_ips (an address is healthy when every enabled check passed).',
  labels: ['domain', 'type'],
} as const satisfies MetricDeclaration;

export const domainDnsStatus = {
  name: 'domain_dns_status',
  kind: 'gauge',
  unit: '{status}',
  help: "DNS resolution of the domain: 1 with empty error_type and reason, or 0 with the original's error_type and our finer reason.",
  labels: ['domain', 'error_type', 'reason'],
} as const satisfies MetricDeclaration;

export const domainStatus = {
  name: 'domain_status',
  kind: 'gauge',
  unit: '{status}',
  help: "One check (check_type http or cert) of one resolved address: 1 passed with empty error_type and reason, 0 failed with the original's error_type and our finer reason. Checks not run are not exported.",
  labels: ['domain', 'ip', 'check_type', 'error_type', 'reason'],
} as const satisfies MetricDeclaration;

export const domainCertExpiry = {
  name: 'domain_cert_expiry_seconds',
  kind: 'gauge',
  unit: 's',
  help: 'Seconds until the certificate served at this address expires, for a certificate that passed its check (error_type is always empty, as in the original).',
  labels: ['domain', 'ip', 'error_type'],
} as const satisfies MetricDeclaration;

export const domainResponseTime = {
  name: 'domain_response_time_seconds',
  kind: 'gauge',
  unit: 's',
  help: 'Time of a passed HTTP check of this address: connect, TLS handshake and the response headers.',
  labels: ['domain', 'ip'],
} as const satisfies MetricDeclaration;

export const domainMetrics = [
  domainHealth,
  domainDnsStatus,
  domainStatus,
  domainCertExpiry,
  domainResponseTime,
] as const;
