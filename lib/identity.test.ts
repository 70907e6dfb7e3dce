// labring/sealos-state-metrics pkg/identity/identity_test.go, case by case: GetWithConfig's
// order, then compute's fallbacks.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { firstIpv4, resolveIdentity } from './identity.js';

const noIp = () => undefined;

test('TestGetWithConfig, TestGet: identity, then node name, then pod name, as the original orders them', () => {
  const env: Record<string, string> = { POD_NAME: 'test-pod-456' };
  const instance = (sources: { identity: string; nodeName?: string; podName?: string }, e = env) =>
    resolveIdentity(sources, e, 'host-a', noIp).instance;
  assert.equal(instance({ identity: 'explicit-config' }), 'explicit-config');
  assert.equal(instance({ identity: '', nodeName: 'test-node', podName: 'test-pod' }), 'test-node');
  assert.equal(instance({ identity: '', podName: 'test-pod' }), 'test-pod');
  // Empty config: the environment (POD_NAME here; NODE_NAME before it).
  assert.equal(instance({ identity: '' }), 'test-pod-456');
  assert.equal(instance({ identity: '' }, { NODE_NAME: 'node-1', POD_NAME: 'pod-1' }), 'node-1');
});

test('TestGetFallbackPriority, TestComputeFallback, TestGenerateRandomID: IPv4, then host name, then a random id', () => {
  assert.equal(resolveIdentity({ identity: '' }, {}, 'host-a', () => '10.1.2.3').instance, '10.1.2.3');
  assert.equal(resolveIdentity({ identity: '' }, {}, 'host-a', noIp).instance, 'host-a');
  const first = resolveIdentity({ identity: '' }, {}, '', noIp).instance;
  const second = resolveIdentity({ identity: '' }, {}, '', noIp).instance;
  assert.match(first, /^instance-[0-9a-f]{16}$/);
  assert.notEqual(first, second);
  // The node label falls back to the host name; the pod name to nothing.
  const identity = resolveIdentity({ identity: 'x' }, {}, 'host-a', noIp);
  assert.deepEqual([identity.nodeName, identity.podName], ['host-a', '']);
});

test('the first non-loopback IPv4, as the original picks it', () => {
  const entry = (address: string, family: 'IPv4' | 'IPv6', internal: boolean) =>
    ({ address, family, internal, netmask: '', mac: '', cidr: null }) as never;
  assert.equal(
    firstIpv4({
      lo: [entry('127.0.0.1', 'IPv4', true)],
      eth0: [entry('fe80::1', 'IPv6', false), entry('10.0.0.7', 'IPv4', false)],
    }),
    '10.0.0.7',
  );
  assert.equal(firstIpv4({ lo: [entry('127.0.0.1', 'IPv4', true)] }), undefined);
});
