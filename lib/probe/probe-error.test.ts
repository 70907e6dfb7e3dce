import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  certErrorType,
  classifyProbeError,
  PROBE_ERROR_TYPES,
  ProbeError,
  type ProbeErrorType,
} from './probe-error.js';

function coded(code: string, message = code): Error {
  return Object.assign(new Error(message), { code });
}

test('socket, TLS and HTTP parser errors map to the closed set', () => {
  const cases: [unknown, ProbeErrorType][] = [
    [new ProbeError('dns_timeout', 'x'), 'dns_timeout'],
    [coded('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.6:443'), 'connection_refused'],
    [coded('EHOSTUNREACH'), 'unreachable'],
    [coded('ENETUNREACH'), 'unreachable'],
    [coded('ECONNRESET', 'read ECONNRESET'), 'connection_reset'],
    [coded('ETIMEDOUT'), 'timeout'],
    [coded('CERT_HAS_EXPIRED', 'certificate has expired'), 'cert_expired'],
    [
      coded('ERR_TLS_CERT_ALTNAME_INVALID', "Hostname/IP does not match certificate's altnames"),
      'cert_hostname_mismatch',
    ],
    [coded('DEPTH_ZERO_SELF_SIGNED_CERT', 'self-signed certificate'), 'cert_untrusted'],
    [coded('UNABLE_TO_VERIFY_LEAF_SIGNATURE'), 'cert_untrusted'],
    [coded('ERR_SSL_WRONG_VERSION_NUMBER', 'wrong version number'), 'tls_error'],
    [coded('ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE', 'alert handshake failure'), 'tls_error'],
    [coded('HPE_INVALID_CONSTANT', 'Parse Error: Expected HTTP/'), 'protocol_error'],
    [coded('HPE_UNEXPECTED_CONTENT_LENGTH'), 'protocol_error'],
    [new Error('socket hang up'), 'connection_reset'],
    [
      new Error('Client network socket disconnected before secure TLS connection was established'),
      'tls_error',
    ],
    [new Error('nobody knows'), 'unknown'],
    [undefined, 'unknown'],
  ];
  for (const [error, expected] of cases) {
    const type = classifyProbeError(error);
    assert.equal(type, expected, String((error as Error | undefined)?.message));
    assert.ok(PROBE_ERROR_TYPES.includes(type));
  }
  assert.equal(certErrorType('CERT_NOT_YET_VALID'), 'cert_not_yet_valid');
  assert.equal(certErrorType('SOMETHING_NEW'), 'cert_untrusted');
});
