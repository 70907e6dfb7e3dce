// The original's runtime tests (labring/sealos-state-metrics pkg/collector/registryproxy/
// runtime_test.go), case by case, through the loader a config file goes through.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { collectorSection, configRefusal } from '../../test/support/config-file.js';
import { parseRegistryEndpoint, pathEscape, type RegistryproxyConfig } from './config.js';

const section = (yaml: string) => collectorSection('registryproxy', yaml) as RegistryproxyConfig;

test('TestNewDefaultConfig: the defaults', () => {
  const config = section('{}');
  assert.deepEqual([config.checkTimeout, config.checkInterval, config.registries], [30_000, 60_000, []]);
});

test('TestParseRegistryTarget: http(s)://host:port only', () => {
  const accepted: [string, string, string, number][] = [
    ['http://registry.example.com:5000', 'http', 'registry.example.com', 5000],
    ['https://registry.example.com:5443', 'https', 'registry.example.com', 5443],
    ['http://67.21.84.122:5000', 'http', '67.21.84.122', 5000],
    ['http://[::1]:5000', 'http', '::1', 5000],
    // Beyond the original's table, what its url.Parse takes: a trailing slash, an upper-case scheme.
    ['http://registry.example.com:5000/', 'http', 'registry.example.com', 5000],
    ['HTTPS://Registry.Example.com:5443', 'https', 'Registry.Example.com', 5443],
  ];
  for (const [endpoint, scheme, host, port] of accepted)
    assert.deepEqual(parseRegistryEndpoint(endpoint), { scheme, host, port }, endpoint);
  for (const refused of [
    'registry.example.com:5000',
    'http://registry.example.com',
    'http://registry.example.com:5000/v2/',
    'http://registry.example.com:bad',
    'http://:5000',
    'http://host:name:5000',
    'ftp://registry.example.com:5000',
  ])
    assert.equal(parseRegistryEndpoint(refused), undefined, refused);
});

test('TestNewRuntimeConfig: repositories lose surrounding slashes; accept header and headers kept', () => {
  const config = section(`
collectors:
  registryproxy:
    registries:
      - endpoint: http://registry.example.com:5000
        info: internal proxy
        repository: /library/alpine/
        reference: "3.20"
        manifestAcceptHeader: application/vnd.oci.image.manifest.v1+json
        headers: {X-Probe: sealos-state-metrics}
      - endpoint: http://127.0.0.1:5000
        repository: library/busybox
        reference: latest
    checkTimeout: 7s
    checkInterval: 11m
`);
  assert.deepEqual(
    config.registries.map((r) => [
      r.endpoint,
      r.info,
      r.repository,
      r.reference,
      r.manifestAcceptHeader,
      r.headers,
    ]),
    [
      [
        'http://registry.example.com:5000',
        'internal proxy',
        'library/alpine',
        '3.20',
        'application/vnd.oci.image.manifest.v1+json',
        { 'X-Probe': 'sealos-state-metrics' },
      ],
      [
        'http://127.0.0.1:5000',
        '',
        'library/busybox',
        'latest',
        'application/vnd.docker.distribution.manifest.v2+json',
        {},
      ],
    ],
  );
  assert.deepEqual([config.checkTimeout, config.checkInterval], [7000, 660_000]);
});

test('TestRegistryURLs: a short digest is a reference; the reference is path-escaped as Go does', () => {
  const [entry] = section(`
collectors:
  registryproxy:
    registries: [{endpoint: "http://registry.example.com:5000", repository: /library/busybox/, reference: "sha256:abc123"}]
`).registries;
  assert.deepEqual([entry?.repository, entry?.reference], ['library/busybox', 'sha256:abc123']);
  assert.equal(pathEscape('sha256:abc123'), 'sha256:abc123');
  assert.equal(pathEscape('v1.0+build=2@x$&'), 'v1.0+build=2@x$&');
  assert.equal(pathEscape('a/b?c d#é'), 'a%2Fb%3Fc%20d%23%C3%A9');
});

test('TestParseMonitoredRegistryRequiresRepositoryAndReference, and a blank endpoint', () => {
  assert.match(
    configRefusal(
      'collectors: {registryproxy: {registries: [{endpoint: "http://r.example:5000", reference: latest}]}}',
    ),
    /registries\.0\.repository/,
  );
  assert.match(
    configRefusal(
      'collectors: {registryproxy: {registries: [{endpoint: "http://r.example:5000", repository: library/busybox}]}}',
    ),
    /registries\.0\.reference/,
  );
  assert.match(
    configRefusal(
      'collectors: {registryproxy: {registries: [{endpoint: "  ", repository: a, reference: b}]}}',
    ),
    /registries\.0\.endpoint.*required/,
  );
  assert.match(
    configRefusal(
      'collectors: {registryproxy: {registries: [{endpoint: "http://r.example:5000", repository: "/", reference: b}]}}',
    ),
    /registries\.0\.repository.*required/,
  );
});

test('the same registry entry twice is one, the later options winning; header names are trimmed', () => {
  const config = section(`
collectors:
  registryproxy:
    registries:
      - {endpoint: "http://r.example:5000", repository: a, reference: b, headers: {" X-A ": "1", " ": "dropped"}}
      - {endpoint: "http://r.example:5000", repository: a, reference: b, manifestAcceptHeader: " "}
`);
  assert.equal(config.registries.length, 1);
  assert.deepEqual(config.registries[0]?.headers, {});
  assert.equal(
    config.registries[0]?.manifestAcceptHeader,
    'application/vnd.docker.distribution.manifest.v2+json',
  );
  const headers = section(`
collectors:
  registryproxy:
    registries: [{endpoint: "http://r.example:5000", repository: a, reference: b, headers: {" X-A ": 1, " ": "dropped"}}]
`).registries[0]?.headers;
  assert.deepEqual(headers, { 'X-A': '1' });
});
