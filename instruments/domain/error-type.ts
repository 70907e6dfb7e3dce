/**
 * The original's `error_type` values for domain checks, derived from why a check failed (our
 * `reason`, and the system or TLS code behind it). The Go original runs regular expressions over
 * Go's error text (pkg/collector/domain/classifier.go); the causes below are the ones those
 * texts come from, so a user's `error_type="..."` matchers keep matching. The only departures
 * are the three bugs the README names.
 */
import { isNoUsableAddress, type ProbeErrorType } from '../../lib/probe/probe-error.js';

export const DOMAIN_ERROR_TYPES = [
  'ConnectionRefused',
  'Timeout',
  'DNSError',
  'DNSNoSuchHost',
  'DNSNoAnswer',
  'HTTPClientError',
  'HTTPServerError',
  'SSLError',
  'NetworkError',
  'CertExpired',
  'CertHostnameMismatch',
  'Unknown',
] as const;

export type DomainErrorType = (typeof DOMAIN_ERROR_TYPES)[number];

/** Why one check failed: the closed reason, its raw code, and the HTTP status when there was one. */
export interface CheckFailure {
  readonly reason: ProbeErrorType;
  readonly code?: string | undefined;
  readonly statusCode?: number | undefined;
}

/**
 * Go says "network is unreachable" (NetworkError) for ENETUNREACH, but "no route to host" and
 * "cannot assign requested address", which no pattern of the original matches, for the others.
 */
function unreachable(code: string | undefined): DomainErrorType {
  return code === 'ENETUNREACH' ? 'NetworkError' : 'Unknown';
}

/** `domain_dns_status`: the resolution of the domain's host. */
export function dnsErrorType(failure: CheckFailure): DomainErrorType {
  switch (failure.reason) {
    case 'dns_no_such_host':
      return 'DNSNoSuchHost';
    case 'dns_no_answer':
      // No address of an enabled family is the original's "returned no IPs after IP family
      // filtering"; a server's NODATA is "no such host" to Go.
      return isNoUsableAddress(failure.reason, failure.code) ? 'DNSNoAnswer' : 'DNSNoSuchHost';
    case 'dns_timeout':
    case 'timeout':
      return 'Timeout';
    default:
      return 'DNSError';
  }
}

/** `domain_status{check_type="http"}`: the request, with redirects followed. */
export function httpErrorType(failure: CheckFailure): DomainErrorType {
  switch (failure.reason) {
    case 'dns_no_such_host':
    case 'dns_no_answer':
      return 'DNSNoSuchHost';
    case 'dns_timeout':
    case 'timeout':
      return 'Timeout';
    case 'dns_server_failure':
    case 'dns_error':
      return 'DNSError';
    case 'connection_refused':
      return 'ConnectionRefused';
    case 'unreachable':
      return unreachable(failure.code);
    case 'connection_reset':
      return 'NetworkError';
    // The original's "50[0-9]" matches the "x509" of every certificate error first and calls it
    // HTTPServerError: the README names this fix.
    case 'tls_error':
    case 'cert_expired':
    case 'cert_not_yet_valid':
    case 'cert_hostname_mismatch':
    case 'cert_untrusted':
      return 'SSLError';
    case 'unexpected_status': {
      const status = failure.statusCode;
      if (status === undefined) return 'Unknown';
      // Every 4xx is a client error (the original's "40[0-9]" missed 410-499: named fix).
      return status >= 400 && status < 500 ? 'HTTPClientError' : 'HTTPServerError';
    }
    default:
      return 'Unknown';
  }
}

/** `domain_status{check_type="cert"}` and `domain_cert_expiry_seconds`: the TLS handshake. */
export function certErrorType(failure: CheckFailure): DomainErrorType {
  switch (failure.reason) {
    case 'connection_refused':
      return 'ConnectionRefused';
    case 'timeout':
    case 'dns_timeout':
      return 'Timeout';
    case 'unreachable':
      return unreachable(failure.code);
    case 'connection_reset':
      return 'NetworkError';
    // Go's "x509: certificate has expired or is not yet valid", for both dates.
    case 'cert_expired':
    case 'cert_not_yet_valid':
      return 'CertExpired';
    case 'cert_hostname_mismatch':
      return 'CertHostnameMismatch';
    // "tls: failed to verify certificate: x509: certificate signed by unknown authority" and
    // handshake failures match the original's SSL patterns.
    case 'cert_untrusted':
    case 'tls_error':
      return 'SSLError';
    case 'dns_no_such_host':
    case 'dns_no_answer':
    case 'dns_server_failure':
    case 'dns_error':
      return 'DNSError';
    default:
      return 'Unknown';
  }
}
