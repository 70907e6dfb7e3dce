import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertGolden, harness, samples } from '../../test/support/harness.js';
import { eventually } from '../../test/support/http.js';
import { clusterFixture } from '../../test/support/kube/cluster.js';
import { type LeanNode, leanNode, originalHealth, strictHealth } from './conditions.js';
import { nodeConfig } from './config.js';
import { node, nodesWithMetrics } from './node.js';

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

/** Old enough to be past the default ignoreNewNodeDuration (30m). */
const LONG_AGO = '2026-01-01T00:00:00Z';

function nodeObject(name: string, status: Record<string, string>, creationTimestamp = LONG_AGO) {
  return {
    metadata: {
      name,
      creationTimestamp,
      labels: { 'kubernetes.io/hostname': name },
      managedFields: [{ manager: 'kubelet' }],
    },
    spec: { podCIDR: '10.0.0.0/24' },
    status: {
      conditions: conditions(status),
      capacity: { cpu: '8' },
      images: [{ names: ['busybox'], sizeBytes: 1 }],
    },
  };
}

function healthOf(
  rule: (node: LeanNode) => { healthy: boolean; abnormal: readonly { type: string; status: string }[] },
  status: Record<string, string>,
) {
  const { healthy, abnormal } = rule(leanNode(nodeObject('n', status) as never));
  return [healthy, abnormal.map((c) => `${c.type}=${c.status}`).sort()];
}

test("health by the original's rule: Ready True and no pressure True; other conditions listed, not counted", () => {
  const cases: [Record<string, string>, boolean, string[]][] = [
    [healthyConditions, true, []],
    [{ ...healthyConditions, Ready: 'False' }, false, ['Ready=False']],
    [{ ...healthyConditions, DiskPressure: 'True' }, false, ['DiskPressure=True']],
    [{ ...healthyConditions, NetworkUnavailable: 'True' }, false, ['NetworkUnavailable=True']],
    // Unknown pressure is not counted; an unknown Ready is.
    [{ ...healthyConditions, MemoryPressure: 'Unknown' }, true, []],
    [{ Ready: 'Unknown', MemoryPressure: 'Unknown' }, false, ['Ready=Unknown']],
    // node-problem-detector's conditions are listed when not False, but leave the node healthy.
    [{ ...healthyConditions, KernelDeadlock: 'True' }, true, ['KernelDeadlock=True']],
    [
      { ...healthyConditions, Ready: 'False', KernelDeadlock: 'True' },
      false,
      ['KernelDeadlock=True', 'Ready=False'],
    ],
    // No Ready condition: unhealthy, with nothing to list.
    [{}, false, []],
  ];
  for (const [status, healthy, abnormal] of cases)
    assert.deepEqual(healthOf(originalHealth, status), [healthy, abnormal.sort()], JSON.stringify(status));
});

test('health with strictConditions: the node-condition convention', () => {
  const cases: [Record<string, string>, boolean, string[]][] = [
    [healthyConditions, true, []],
    [{ ...healthyConditions, Ready: 'False' }, false, ['Ready=False']],
    [{ ...healthyConditions, DiskPressure: 'True' }, false, ['DiskPressure=True']],
    [{ Ready: 'Unknown', MemoryPressure: 'Unknown' }, false, ['Ready=Unknown', 'MemoryPressure=Unknown']],
    [
      { ...healthyConditions, KernelDeadlock: 'True', NetworkUnavailable: 'False' },
      false,
      ['KernelDeadlock=True'],
    ],
    [{}, false, ['Ready=Unknown']],
  ];
  for (const [status, healthy, abnormal] of cases)
    assert.deepEqual(healthOf(strictHealth, status), [healthy, abnormal.sort()], JSON.stringify(status));
  assert.deepEqual(
    leanNode({ metadata: { name: 'x' }, status: { conditions: 'garbage' } } as never).conditions,
    [],
  );
});

