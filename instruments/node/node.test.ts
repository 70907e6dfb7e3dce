import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertGolden, harness, samples } from '../../test/support/harness.js';
import { eventually } from '../../test/support/http.js';
import { clusterFixture } from '../../test/support/kube/cluster.js';
import { abnormalConditions, leanNode } from './conditions.js';
import { nodeConfig } from './config.js';
import { freshNodes, node } from './node.js';

const NOW = Date.parse('2026-11-25T06:00:00Z');

function conditions(entries: Record<string, string>) {
  return Object.entries(entries).map(([type, status]) => ({
    type,
    status,
    reason: `Kubelet${type}`,
    message: 'from the kubelet',
    lastHeartbeatTime: '2026-11-25T05:59:30Z',
    lastTransitionTime: '2026-11-20T00:00:00Z',
  }));
}

const healthyConditions = {
  MemoryPressure: 'False',
  DiskPressure: 'False',
  PIDPressure: 'False',
  Ready: 'True',
};

function nodeObject(name: string, status: Record<string, string>) {
  return {
    metadata: { name, labels: { 'kubernetes.io/hostname': name }, managedFields: [{ manager: 'kubelet' }] },
    spec: { podCIDR: '10.0.0.0/24' },
    status: {
      conditions: conditions(status),
      capacity: { cpu: '8' },
      images: [{ names: ['busybox'], sizeBytes: 1 }],
    },
  };
}

test('abnormal conditions by the node-condition convention', () => {
  const cases: [Record<string, string>, string[]][] = [
    [healthyConditions, []],
    [{ ...healthyConditions, Ready: 'False' }, ['Ready=False']],
    [{ ...healthyConditions, DiskPressure: 'True' }, ['DiskPressure=True']],
    [{ Ready: 'Unknown', MemoryPressure: 'Unknown' }, ['Ready=Unknown', 'MemoryPressure=Unknown']],
    [{ ...healthyConditions, KernelDeadlock: 'True', NetworkUnavailable: 'False' }, ['KernelDeadlock=True']],
    [{}, ['Ready=Unknown']],
  ];
  for (const [status, expected] of cases) {
    const lean = leanNode(nodeObject('n', status) as never);
    assert.deepEqual(
      abnormalConditions(lean)
        .map((c) => `${c.type}=${c.status}`)
        .sort(),
      expected.sort(),
      JSON.stringify(status),
    );
  }
  assert.deepEqual(
    leanNode({ metadata: { name: 'x' }, status: { conditions: 'garbage' } } as never).conditions,
    [],
  );
});

test('NodeMetrics freshness', () => {
  const list = {
    items: [
      { metadata: { name: 'a' }, timestamp: '2026-11-25T05:59:00Z' },
      { metadata: { name: 'b' }, timestamp: '2026-11-25T05:50:00Z' },
      { metadata: { name: 'c' } },
      { metadata: { name: 'd' }, timestamp: 'not a time' },
    ],
  };
  assert.deepEqual([...freshNodes(list, NOW, 5 * 60_000)], ['a']);
});

test('exports health, abnormal conditions of unhealthy nodes and kubelet metrics availability (golden)', async (t) => {
  const { server, cluster } = await clusterFixture(t);
  server.create('nodes', nodeObject('node-ok', healthyConditions));
  server.create('nodes', nodeObject('node-notready', { ...healthyConditions, Ready: 'False' }));
  server.create('nodes', nodeObject('node-disk', { ...healthyConditions, DiskPressure: 'True' }));
  server.create(
    'nodes',
    nodeObject('node-lost', {
      Ready: 'Unknown',
      MemoryPressure: 'Unknown',
      DiskPressure: 'Unknown',
      PIDPressure: 'Unknown',
    }),
  );
  server.create('nodes', nodeObject('node-npd', { ...healthyConditions, KernelDeadlock: 'True' }));
  server.create('nodes', { metadata: { name: 'node-new' } });
  const metricsApi = { group: 'metrics.k8s.io' } as const;
  const usage = { cpu: '100m', memory: '1Gi' };
  server.create(
    'nodes',
    { metadata: { name: 'node-ok' }, timestamp: '2026-11-25T05:59:40Z', window: '20s', usage },
    metricsApi.group,
  );
  server.create(
    'nodes',
    { metadata: { name: 'node-disk' }, timestamp: '2026-11-25T05:40:00Z', window: '20s', usage },
    metricsApi.group,
  );

  const h = harness('sealos', cluster);
  const instrument = node.create(
    { ...h.context('node'), clock: { now: () => NOW } },
    nodeConfig.parse({}),
  ) as ReturnType<typeof node.create> & { collectNow(): Promise<void> };
  await instrument.start();
  await instrument.ready?.();
  assert.equal(instrument.health().state, 'healthy');
  await assertGolden(
    `${samples(await h.scrape(), 'sealos_node').join('\n')}\n`,
    new URL('./testdata/nodes.prom', import.meta.url),
  );

  // A node recovers, another is deleted: their series go.
  server.update('nodes', nodeObject('node-notready', healthyConditions));
  server.remove('nodes', undefined, 'node-lost');
  const after = await eventually(
    async () => {
      const body = await h.scrape();
      return body.includes('node="node-lost"') || body.includes('node="node-notready",condition')
        ? undefined
        : body;
    },
    5000,
    'recovery and deletion',
  );
  assert.ok(samples(after, 'sealos_node_healthy').includes('sealos_node_healthy{node="node-notready"} 1'));
  await instrument.stop();
});

test('without metrics.k8s.io every node reads 0 and the run is reported failed, /health stays ok', async (t) => {
  const { server, cluster } = await clusterFixture(t);
  server.create('nodes', nodeObject('node-ok', healthyConditions));
  server.fail({ count: 1000, status: 404, match: (_m, path) => path.startsWith('/apis/metrics.k8s.io') });
  const h = harness('sealos', cluster);
  const instrument = node.create(h.context('node'), nodeConfig.parse({}));
  await instrument.start();
  await instrument.ready?.();
  const body = await h.scrape();
  assert.ok(samples(body).includes('sealos_node_kubelet_metrics_available{node="node-ok"} 0'));
  assert.ok(samples(body).includes('state_metric_collector_success{collector="node",instance="test-0"} 0'));
  assert.equal(instrument.health().state, 'healthy');
  assert.match(h.collections.get('node')?.error ?? '', /metrics\.k8s\.io.*404/);
  await instrument.stop();
});
