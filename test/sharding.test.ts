/**
 * Horizontal sharding, as kube-state-metrics shards: with two and with three shards, every
 * object's series are in exactly one shard's /metrics (the one kube-state-metrics' hash of its
 * UID names), and the shards together give exactly what one unsharded instance gives. The
 * per-object instruments run on every shard, leader election or not.
 */
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { App } from '../lib/app.js';
import { shardOf } from '../lib/kube/shard.js';
import { harnessLogs } from './support/app.js';
import { eventually, get } from './support/http.js';
import { TestApiServer } from './support/kube/api-server.js';
import { readyNode } from './support/kube/cluster.js';

const PODS = 30;
const NODES = 12;
const GADGETS = 15;

const CONFIG = `
enabledCollectors: [node, pod, imagepull, crds]
leaderElection:
  namespace: monitoring
  retryPeriod: 200ms
collectors:
  node:
    kubeletMetricsCheckInterval: 1h
  pod:
    restartThreshold: 3
  crds:
    crds:
      - name: gadgets
        gvr: { group: example.com, version: v1, resource: gadgets }
        commonLabels: { gadget: metadata.name }
        metrics:
          - { type: gauge, name: gadget_replicas, path: spec.replicas }
`;

function populate(server: TestApiServer): void {
  server.registerType({
    group: 'example.com',
    version: 'v1',
    resource: 'gadgets',
    kind: 'Gadget',
    namespaced: true,
  });
  for (let index = 0; index < NODES; index++) server.create('nodes', readyNode(`node-${index}`));
  for (let index = 0; index < PODS; index++) {
    server.create('pods', {
      metadata: { name: `pod-${index}`, namespace: 'default' },
      spec: {
        nodeName: `node-${index % NODES}`,
        containers: [{ name: 'app', image: `ghcr.io/acme/app:${index}` }],
      },
      status: {
        containerStatuses: [
          {
            name: 'app',
            image: `ghcr.io/acme/app:${index}`,
            restartCount: 3 + index,
            // Every third pod waits on a pull, for imagepull.
            state:
              index % 3 === 0
                ? {
                    waiting: {
                      reason: 'ImagePullBackOff',
                      message: `Back-off pulling image "ghcr.io/acme/app:${index}"`,
                    },
                  }
                : { running: {} },
          },
        ],
      },
    });
  }
  for (let index = 0; index < GADGETS; index++) {
    server.create(
      'gadgets',
      { metadata: { name: `gadget-${index}`, namespace: 'default' }, spec: { replicas: index } },
      'example.com',
    );
  }
}

/** The instruments' sample lines (no self-metrics), sorted. */
const objectSeries = (body: string) =>
  body
    .split('\n')
    .filter((line) => line.startsWith('sealos_'))
    .sort();

/** Lines naming one object (`pod="pod-3"`, `node="node-1"`, `gadget="gadget-2"`). */
const linesOf = (lines: readonly string[], label: string, name: string) =>
  lines.filter((line) => line.includes(`${label}="${name}"`));

test('two and three shards: each object in exactly one shard, the one its UID hashes to; together the unsharded output', async (t) => {
  const server = await TestApiServer.start();
  populate(server);
  const apps: App[] = [];
  const file = join(await mkdtemp(join(tmpdir(), 'ssm-shards-')), 'config.yaml');
  await writeFile(file, CONFIG);
  t.after(async () => {
    for (const app of apps) await app.stop();
    await server.stop();
  });
  const start = async (identity: string, shard?: { shard: number; total: number }) => {
    const app = await App.start({
      env: {
        KUBECONFIG: server.kubeconfigPath,
        SERVER_ADDRESS: '127.0.0.1:0',
        IDENTITY: identity,
        ...(shard ? { SHARDING_SHARD: String(shard.shard), SHARDING_TOTAL_SHARDS: String(shard.total) } : {}),
      },
      file,
      logs: harnessLogs(),
    });
    apps.push(app);
    return app;
  };
  const scrape = async (app: App) =>
    objectSeries((await get(`http://127.0.0.1:${app.server.address().port}/metrics`)).body);
  const settled = (app: App, count: (lines: string[]) => boolean) =>
    eventually(
      async () => {
        const lines = await scrape(app);
        return count(lines) ? lines : undefined;
      },
      10_000,
      'series of every object',
    );

  const whole = await settled(await start('whole'), (lines) => {
    const pods = new Set(lines.filter((l) => l.startsWith('sealos_pod_container_restarts')).map((l) => l));
    const nodes = lines.filter((l) => l.startsWith('sealos_node_healthy{'));
    const gadgets = lines.filter((l) => l.startsWith('sealos_gadget_replicas{'));
    return pods.size === PODS && nodes.length === NODES && gadgets.length === GADGETS;
  });
  assert.ok(
    whole.some((line) => line.startsWith('sealos_image_pull_failures{')),
    'imagepull exports',
  );
  const uidOf = (resource: string, name: string, group = '') => {
    const uid = server.get(resource, resource === 'nodes' ? '' : 'default', name, group)?.metadata.uid;
    assert.ok(uid, `${resource} ${name} has a UID`);
    return uid;
  };

  for (const total of [2, 3]) {
    const shards = await Promise.all(
      Array.from({ length: total }, (_, shard) => start(`shard-${shard}-of-${total}`, { shard, total })),
    );
    // Wait until the shards together hold every line the unsharded instance has.
    const outputs = await eventually(
      async () => {
        const all = await Promise.all(shards.map(scrape));
        return all.flat().length >= whole.length ? all : undefined;
      },
      10_000,
      `${total} shards holding every object`,
    );
    assert.deepEqual(outputs.flat().sort(), whole, `the union of ${total} shards is the unsharded output`);
    for (const [shard, lines] of outputs.entries()) {
      assert.ok(lines.length > 0, `shard ${shard} of ${total} holds objects`);
      for (let index = 0; index < PODS; index++) {
        const owner = shardOf(uidOf('pods', `pod-${index}`), total);
        assert.equal(linesOf(lines, 'pod', `pod-${index}`).length > 0, owner === shard, `pod-${index}`);
      }
      for (let index = 0; index < NODES; index++) {
        const owner = shardOf(uidOf('nodes', `node-${index}`), total);
        // A node's series name it; pods on it name it too, as their node label.
        const own = lines.filter(
          (line) => line.startsWith('sealos_node_') && line.includes(`node="node-${index}"`),
        );
        assert.equal(own.length > 0, owner === shard, `node-${index}`);
      }
      for (let index = 0; index < GADGETS; index++) {
        const owner = shardOf(uidOf('gadgets', `gadget-${index}`, 'example.com'), total);
        assert.equal(
          linesOf(lines, 'gadget', `gadget-${index}`).length > 0,
          owner === shard,
          `gadget-${index}`,
        );
      }
    }
  }
});