test('NodeMetrics: any item counts, as in the original; with kubeletMetricsMaxAge only fresh ones', () => {
  const list = {
    items: [
      { metadata: { name: 'a' }, timestamp: '2026-11-25T05:59:00Z' },
      { metadata: { name: 'b' }, timestamp: '2026-11-25T05:50:00Z' },
      { metadata: { name: 'c' } },
      { metadata: { name: 'd' }, timestamp: 'not a time' },
    ],
  };
  assert.deepEqual([...nodesWithMetrics(list, NOW, 0)], ['a', 'b', 'c', 'd']);
  assert.deepEqual([...nodesWithMetrics(list, NOW, 5 * 60_000)], ['a']);
  assert.deepEqual([...nodesWithMetrics({ items: [{} as never, { metadata: {} } as never] }, NOW, 0)], []);
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
  // Ten minutes old: within the default ignoreNewNodeDuration, so no health series yet.
  server.create(
    'nodes',
    nodeObject('node-new', { ...healthyConditions, Ready: 'False' }, '2026-11-25T05:50:00Z'),
  );
  server.create('nodes', { metadata: { name: 'node-bare', creationTimestamp: LONG_AGO } });
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
  const instrument = node.create({ ...h.context('node'), clock: { now: () => NOW } }, nodeConfig.parse({}));
  await instrument.start();
  await instrument.ready?.();
  assert.equal(instrument.health().state, 'healthy');
  await assertGolden(
    `${samples(await h.scrape(), 'sealos_node').join('\n')}\n`,
    new URL('./testdata/nodes.prom', import.meta.url),
  );

  // The opt-in rules: strictConditions counts Unknown and node-problem-detector's conditions,
  // kubeletMetricsMaxAge wants fresh NodeMetrics (node-disk's are 20 minutes old).
  const strict = harness('sealos', cluster);
  const strictInstrument = node.create(
    { ...strict.context('node'), clock: { now: () => NOW } },
    nodeConfig.parse({ strictConditions: true, kubeletMetricsMaxAge: '5m', ignoreNewNodeDuration: '0s' }),
  );
  await strictInstrument.start();
  await strictInstrument.ready?.();
  const strictSamples = samples(await strict.scrape(), 'sealos_node');
  await strictInstrument.stop();
  for (const line of [
    'sealos_node_healthy{node="node-npd"} 0',
    'sealos_node_condition{node="node-npd",condition="KernelDeadlock",status="True"} 1',
    'sealos_node_condition{node="node-bare",condition="Ready",status="Unknown"} 0',
    'sealos_node_condition{node="node-lost",condition="MemoryPressure",status="Unknown"} 0',
    'sealos_node_healthy{node="node-new"} 0',
    'sealos_node_kubelet_metrics_available{node="node-disk"} 0',
    'sealos_node_kubelet_metrics_available{node="node-ok"} 1',
  ])
    assert.ok(strictSamples.includes(line), `${line} in\n${strictSamples.join('\n')}`);

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

test('a failed NodeMetrics read keeps what the last one found, as the original; none before the first', async (t) => {
  const { server, cluster } = await clusterFixture(t);
  server.create('nodes', nodeObject('node-ok', healthyConditions));
  server.create('nodes', nodeObject('node-quiet', healthyConditions));
  server.create(
    'nodes',
    { metadata: { name: 'node-ok' }, timestamp: '2026-11-25T05:59:40Z' },
    'metrics.k8s.io',
  );
  const metricsDown = () =>
    server.fail({ count: 1000, status: 404, match: (_m, path) => path.startsWith('/apis/metrics.k8s.io') });
  metricsDown();
  const h = harness('sealos', cluster);
  const instrument = node.create(h.context('node'), nodeConfig.parse({}));
  t.after(() => instrument.stop());
  await instrument.start();
  await instrument.ready?.();
  let body = await h.scrape();
  assert.deepEqual(samples(body, 'sealos_node_kubelet_metrics_available'), []);
  assert.ok(samples(body).includes('state_metric_collector_success{collector="node",instance="test-0"} 0'));
  assert.equal(instrument.health().state, 'healthy');
  assert.match(h.collections.get('node')?.error ?? '', /metrics\.k8s\.io.*404/);

  server.faults.length = 0;
  await instrument.collectNow();
  const found = [
    'sealos_node_kubelet_metrics_available{node="node-ok"} 1',
    'sealos_node_kubelet_metrics_available{node="node-quiet"} 0',
  ];
  assert.deepEqual(samples(await h.scrape(), 'sealos_node_kubelet_metrics_available'), found);

  metricsDown();
  await instrument.collectNow().catch(() => {});
  body = await h.scrape();
  assert.deepEqual(samples(body, 'sealos_node_kubelet_metrics_available'), found);
  assert.ok(samples(body).includes('state_metric_collector_success{collector="node",instance="test-0"} 0'));
});
