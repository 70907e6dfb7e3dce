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
  help: 'DNS resolution of the domain: 1 with an empty error_type, or 0 with why it failed.',
  labels: ['domain', 'error_type'],
} as const satisfies MetricDeclaration;

export const domainStatus = {
  name: 'domain_status',
  kind: 'gauge',
  unit: '{status}',
  help: 'One check (check_type http or cert) of one resolved address: 1 passed with an empty error_type, 0 failed with its error_type. Checks not run are not exported.',
  labels: ['domain', 'ip', 'check_type', 'error_type'],
} as const satisfies MetricDeclaration;

export const domainCertExpiry = {
  name: 'domain_cert_expiry_seconds',
  kind: 'gauge',
  unit: 's',
  help: 'Seconds until the certificate served at this address expires (negative once expired); error_type names a certificate problem, empty when it verifies.',
  labels: ['domain', 'ip', 'error_type'],
} as const satisfies MetricDeclaration;

export const domainResponseTime = {
  name: 'domain_response_time_seconds',
  kind: 'gauge',
  unit: 's',
  help: 'Time of the probe of this address: connect, TLS handshake and, with the HTTP check, the response headers.',
  labels: ['domain', 'ip'],
} as const satisfies MetricDeclaration;

export const domainMetrics = [
  domainHealth,
  domainDnsStatus,
  domainStatus,
  domainCertExpiry,
  domainResponseTime,
] as const;
