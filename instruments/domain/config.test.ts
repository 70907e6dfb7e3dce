// The original's runtime tests (labring/sealos-state-metrics pkg/collector/domain/runtime_test.go),
// case by case, through the same loader a config file goes through.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { collectorSection, configRefusal } from '../../test/support/config-file.js';
import { type DomainConfig, parseEndpoint } from './config.js';

function domainSection(yaml: string, env: Record<string, string> = {}): DomainConfig {
  return collectorSection('domain', yaml, env) as DomainConfig;
}

const refusal = configRefusal;

test('TestParseDomainTarget: host, host:port, [v6], [v6]:port and bare IPv6; the rest refused', () => {
  const accepted: [string, string, number][] = [
    ['example.com', 'example.com', 443],
    ['registry.fake.local:5000', 'registry.fake.local', 5000],
    ['[::1]:5000', '::1', 5000],
    ['[::1]', '::1', 443],
    ['::1', '::1', 443],
    // An IPv6 literal without brackets is all host: the last group is not a port.
    ['2001:db8::1:5000', '2001:db8::1:5000', 443],
  ];
  for (const [input, host, port] of accepted) {
    const endpoint = parseEndpoint(input);
    assert.deepEqual([endpoint?.host, endpoint?.port], [host, port], input);
  }
  // The original refuses a scheme; here https:// and http:// are an addition (README).
  for (const refused of [':5000', 'example.com:', 'example.com:abc', 'example.com:70000', 'host:name:5000']) {
    assert.equal(parseEndpoint(refused), undefined, refused);
  }
});

test('TestNewDefaultConfig: the defaults', () => {
  const config = domainSection('{}');
  assert.deepEqual(
    [config.checkTimeout, config.checkInterval, config.dialRetries, config.includeIPv4, config.includeIPv6],
    [30_000, 60_000, 3, true, true],
  );
});

test('TestNewRuntimeConfig: entries are trimmed and blank ones skipped; TestNewRuntimeConfig_NormalizesDialRetries', () => {
  const config = domainSection(`
collectors:
  domain:
    domains: ["example.com", " registry.fake.local:5000 ", "", "   "]
    checkTimeout: 7s
    checkInterval: 11m
    dialRetries: 5
    includeCertCheck: true
    includeHTTPCheck: false
    includeIPv4: true
    includeIPv6: false
`);
  assert.deepEqual(
    config.domains.map((d) => [d.endpoint, d.skipTLSVerify, d.followHTTPRedirects]),
    [
      ['example.com', false, true],
      ['registry.fake.local:5000', false, true],
    ],
  );
  assert.deepEqual(
    [
      config.checkTimeout,
      config.checkInterval,
      config.dialRetries,
      config.includeHTTPCheck,
      config.includeIPv6,
    ],
    [7000, 660_000, 5, false, false],
  );
  assert.equal(domainSection('collectors: {domain: {dialRetries: 0}}').dialRetries, 1);
  assert.equal(domainSection('collectors: {domain: {dialRetries: -3}}').dialRetries, 1);
});

test('TestNewRuntimeConfig_ObjectDomains, _MixedDomains: object and string entries side by side', () => {
  const config = domainSection(`
collectors:
  domain:
    domains:
      - example.com
      - endpoint: internal.example.local:8443
        skipTLSVerify: true
        followHTTPRedirects: false
      - api.example.com
      - {endpoint: other.example, skipTLSVerify: false, followHTTPRedirects: false}
`);
  assert.deepEqual(
    config.domains.map((d) => [d.endpoint, d.skipTLSVerify, d.followHTTPRedirects]),
    [
      ['example.com', false, true],
      ['internal.example.local:8443', true, false],
      ['api.example.com', false, true],
      ['other.example', false, false],
    ],
  );
});

test('TestParseMonitoredDomainMap_WeaklyTypedInput, _HTTPCheckOptions: string booleans, lower-case method, numeric header values, status codes as strings', () => {
  const [entry] = domainSection(`
collectors:
  domain:
    domains:
      - endpoint: internal.example.local:8443
        skipTLSVerify: "true"
        followHTTPRedirects: "false"
        path: healthz?ready=true
        method: post
        headers: {X-Probe: domain, X-Trace: 1234}
        expectedStatusCodes: [200, "201", 200]
`).domains;
  assert.deepEqual(entry, {
    endpoint: 'internal.example.local:8443',
    skipTLSVerify: true,
    followHTTPRedirects: false,
    // The original adds the leading slash when it builds the request.
    path: '/healthz?ready=true',
    method: 'POST',
    headers: { 'X-Probe': 'domain', 'X-Trace': '1234' },
    expectedStatusCodes: [200, 201],
  });
});

