/**
 * Why a probe failed, as a closed set: the `reason` label of the probe instruments, beside the
 * original's `error_type` values that each instrument derives from it (and from the raw code).
 * Raw error text never becomes a label; it is for the debug log.
 */
export const PROBE_ERROR_TYPES = [
  /** The name does not exist (NXDOMAIN). */
  'dns_no_such_host',
  /** The name exists but has no address of an enabled family (or every family is disabled). */
  'dns_no_answer',
  /** The DNS server failed or refused to answer (SERVFAIL, REFUSED). */
  'dns_server_failure',
  /** No DNS answer in time. */
  'dns_timeout',
  /** Any other resolution failure. */
  'dns_error',
  /** No answer within the check timeout (connect, handshake or response). */
  'timeout',
  /** Nothing listens on the port. */
  'connection_refused',
  /** No route to the host or network. */
  'unreachable',
  /** The peer closed or reset the connection early. */
  'connection_reset',
  /** The TLS handshake failed (protocol, cipher, alert), not the certificate. */
  'tls_error',
  /** The certificate's notAfter has passed. */
  'cert_expired',
  /** The certificate's notBefore is still ahead. */
  'cert_not_yet_valid',
  /** The certificate does not name the host. */
  'cert_hostname_mismatch',
  /** The certificate does not chain to a trusted CA (self-signed, unknown issuer, bad chain). */
  'cert_untrusted',
  /** An HTTP answer with a status the check does not accept. */
  'unexpected_status',
  /** The peer answered, but not with HTTP (or with malformed HTTP). */
  'protocol_error',
  /** Anything else; the debug log has the message. */
  'unknown',
] as const;

export type ProbeErrorType = (typeof PROBE_ERROR_TYPES)[number];

export class ProbeError extends Error {
  constructor(
    readonly errorType: ProbeErrorType,
    message: string,
    /** The system, DNS or TLS code behind it (`ENETUNREACH`, `ENODATA`, `CERT_HAS_EXPIRED`), when one is known. */
    readonly code?: string,
  ) {
    super(message);
    this.name = 'ProbeError';
  }
}

/**
 * The name resolved, but to no address of an enabled family. A server's NODATA (ENODATA) is not
 * this: Go's resolver, and so the original, takes it for "no such host".
 */
export function isNoUsableAddress(reason: ProbeErrorType, code: string | undefined): boolean {
  return reason === 'dns_no_answer' && code !== 'ENODATA';
}

/** `error` as a ProbeError of the closed set, keeping its code. */
export function toProbeError(error: unknown): ProbeError {
  if (error instanceof ProbeError) return error;
  const code = (error as { code?: unknown } | undefined)?.code;
  return new ProbeError(
    classifyProbeError(error),
    error instanceof Error ? error.message : String(error),
    typeof code === 'string' && code !== '' ? code : undefined,
  );
}

const CERT_CODES: Readonly<Record<string, ProbeErrorType>> = {
  CERT_HAS_EXPIRED: 'cert_expired',
  CERT_NOT_YET_VALID: 'cert_not_yet_valid',
  ERR_TLS_CERT_ALTNAME_INVALID: 'cert_hostname_mismatch',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'cert_untrusted',
  SELF_SIGNED_CERT_IN_CHAIN: 'cert_untrusted',
  UNABLE_TO_GET_ISSUER_CERT: 'cert_untrusted',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'cert_untrusted',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'cert_untrusted',
  CERT_UNTRUSTED: 'cert_untrusted',
  CERT_SIGNATURE_FAILURE: 'cert_untrusted',
  CERT_REVOKED: 'cert_untrusted',
  INVALID_CA: 'cert_untrusted',
};

const SOCKET_CODES: Readonly<Record<string, ProbeErrorType>> = {
  ECONNREFUSED: 'connection_refused',
  EHOSTUNREACH: 'unreachable',
  ENETUNREACH: 'unreachable',
  EADDRNOTAVAIL: 'unreachable',
  ECONNRESET: 'connection_reset',
  EPIPE: 'connection_reset',
  ETIMEDOUT: 'timeout',
  HPE_INVALID_CONSTANT: 'protocol_error',
  HPE_INVALID_VERSION: 'protocol_error',
  HPE_INVALID_STATUS: 'protocol_error',
  HPE_INVALID_HEADER_TOKEN: 'protocol_error',
  ERR_SSL_WRONG_VERSION_NUMBER: 'tls_error',
  ERR_SSL_PACKET_LENGTH_TOO_LONG: 'tls_error',
};

/** A certificate verification code (tls authorizationError) as an error type. */
export function certErrorType(code: string): ProbeErrorType {
  return CERT_CODES[code] ?? 'cert_untrusted';
}

/** Maps a socket, TLS or HTTP parser error to the closed set. */
export function classifyProbeError(error: unknown): ProbeErrorType {
  if (error instanceof ProbeError) return error.errorType;
  const code = String((error as { code?: unknown } | undefined)?.code ?? '');
  if (CERT_CODES[code]) return CERT_CODES[code];
  if (SOCKET_CODES[code]) return SOCKET_CODES[code];
  if (code.startsWith('HPE_')) return 'protocol_error';
  if (code.startsWith('ERR_SSL') || code.startsWith('ERR_TLS')) return 'tls_error';
  const message = error instanceof Error ? error.message : String(error);
  if (/socket hang up|closed/i.test(message)) return 'connection_reset';
  if (/alert|handshake|ssl|tls/i.test(message)) return 'tls_error';
  return 'unknown';
}
