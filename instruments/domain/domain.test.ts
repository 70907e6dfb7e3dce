import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TestDnsServer } from '../../test/support/dns-server.js';
import { assertGolden, harness, maskMeasured, samples } from '../../test/support/harness.js';
import { eventually } from '../../test/support/http.js';
import { ProbeTargets } from '../../test/support/probe-targets.js';
import { domainConfig, parseEndpoint } from './config.js';
import { domain } from './domain.js';

const D = 'probe.test';

test('endpoints: host, host:port, [v6]:port, with or without a scheme; bad ones are refused with the value', () => {
  assert.deepEqual(parseEndpoint('Example.com'), { scheme: 'https', host: 'example.com', port: 443 });
  assert.deepEqual(parseEndpoint('example.com:8443'), { scheme: 'https', host: 'example.com', port: 8443 });
  assert.deepEqual(parseEndpoint('http://example.com'), { scheme: 'http', host: 'example.com', port: 80 });
  assert.deepEqual(parseEndpoint('[::1]:9443'), { scheme: 'https', host: '::1', port: 9443 });
  for (const bad of ['example.com:99999', 'ftp://x', 'https://x/path', 'a b', '[nothex]:1', 'user@host']) {
    assert.equal(parseEndpoint(bad), undefined, bad);
  }
  assert.throws(
    () => domainConfig.parse({ domains: ['ok.example', 'https://x/path'] }),
    /domains.*1.*endpoint|https:\/\/x\/path/s,
  );
  assert.throws(() => domainConfig.parse({ resolver: 'dns.example' }), /ip:port/);
  const parsed = domainConfig.parse({
    domains: ['a.example', { endpoint: 'b.example:8443', path: '/healthz' }],
  });
  assert.deepEqual(
    parsed.domains.map((d) => [d.endpoint, d.path, d.method, d.skipTLSVerify, d.followHTTPRedirects]),
    [
      ['a.example', '/', 'GET', false, true],
      ['b.example:8443', '/healthz', 'GET', false, true],
    ],
  );
});