test('TestNewRuntimeConfig_FromYAMLHTTPCheckOptions: a whole section from YAML', () => {
  const config = domainSection(`
collectors:
  domain:
    domains:
      - endpoint: internal.example.local:8443
        skipTLSVerify: true
        followHTTPRedirects: false
        path: /healthz?ready=true
        method: post
        headers:
          X-Probe: sealos-state-metrics
          X-Retry: 1
        expectedStatusCodes:
          - 200
          - 204
          - 200
    checkTimeout: 5s
    checkInterval: 2m
    dialRetries: 4
    includeIPv4: true
    includeIPv6: false
    includeCertCheck: false
    includeHTTPCheck: true
`);
  assert.deepEqual(
    [
      config.checkTimeout,
      config.checkInterval,
      config.dialRetries,
      config.includeCertCheck,
      config.includeHTTPCheck,
    ],
    [5000, 120_000, 4, false, true],
  );
  assert.deepEqual(config.domains[0]?.headers, { 'X-Probe': 'sealos-state-metrics', 'X-Retry': '1' });
  assert.deepEqual(config.domains[0]?.expectedStatusCodes, [200, 204]);
  assert.equal(config.domains[0]?.method, 'POST');
});

test('TestParseMonitoredDomainMap_InvalidExpectedStatusCode, _MissingEndpoint: refused with the path', () => {
  assert.match(
    refusal('collectors: {domain: {domains: [{endpoint: a.example, expectedStatusCodes: [99]}]}}'),
    /collectors\.domain\.domains\.0\.expectedStatusCodes\.0/,
  );
  assert.match(
    refusal('collectors: {domain: {domains: [{endpoint: a.example, expectedStatusCodes: [600]}]}}'),
    /expectedStatusCodes/,
  );
  assert.match(refusal('collectors: {domain: {domains: [{skipTLSVerify: true}]}}'), /domains\.0\.endpoint/);
  assert.match(
    refusal('collectors: {domain: {domains: [{endpoint: "  "}]}}'),
    /domains\.0\.endpoint.*required/,
  );
});

test('TestNewRuntimeConfig_DomainsEnvOverridesYAML: the environment list replaces the YAML entries', () => {
  const config = domainSection(
    'collectors: {domain: {domains: [{endpoint: yaml.example.com, skipTLSVerify: true}]}}',
    { COLLECTORS_DOMAIN_DOMAINS: 'env.example.com,env-alt.example.com:8443' },
  );
  assert.deepEqual(
    config.domains.map((d) => [d.endpoint, d.skipTLSVerify, d.followHTTPRedirects]),
    [
      ['env.example.com', false, true],
      ['env-alt.example.com:8443', false, true],
    ],
  );
});

test('an endpoint listed twice is one domain with the later options, as the original keys by endpoint', () => {
  const config = domainSection(`
collectors:
  domain:
    domains: [a.example, b.example, {endpoint: a.example, path: /later}]
`);
  assert.deepEqual(
    config.domains.map((d) => [d.endpoint, d.path]),
    [
      ['b.example', '/'],
      ['a.example', '/later'],
    ],
  );
});

test('what stays refused: an absolute URL as the path, a method that is not a token, a word that is not a boolean', () => {
  assert.match(
    refusal('collectors: {domain: {domains: [{endpoint: a.example, path: "https://b/"}]}}'),
    /path/,
  );
  assert.match(refusal('collectors: {domain: {domains: [{endpoint: a.example, path: "//b/x"}]}}'), /path/);
  assert.match(
    refusal('collectors: {domain: {domains: [{endpoint: a.example, method: "GET /"}]}}'),
    /method/,
  );
  assert.match(
    refusal('collectors: {domain: {domains: [{endpoint: a.example, skipTLSVerify: "yes"}]}}'),
    /skipTLSVerify/,
  );
  assert.match(refusal('collectors: {domain: {dialRetries: 1000000}}'), /dialRetries/);
});
