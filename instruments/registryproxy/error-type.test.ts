import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ProbeErrorType } from '../../lib/probe/probe-error.js';
import { type RegistryErrorType, registryCheckErrorType, registryDnsErrorType } from './error-type.js';

// What the original's classifyRegistryError (checker.go) makes of the Go error behind each
// reason; Go 1.25 (the original's) reports client and dial timeouts as context.DeadlineExceeded.
test("check failures get the original's error_type", () => {
  const cases: [goText: string, reason: ProbeErrorType, expected: RegistryErrorType][] = [
    [
      'Get "http://r:5000/v2/": context deadline exceeded (Client.Timeout exceeded while awaiting headers)',
      'timeout',
      'Context',
    ],
    [
      'Get "http://r:5000/v2/": dial tcp 10.0.0.1:5000: connect: connection refused',
      'connection_refused',
      'Connect',
    ],
    ['Get "http://r:5000/v2/": dial tcp 10.0.0.1:5000: connect: no route to host', 'unreachable', 'Connect'],
    ['Get "http://r:5000/v2/": read: connection reset by peer', 'connection_reset', 'Request'],
    [
      'Get "https://r/v2/": tls: failed to verify certificate: x509: certificate signed by unknown authority',
      'cert_untrusted',
      'Request',
    ],
    ['Get "https://r/v2/": remote error: tls: handshake failure', 'tls_error', 'Request'],
    [
      'Get "http://r:5000/v2/": net/http: HTTP/1.x transport connection broken: malformed HTTP response',
      'protocol_error',
      'Request',
    ],
    // TestRegistryCheckerManifestFailure: a manifest 404 is HTTPStatus.
    ['unexpected manifest status code: 404', 'unexpected_status', 'HTTPStatus'],
  ];
  for (const [goText, reason, expected] of cases)
    assert.equal(registryCheckErrorType(reason), expected, goText);
});

test('DNS failures are DNS; a name with no usable address is NoIP', () => {
  assert.equal(registryDnsErrorType('dns_no_such_host', 'ENOTFOUND'), 'DNS');
  assert.equal(registryDnsErrorType('dns_server_failure', 'ESERVFAIL'), 'DNS');
  assert.equal(registryDnsErrorType('dns_timeout', undefined), 'DNS');
  // Go's LookupHost fails on a name without address records: DNS, not NoIP.
  assert.equal(registryDnsErrorType('dns_no_answer', 'ENODATA'), 'DNS');
  assert.equal(registryDnsErrorType('dns_no_answer', undefined), 'NoIP');
});
