// labring/sealos-state-metrics pkg/collector/domain/dns_test.go, TestFilterIPsByFamily, through a
// real DNS exchange: the families the resolver keeps, and what none at all is.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TestDnsServer } from '../../test/support/dns-server.js';
import type { ProbeError } from './probe-error.js';
import { HostResolver } from './resolve.js';

test('TestFilterIPsByFamily: all families, IPv4 only, IPv6 only, none', async (t) => {
  const dns = await TestDnsServer.start();
  t.after(() => dns.stop());
  dns.set('example.test', {
    a: ['104.18.26.120', '104.18.27.120'],
    aaaa: ['2606:4700::6812:1a78', '2606:4700::6812:1b78'],
  });
  const resolve = (ipv4: boolean, ipv6: boolean) =>
    new HostResolver({ server: dns.address, ipv4, ipv6, timeoutMs: 2000 }).resolve('example.test');
  // The original keeps the resolver's order; here IPv4 comes first (one series per address either way).
  assert.deepEqual(await resolve(true, true), [
    '104.18.26.120',
    '104.18.27.120',
    '2606:4700::6812:1a78',
    '2606:4700::6812:1b78',
  ]);
  assert.deepEqual(await resolve(true, false), ['104.18.26.120', '104.18.27.120']);
  assert.deepEqual(await resolve(false, true), ['2606:4700::6812:1a78', '2606:4700::6812:1b78']);
  // No family at all: no address, as there; here a dns_no_answer failure the instruments report.
  await assert.rejects(resolve(false, false), (error: ProbeError) => error.errorType === 'dns_no_answer');
  // A name with records of the disabled family only resolves to nothing usable, without a code.
  dns.set('v6only.test', { aaaa: ['2001:db8::1'] });
  await assert.rejects(
    new HostResolver({ server: dns.address, ipv4: true, ipv6: false, timeoutMs: 2000 }).resolve(
      'v6only.test',
    ),
    (error: ProbeError) => error.errorType === 'dns_no_answer',
  );
});
