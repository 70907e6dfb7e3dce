import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { test } from 'node:test';
import { TestDnsServer } from '../../test/support/dns-server.js';
import { assertGolden, harness, maskMeasured, samples } from '../../test/support/harness.js';
import { ProbeTargets } from '../../test/support/probe-targets.js';
import { type RegistryBehaviour, registryHandler } from '../../test/support/registry-fixture.js';
import { parseRegistryEndpoint, registryproxyConfig } from './config.js';
import { apiReachable, registryproxy } from './registryproxy.js';

const MANIFEST_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';

async function registryServer(
  address: string,
  port: number,
  behaviour: RegistryBehaviour,
  seen: { accept: string[]; headers: string[] },
): Promise<Server> {
  const server = createServer(registryHandler(behaviour, seen));
  await new Promise<void>((resolve) => server.listen(port, address, resolve));
  return server;
}

test('endpoints must be http(s)://host:port and nothing more; entries are validated with the value', () => {
  assert.deepEqual(parseRegistryEndpoint('http://67.21.84.122:5000'), {
    scheme: 'http',
    host: '67.21.84.122',
    port: 5000,
  });
  assert.deepEqual(parseRegistryEndpoint('https://[2001:db8::1]:5443'), {
    scheme: 'https',
    host: '2001:db8::1',
    port: 5443,
  });
  for (const bad of [
    'registry.example:5000',
    'http://registry.example',
    'http://r.example:5000/v2',
    'http://u@r.example:1',
    'http://r.example:5000?x=1',
  ]) {
    assert.equal(parseRegistryEndpoint(bad), undefined, bad);
  }
  const entry = { endpoint: 'http://r.example:5000', repository: 'library/busybox', reference: 'latest' };
  assert.throws(
    () => registryproxyConfig.parse({ registries: [{ ...entry, endpoint: 'r.example:5000' }] }),
    /registries.*endpoint.*http\(s\):\/\/host:port/s,
  );
  assert.throws(
    () => registryproxyConfig.parse({ registries: [{ ...entry, repository: 'library/busy box' }] }),
    /repository/,
  );
  assert.throws(
    () => registryproxyConfig.parse({ registries: [{ ...entry, repository: 'a/../v2' }] }),
    /repository/,
  );
  // A 401, challenge or not, is the API answering (the original's
  // TestRegistryCheckerAPIUnauthorizedIsReachable, checker_test.go); other 4xx are not.
  const challenge = { 'www-authenticate': 'Bearer realm="https://auth.example/token"' };
  assert.equal(apiReachable({ seconds: 0, statusCode: 401, headers: challenge }), true);
  assert.equal(apiReachable({ seconds: 0, statusCode: 401, headers: {} }), true);
  assert.equal(apiReachable({ seconds: 0, statusCode: 200, headers: {} }), true);
  assert.equal(apiReachable({ seconds: 0, statusCode: 403, headers: challenge }), false);
  assert.equal(apiReachable({ seconds: 0, statusCode: 302, headers: {} }), false);
  assert.equal(
    registryproxyConfig.parse({ registries: [entry] }).registries[0]?.manifestAcceptHeader,
    'application/vnd.docker.distribution.manifest.v2+json',
  );
});

test('per address: API with a bearer challenge, manifest found or unknown, API error, refused, hung, NXDOMAIN, HTTPS (golden)', async (t) => {
  const seen = { accept: [] as string[], headers: [] as string[] };
  const first = await registryServer(
    '127.0.0.2',
    0,
    { images: ['library/busybox:latest', 'library/busybox:1.36'] },
    seen,
  );
  const port = (first.address() as { port: number }).port;
  const servers = [
    first,
    // The second backend of a name: /v2/ fine, but it never synced busybox.
    await registryServer('127.0.0.3', port, { apiStatus: 200, images: [] }, seen),
    await registryServer('127.0.0.4', port, { apiStatus: 500, images: ['library/busybox:latest'] }, seen),
  ];
  const tls = await ProbeTargets.start('probe.test');
  tls.handler = registryHandler({ images: ['library/busybox:latest'] }, seen);
  const dns = await TestDnsServer.start();
  t.after(async () => {
    for (const server of servers) await new Promise<void>((resolve) => server.close(() => resolve()));
    await tls.stop();
    await dns.stop();
  });
  dns.set('mirror.reg.test', { a: ['127.0.0.2'] });
  dns.set('split.reg.test', { a: ['127.0.0.2', '127.0.0.3'] });
  dns.set('broken.reg.test', { a: ['127.0.0.4'] });
  dns.set('down.reg.test', { a: ['127.0.0.6'] });
  dns.set('good.probe.test', { a: ['127.0.0.2'] });
  const busybox = { repository: 'library/busybox', reference: 'latest' };
  const registries = [
    {
      endpoint: `http://mirror.reg.test:${port}`,
      info: 'mirror',
      ...busybox,
      headers: { 'X-Probe': 'sealos' },
    },
    {
      endpoint: `http://mirror.reg.test:${port}`,
      info: 'mirror',
      repository: 'library/busybox',
      reference: '1.36',
      manifestAcceptHeader: MANIFEST_LIST,
    },
    { endpoint: `http://split.reg.test:${port}`, info: 'split', ...busybox },
    { endpoint: `http://127.0.0.2:${port}`, info: 'by-ip', repository: 'library/alpine', reference: '3.20' },
    { endpoint: `http://broken.reg.test:${port}`, info: 'broken', ...busybox },
    { endpoint: `http://down.reg.test:${port}`, info: 'down', ...busybox },
    { endpoint: `http://missing.reg.test:${port}`, info: 'missing', ...busybox },
    { endpoint: `http://127.0.0.7:${tls.hangPort}`, info: 'hung', ...busybox },
    { endpoint: `https://good.probe.test:${tls.v4Port}`, info: 'tls', ...busybox },
  ];
  const h = harness('sealos');
  const instrument = registryproxy.create(
    h.context('registryproxy'),
    registryproxyConfig.parse({ registries, resolver: dns.address, checkTimeout: '1s' }),
  );
  t.after(() => instrument.stop());
  await instrument.start();
  await instrument.ready?.();
  assert.equal(instrument.health().state, 'healthy', instrument.health().reason);

  const body = await h.scrape();
  const stable = maskMeasured(samples(body, 'sealos_registry_proxy'), [
    'sealos_registry_proxy_response_time_seconds',
  ]).map((line) => line.replaceAll(/:\d{4,5}"/g, ':PORT"').replaceAll(/port="\d+"/g, 'port="PORT"'));
  await assertGolden(`${stable.join('\n')}\n`, new URL('./testdata/registries.prom', import.meta.url));
  // Response times exist for every address and check that got as far as a request.
  assert.equal(
    samples(body, 'sealos_registry_proxy_response_time_seconds{endpoint="http://split.reg.test').length,
    4,
  );
  // The manifest fetch sent the configured Accept header and the configured headers.
  assert.ok(seen.accept.includes(MANIFEST_LIST), seen.accept.join(' '));
  assert.ok(seen.accept.includes('application/vnd.docker.distribution.manifest.v2+json'));
  assert.ok(seen.headers.includes('sealos'));
});
