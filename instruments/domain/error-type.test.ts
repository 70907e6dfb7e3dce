import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type CheckFailure,
  certErrorType,
  type DomainErrorType,
  dnsErrorType,
  httpErrorType,
} from './error-type.js';

type Case = readonly [goText: string, failure: CheckFailure, expected: DomainErrorType];

// labring/sealos-state-metrics pkg/collector/domain/classifier_test.go, TestClassifyCertError:
// each Go text with the failure here that Go reports with it.
const originalCertCases: Case[] = [
  ['failed to dial: context deadline exceeded', { reason: 'timeout' }, 'Timeout'],
  [
    'failed to dial: dial tcp [2606:4700::6812:1a78]:443: connect: network is unreachable',
    { reason: 'unreachable', code: 'ENETUNREACH' },
    'NetworkError',
  ],
  [
    'failed to dial: read tcp 10.0.0.1:12345->1.2.3.4:443: read: connection reset by peer',
    { reason: 'connection_reset', code: 'ECONNRESET' },
    'NetworkError',
  ],
  [
    'failed to dial: dial tcp 1.2.3.4:443: connect: connection refused',
    { reason: 'connection_refused', code: 'ECONNREFUSED' },
    'ConnectionRefused',
  ],
  [
    'x509: certificate is valid for foo.example.com, not example.com',
    { reason: 'cert_hostname_mismatch', code: 'ERR_TLS_CERT_ALTNAME_INVALID' },
    'CertHostnameMismatch',
  ],
  [
    'tls: failed to verify certificate: x509: certificate signed by unknown authority',
    { reason: 'cert_untrusted', code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' },
    'SSLError',
  ],
];

// The same file, TestClassifyDNSError.
const originalDnsCases: Case[] = [
  [
    'DNS lookup failed: lookup internal.example.local: no such host',
    { reason: 'dns_no_such_host', code: 'ENOTFOUND' },
    'DNSNoSuchHost',
  ],
  ['DNS resolution returned no IPs after IP family filtering', { reason: 'dns_no_answer' }, 'DNSNoAnswer'],
  ['DNS lookup failed: context deadline exceeded', { reason: 'dns_timeout' }, 'Timeout'],
];

test("the original's classifier tests: the cause behind each Go text gets the same error_type", () => {
  for (const [goText, failure, expected] of originalCertCases)
    assert.equal(certErrorType(failure), expected, goText);
  for (const [goText, failure, expected] of originalDnsCases)
    assert.equal(dnsErrorType(failure), expected, goText);
});

// Texts the original's code produces for the other causes (checker.go, http.go, dns.go, run
// through classifier.go's patterns in its order), and what it classes them as.
test('http check: the Go texts of the original, and the fixes the README names', () => {
  const cases: Case[] = [
    [
      'request failed: Get "https://a.example/": dial tcp 10.0.0.1:443: connect: connection refused',
      { reason: 'connection_refused', code: 'ECONNREFUSED' },
      'ConnectionRefused',
    ],
    [
      'request failed: Get "https://a.example/": context deadline exceeded (Client.Timeout exceeded while awaiting headers)',
      { reason: 'timeout' },
      'Timeout',
    ],
    [
      'request failed: Get "https://a.example/": dial tcp 10.0.0.1:443: connect: no route to host',
      { reason: 'unreachable', code: 'EHOSTUNREACH' },
      'Unknown',
    ],
    [
      'request failed: Get "https://a.example/": dial tcp [2001:db8::1]:443: connect: network is unreachable',
      { reason: 'unreachable', code: 'ENETUNREACH' },
      'NetworkError',
    ],
    [
      'request failed: Get "https://a.example/": read: connection reset by peer',
      { reason: 'connection_reset', code: 'ECONNRESET' },
      'NetworkError',
    ],
    ['request failed: Get "https://a.example/": EOF', { reason: 'connection_reset' }, 'NetworkError'],
    [
      'request failed: Get "https://a.example/": remote error: tls: handshake failure',
      { reason: 'tls_error', code: 'ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE' },
      'SSLError',
    ],
    [
      'request failed: Get "https://b.example/": dial tcp: lookup b.example: no such host (a redirect)',
      { reason: 'dns_no_such_host', code: 'ENOTFOUND' },
      'DNSNoSuchHost',
    ],
    ['unexpected status code: 404', { reason: 'unexpected_status', statusCode: 404 }, 'HTTPClientError'],
    ['unexpected status code: 400', { reason: 'unexpected_status', statusCode: 400 }, 'HTTPClientError'],
    ['unexpected status code: 503', { reason: 'unexpected_status', statusCode: 503 }, 'HTTPServerError'],
    ['unexpected status code: 204', { reason: 'unexpected_status', statusCode: 204 }, 'HTTPServerError'],
    ['unexpected status code: 302', { reason: 'unexpected_status', statusCode: 302 }, 'HTTPServerError'],
    [
      'request failed: Get "https://a.example/": malformed HTTP response',
      { reason: 'protocol_error', code: 'HPE_INVALID_CONSTANT' },
      'Unknown',
    ],
    // Fix 2: the original's "40[0-9]" misses 410-499, which fall to HTTPServerError there.
    ['unexpected status code: 429', { reason: 'unexpected_status', statusCode: 429 }, 'HTTPClientError'],
    ['unexpected status code: 451', { reason: 'unexpected_status', statusCode: 451 }, 'HTTPClientError'],
    // Fix 1: "x509" matches the original's "50[0-9]", which made these HTTPServerError.
    [
      'request failed: Get "https://a.example/": tls: failed to verify certificate: x509: certificate signed by unknown authority',
      { reason: 'cert_untrusted', code: 'DEPTH_ZERO_SELF_SIGNED_CERT' },
      'SSLError',
    ],
    [
      'request failed: Get "https://a.example/": tls: failed to verify certificate: x509: certificate has expired or is not yet valid',
      { reason: 'cert_expired', code: 'CERT_HAS_EXPIRED' },
      'SSLError',
    ],
    // A redirect to a scheme that is not HTTP: Go's "unsupported protocol scheme" matches nothing.
    [
      'request failed: Get "ftp://a.example/": unsupported protocol scheme "ftp"',
      { reason: 'unexpected_status' },
      'Unknown',
    ],
  ];
  for (const [goText, failure, expected] of cases) assert.equal(httpErrorType(failure), expected, goText);
});

test('cert and dns checks: the remaining causes', () => {
  const cert: Case[] = [
    [
      'failed to dial: tls: failed to verify certificate: x509: certificate has expired or is not yet valid',
      { reason: 'cert_expired', code: 'CERT_HAS_EXPIRED' },
      'CertExpired',
    ],
    ['certificate expired or not yet valid (skipTLSVerify)', { reason: 'cert_not_yet_valid' }, 'CertExpired'],
    [
      'failed to dial: dial tcp 10.0.0.1:443: connect: no route to host',
      { reason: 'unreachable', code: 'EHOSTUNREACH' },
      'Unknown',
    ],
    [
      'failed to dial: tls: first record does not look like a TLS handshake',
      { reason: 'tls_error', code: 'ERR_SSL_WRONG_VERSION_NUMBER' },
      'SSLError',
    ],
  ];
  for (const [goText, failure, expected] of cert) assert.equal(certErrorType(failure), expected, goText);
  const dns: Case[] = [
    // Go's LookupHost reports a name without address records as "no such host".
    [
      'DNS lookup failed: lookup a.example: no such host (NODATA)',
      { reason: 'dns_no_answer', code: 'ENODATA' },
      'DNSNoSuchHost',
    ],
    [
      'DNS lookup failed: lookup a.example on 10.0.0.10:53: server misbehaving',
      { reason: 'dns_server_failure', code: 'ESERVFAIL' },
      'DNSError',
    ],
    [
      'DNS lookup failed: lookup a.example on 10.0.0.10:53: read udp: i/o timeout',
      { reason: 'dns_timeout', code: 'ETIMEOUT' },
      'Timeout',
    ],
    ['DNS lookup failed: ...', { reason: 'dns_error' }, 'DNSError'],
  ];
  for (const [goText, failure, expected] of dns) assert.equal(dnsErrorType(failure), expected, goText);
});
