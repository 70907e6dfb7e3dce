/**
 * A reload with a cluster: the next generation reuses the shared informers (no relist, no new
 * watch storm) and keeps the leases it held.
 */
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { App } from '../lib/app.js';
import { harnessLogs } from './support/app.js';
import { eventually, get } from './support/http.js';
import { TestApiServer } from './support/kube/api-server.js';
import { readyNode } from './support/kube/cluster.js';

test('a reload keeps informers and leases: no relist, series continue', async (t) => {
  const server = await TestApiServer.start();
  server.create('nodes', readyNode('node-a'));
  server.create('pods', {
    metadata: { name: 'crashy', namespace: 'default' },
    spec: { nodeName: 'node-a', containers: [{ name: 'app', image: 'busybox' }] },
    status: { containerStatuses: [{ name: 'app', restartCount: 7 }] },
  });
  const dir = await mkdtemp(join(tmpdir(), 'ssm-kube-reload-'));
  const file = join(dir, 'config.yaml');
  const yaml = (threshold: number) =>
    `server:\n  address: "127.0.0.1:0"\nenabledCollectors: [node, pod]\nidentity: only-one\nleaderElection:\n  namespace: monitoring\n  retryPeriod: 200ms\ncollectors:\n  pod:\n    restartThreshold: ${threshold}\n`;
  await writeFile(file, yaml(5));
  const app = await App.start({
    file,
    env: { KUBECONFIG: server.kubeconfigPath },
    logs: harnessLogs(),
    reloadDebounceMs: 100,
  });
  t.after(async () => {
    await app.stop();
    await server.stop();
  });
  const scrape = async () => (await get(`http://127.0.0.1:${app.server.address().port}/metrics`)).body;
  // Both instruments lead and export before the reload, so what follows shows they continue.
  await eventually(
    async () => {
      const body = await scrape();
      return body.includes('sealos_pod_container_restarts{') &&
        /^sealos_node_healthy\{node="node-a"\} 1$/m.test(body)
        ? true
        : undefined;
    },
    5000,
    'pod and node series',
  );
  const lists = () =>
    server.requests.filter((r) => r.startsWith('GET /api/v1/') && !r.includes('watch=true')).length;
  const listsBefore = lists();

  await writeFile(file, yaml(10));
  const body = await eventually(
    async () => {
      const current = await scrape();
      return app.runtime.current.number === 2 && !current.includes('sealos_pod_container_restarts{')
        ? current
        : undefined;
    },
    5000,
    'the reloaded threshold',
  );
  assert.match(body, /^sealos_node_healthy\{node="node-a"\} 1$/m, 'node series continue across the reload');
  assert.equal(lists(), listsBefore, 'no relist on reload');
  const lease = server.get('leases', 'monitoring', 'sealos-state-metric-node', 'coordination.k8s.io');
  assert.equal(
    (lease?.spec as { leaseTransitions?: number } | undefined)?.leaseTransitions,
    0,
    'the lease never changed hands',
  );
});