test('every outcome per address: healthy, NXDOMAIN, SERVFAIL, no address, slow DNS, expired, wrong host, self-signed, refused, hung, 500, redirect, one bad IP of two, IPv6 (golden)', async (t) => {
  const targets = await ProbeTargets.start(D);
  const dns = await TestDnsServer.start();
  t.after(async () => {
    await targets.stop();
    await dns.stop();
  });
  const v4 = { a: ['127.0.0.2'] };
  for (const name of [
    'good',
    'expired',
    'wronghost',
    'selfsigned',
    'selfsigned-skip',
    'error500',
    'redirect',
  ]) {
    dns.set(`${name}.${D}`, v4);
  }
  dns.set(`partial.${D}`, { a: ['127.0.0.2', '127.0.0.6'] });
  dns.set(`refused.${D}`, { a: ['127.0.0.6'] });
  dns.set(`hang.${D}`, { a: ['127.0.0.7'] });
  dns.set(`v6.${D}`, { aaaa: ['::1'] });
  dns.set(`broken.${D}`, 'servfail');
  dns.set(`noaddr.${D}`, {});
  dns.set(`slow.${D}`, { a: ['127.0.0.2'], delayMs: 3000 });
  const port = targets.v4Port;
  const domains = [
    `good.${D}:${port}`,
    `missing.${D}:${port}`,
    `broken.${D}:${port}`,
    `noaddr.${D}:${port}`,
    `slow.${D}:${port}`,
    `expired.${D}:${port}`,
    `wronghost.${D}:${port}`,
    `selfsigned.${D}:${port}`,
    { endpoint: `selfsigned-skip.${D}:${port}`, skipTLSVerify: true },
    `refused.${D}:${port}`,
    `hang.${D}:${targets.hangPort}`,
    `error500.${D}:${port}`,
    { endpoint: `redirect.${D}:${port}`, expectedStatusCodes: [200] },
    { endpoint: `partial.${D}:${port}`, path: '/healthz', headers: { 'X-Probe': 'yes' } },
    `v6.${D}:${targets.v6Port}`,
  ];
  const h = harness('sealos');
  const instrument = domain.create(
    h.context('domain'),
    domainConfig.parse({ domains, resolver: dns.address, checkTimeout: '1500ms', dialRetries: 2 }),
  );
  t.after(() => instrument.stop());
  await instrument.start();
  await instrument.ready?.();
  assert.equal(instrument.health().state, 'healthy', instrument.health().reason);

  const body = await h.scrape();
  const portless = (lines: string[]) => lines.map((line) => line.replaceAll(/:\d{4,5}"/g, ':PORT"'));
  const stable = maskMeasured(samples(body, 'sealos_domain'), [
    'sealos_domain_response_time_seconds',
    'sealos_domain_cert_expiry_seconds',
  ]);
  await assertGolden(`${portless(stable).join('\n')}\n`, new URL('./testdata/domains.prom', import.meta.url));

  // domain_test.go, TestCollectSkipsUncheckedStatusesAndUsesEmptyErrorTypeOnSuccess: a name that
  // does not resolve has its dns_status and no check series; a passed check has empty labels.
  const status = samples(body, 'sealos_domain_status');
  for (const unresolved of ['missing', 'broken', 'slow'])
    assert.ok(!status.some((line) => line.includes(`domain="${unresolved}.`)), unresolved);
  for (const line of status.filter((l) => l.endsWith(' 1')))
    assert.ok(line.includes('error_type="",reason=""'), line);
  // Certificate expiry: about a year ahead for valid ones; as in the original, none for a
  // certificate that failed its check (expired, untrusted, wrong name) or was never read.
  const expiry = Object.fromEntries(
    samples(body, 'sealos_domain_cert_expiry_seconds').map((line) => {
      const name = /domain="([^.]+)\./.exec(line)?.[1] ?? '';
      return [name, Number(line.split(' ').at(-1))];
    }),
  );
  assert.ok((expiry.good ?? 0) > 300 * 86_400, `good: ${expiry.good}`);
  assert.ok((expiry['selfsigned-skip'] ?? 0) > 300 * 86_400, 'skipTLSVerify: the dates still count');
  for (const failed of ['expired', 'wronghost', 'selfsigned', 'refused', 'hang'])
    assert.ok(!(failed in expiry), `${failed}: no expiry series`);
  // As in the original, a response time only for an HTTP check that passed: the good half of
  // partial has one, the refused half none.
  assert.deepEqual(
    samples(body, `sealos_domain_response_time_seconds{domain="partial.${D}`).map(
      (l) => /ip="([^"]+)"/.exec(l)?.[1],
    ),
    ['127.0.0.2'],
  );
  // The request carried the configured path, header and the name as Host.
  assert.ok(targets.requests.includes(`GET partial.${D}:${port}/healthz`), targets.requests.join(' '));
  assert.ok(
    targets.requests.includes(`GET redirect.${D}:${port}/landed`),
    'the redirect was followed on the same address',
  );
  // Nothing is left open once the run is over, the hung handshake included.
  await eventually(
    async () => (targets.openConnections === 0 ? true : undefined),
    3000,
    'probe sockets closed',
  );
});

test('a reload without a domain drops its series; the HTTP or cert check can be switched off', async (t) => {
  const targets = await ProbeTargets.start(D);
  const dns = await TestDnsServer.start();
  t.after(async () => {
    await targets.stop();
    await dns.stop();
  });
  dns.set(`good.${D}`, { a: ['127.0.0.2'] });
  dns.set(`error500.${D}`, { a: ['127.0.0.2'] });
  const port = targets.v4Port;
  const h = harness('sealos');
  const first = domain.create(
    h.context('domain'),
    domainConfig.parse({
      domains: [`good.${D}:${port}`, `error500.${D}:${port}`],
      resolver: dns.address,
      includeCertCheck: false,
    }),
  );
  await first.start();
  await first.ready?.();
  const lines = samples(await h.scrape(), 'sealos_domain_status');
  assert.ok(
    lines.every((line) => line.includes('check_type="http"')),
    lines.join('\n'),
  );
  assert.equal(lines.length, 2);
  await first.stop();

  // A reload builds a new generation: the instrument of the new config knows only its domains.
  const h2 = harness('sealos');
  const second = domain.create(
    h2.context('domain'),
    domainConfig.parse({ domains: [`good.${D}:${port}`], resolver: dns.address, includeHTTPCheck: false }),
  );
  t.after(() => second.stop());
  await second.start();
  await second.ready?.();
  const after = samples(await h2.scrape(), 'sealos_domain');
  assert.ok(!after.some((line) => line.includes('error500')), after.join('\n'));
  assert.deepEqual(
    after
      .filter((line) => line.startsWith('sealos_domain_status'))
      .map((line) => line.replace(/:\d+"/, ':PORT"')),
    [
      `sealos_domain_status{domain="good.${D}:PORT",ip="127.0.0.2",check_type="cert",error_type="",reason=""} 1`,
    ],
  );
  assert.equal(
    targets.requests.filter((r) => r.startsWith('GET good')).length,
    1,
    'the cert-only probe sent no request',
  );
});
