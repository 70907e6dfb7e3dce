import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertGolden, harness, samples } from '../../test/support/harness.js';
import { eventually } from '../../test/support/http.js';
import { clusterFixture } from '../../test/support/kube/cluster.js';
import { podConfig } from './config.js';
import { pod, podRestarts } from './pod.js';

function podObject(
  namespace: string,
  name: string,
  restarts: Record<string, number>,
  initRestarts: Record<string, number> = {},
) {
  const statuses = (entries: Record<string, number>) =>
    Object.entries(entries).map(([container, count]) => ({
      name: container,
      restartCount: count,
      ready: true,
      image: 'busybox',
      containerID: `containerd://${'a'.repeat(64)}`,
      state: { running: { startedAt: '2026-11-25T05:00:00Z' } },
    }));
  return {
    metadata: { name, namespace },
    spec: {
      nodeName: 'node-a',
      containers: Object.keys(restarts).map((c) => ({ name: c, image: 'busybox' })),
    },
    status: {
      phase: 'Running',
      containerStatuses: statuses(restarts),
      initContainerStatuses: statuses(initRestarts),
    },
  };
}

test('keeps only container names and restart counts, init containers included', () => {
  assert.deepEqual(podRestarts(podObject('ns', 'p', { app: 7 }, { init: 2 }) as never), {
    namespace: 'ns',
    name: 'p',
    containers: [
      { name: 'init', restarts: 2 },
      { name: 'app', restarts: 7 },
    ],
  });
  assert.deepEqual(
    podRestarts({
      metadata: { name: 'p', namespace: 'ns' },
      status: { containerStatuses: [{ name: 1 }] },
    } as never).containers,
    [],
  );
});

async function setup(t: { after(fn: () => unknown): void }) {
  const { server, cluster } = await clusterFixture(t);
  server.create('pods', podObject('default', 'web', { nginx: 5, 'log-shipper': 1 }));
  server.create('pods', podObject('default', 'calm', { app: 0 }));
  server.create('pods', podObject('prod', 'crashy', { app: 42 }, { migrate: 9 }));
  server.create('pods', podObject('kube-system', 'dns', { coredns: 12 }));
  return { server, cluster };
}

test('reports containers at or past the threshold, all namespaces (golden); a fixed pod goes', async (t) => {
  const { server, cluster } = await setup(t);
  const h = harness('sealos', cluster);
  const instrument = pod.create(h.context('pod'), podConfig.parse({}));
  await instrument.ready?.();
  assert.equal(instrument.health().state, 'healthy');
  await assertGolden(
    `${samples(await h.scrape(), 'sealos_pod').join('\n')}\n`,
    new URL('./testdata/all-namespaces.prom', import.meta.url),
  );
  server.remove('pods', 'prod', 'crashy');
  await eventually(
    async () => ((await h.scrape()).includes('crashy') ? undefined : true),
    5000,
    'deleted pod gone',
  );
  await instrument.stop();
});

test('a namespaces list watches only those namespaces, with a threshold of its own', async (t) => {
  const { cluster } = await setup(t);
  const h = harness('sealos', cluster);
  const instrument = pod.create(
    h.context('pod'),
    podConfig.parse({ namespaces: ['prod', 'kube-system'], restartThreshold: 10 }),
  );
  await instrument.ready?.();
  assert.deepEqual(samples(await h.scrape(), 'sealos_pod'), [
    'sealos_pod_container_restarts{namespace="kube-system",pod="dns",container="coredns"} 12',
    'sealos_pod_container_restarts{namespace="prod",pod="crashy",container="app"} 42',
  ]);
  await instrument.stop();
});

test('config rejects a bad namespace name and a negative threshold', () => {
  const result = podConfig.safeParse({ namespaces: ['Bad_NS'], restartThreshold: -1 });
  assert.equal(result.success, false);
  assert.deepEqual(result.error?.issues.map((i) => i.path.join('.')).sort(), [
    'namespaces.0',
    'restartThreshold',
  ]);
});
