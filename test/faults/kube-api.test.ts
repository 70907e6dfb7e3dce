/**
 * Kubernetes API faults, read through /metrics of a running app: dropped watches, 410 Gone, an
 * API server restarted with a new resourceVersion range, 429 with Retry-After, a 503 storm, a
 * very slow list, a list that never answers and a blackholed connection. After each the series
 * match the cluster (no stale, no duplicate series), the last known series are served while the
 * API is away, and retries are spaced (backoff, Retry-After) rather than a tight loop.
 */
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { App } from '../../lib/app.js';
import { harnessLogs } from '../support/app.js';
import { parseSamples, seriesMap } from '../support/exposition-parse.js';
import { get } from '../support/http.js';
import { TestApiServer } from '../support/kube/api-server.js';
import { readyNode } from '../support/kube/cluster.js';
import { TcpProxy } from '../support/tcp-proxy.js';

/** What the cluster holds, as the series should show it. */
class World {
  readonly nodes = new Set<string>();
  readonly restarts = new Map<string, number>();

  constructor(readonly server: TestApiServer) {}

  addNode(name: string): void {
    this.server.create('nodes', readyNode(name));
    this.nodes.add(name);
  }

  removeNode(name: string): void {
    this.server.remove('nodes', undefined, name);
    this.nodes.delete(name);
  }

  setRestarts(pod: string, count: number): void {
    const object = {
      metadata: { name: pod, namespace: 'default' },
      spec: { nodeName: 'node-0', containers: [{ name: 'app', image: 'busybox' }] },
      status: { containerStatuses: [{ name: 'app', restartCount: count }] },
    };
    if (this.restarts.has(pod)) this.server.update('pods', object);
    else this.server.create('pods', object);
    this.restarts.set(pod, count);
  }

  removePod(pod: string): void {
    this.server.remove('pods', 'default', pod);
    this.restarts.delete(pod);
  }
}

interface Observed {
  readonly nodes: Set<string>;
  readonly restarts: Map<string, number>;
}

function observe(body: string): Observed {
  seriesMap(body); // throws on a series written twice
  const nodes = new Set<string>();
  const restarts = new Map<string, number>();
  for (const sample of parseSamples(body)) {
    const labels = Object.fromEntries(sample.labels);
    if (sample.name === 'sealos_node_healthy') nodes.add(labels.node ?? '');
    if (sample.name === 'sealos_pod_container_restarts') restarts.set(labels.pod ?? '', sample.value);
  }
  return { nodes, restarts };
}

const sorted = (values: Iterable<string>) => [...values].sort();
const describe = (state: Observed) =>
  JSON.stringify({ nodes: sorted(state.nodes), restarts: Object.fromEntries(state.restarts) });

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('Kubernetes API faults: caches converge, nothing stale or doubled, retries spaced', {
  timeout: 120_000,
}, async (t) => {
  const server = await TestApiServer.start();
  const proxy = await TcpProxy.start({ host: '127.0.0.1', port: Number(new URL(server.url).port) });
  const dir = await mkdtemp(join(tmpdir(), 'ssm-kube-faults-'));
  const kubeconfig = await server.writeKubeconfig({ path: join(dir, 'kubeconfig'), viaPort: proxy.port });
  const file = join(dir, 'config.yaml');
  await writeFile(
    file,
    [
      'server:\n  address: "127.0.0.1:0"',
      'enabledCollectors: [node, pod]',
      'leaderElection:\n  enabled: false',
      'kubernetes:\n  requestTimeout: 1500ms\n  watchIdleTimeout: 2500ms',
      'collectors:\n  pod:\n    restartThreshold: 1',
      '',
    ].join('\n'),
  );
  const world = new World(server);
  for (let i = 0; i < 4; i++) world.addNode(`node-${i}`);
  for (let i = 0; i < 4; i++) world.setRestarts(`crash-${i}`, i + 1);
  const app = await App.start({ file, env: { KUBECONFIG: kubeconfig }, logs: harnessLogs() });
  t.after(async () => {
    await app.stop();
    await proxy.stop();
    await server.stop();
  });
  const scrape = async () =>
    observe((await get(`http://127.0.0.1:${app.server.address().port}/metrics`)).body);
  const expected = (): Observed => ({ nodes: new Set(world.nodes), restarts: new Map(world.restarts) });

  /** Waits until the series show the world; fails naming the last difference. */
  async function converged(what: string, withinMs: number): Promise<number> {
    const started = Date.now();
    let last: Observed | undefined;
    while (Date.now() - started < withinMs) {
      last = await scrape();
      if (describe(last) === describe(expected())) return Date.now() - started;
      await sleep(50);
    }
    assert.fail(
      `${what}: not converged within ${withinMs} ms\n  served  ${last && describe(last)}\n  cluster ${describe(expected())}`,
    );
  }
  const lists = (resource: string) =>
    server.requests.filter((r) => r.startsWith(`GET /api/v1/${resource}?`) && !r.includes('watch=true'))
      .length;
  const requestsOf = (resource: string, since: number) =>
    server.requests
      .map((request, index) => ({ request, at: server.requestTimes[index] ?? 0 }))
      .filter(({ request, at }) => at >= since && request.startsWith(`GET /api/v1/${resource}?`));

  /** The nodes watch is dropped and reopening it answers 410 Gone: the informer must relist. */
  const expireNextNodeWatch = () => {
    server.fail({
      count: 1,
      status: 410,
      match: (_method, path, watch) => watch && path === '/api/v1/nodes',
    });
    server.dropWatches();
  };

  await converged('initial sync', 5000);

  await t.test('a watch dropped mid-stream resumes without a relist', async () => {
    const listsBefore = lists('nodes') + lists('pods');
    world.addNode('node-4');
    server.dropWatches();
    world.removeNode('node-0');
    world.setRestarts('crash-1', 9);
    server.dropWatches();
    world.removePod('crash-3');
    await converged('after dropped watches', 5000);
    assert.equal(lists('nodes') + lists('pods'), listsBefore, 'a dropped watch caused a relist');
  });

  await t.test('410 Gone relists and drops what was deleted meanwhile', async () => {
    const listsBefore = lists('nodes');
    server.compact();
    server.dropWatches();
    world.removeNode('node-1');
    world.addNode('node-5');
    await converged('after 410 Gone', 5000);
    assert.ok(lists('nodes') > listsBefore, 'no relist after 410');
  });

  await t.test(
    'an API server restart with a new resourceVersion range: last series served while it is down',
    async () => {
      const restarted = server.restart({ compact: true, downMs: 1500 });
      await sleep(300);
      const whileDown = await scrape();
      assert.equal(
        describe(whileDown),
        describe(expected()),
        'series were lost while the API server was down',
      );
      // Changes the app cannot see until the server is back.
      world.removeNode('node-2');
      world.setRestarts('crash-0', 4);
      world.setRestarts('crash-9', 2);
      await restarted;
      await converged('after the restart', 8000);
    },
  );

  await t.test('429 with Retry-After: the next request waits as told', async () => {
    const since = Date.now();
    server.fail({
      count: 1,
      status: 429,
      retryAfterSeconds: 2,
      match: (_method, path) => path === '/api/v1/nodes',
    });
    server.dropWatches();
    world.addNode('node-6');
    await converged('after 429', 8000);
    const [refused, next] = requestsOf('nodes', since);
    assert.ok(refused && next, 'the refused request and a retry');
    assert.ok(next.at - refused.at >= 1950, `retried ${next.at - refused.at} ms after a Retry-After of 2 s`);
  });

  await t.test('a 503 storm: retries back off, the last series stay, then converge', async () => {
    const storm = {
      count: 1_000_000,
      status: 503,
      match: (_method: string, path: string) => path === '/api/v1/pods',
    };
    const since = Date.now();
    server.fail(storm);
    server.dropWatches();
    world.setRestarts('crash-2', 12);
    await sleep(4000);
    const attempts = requestsOf('pods', since);
    // Backoff from 200 ms doubling with jitter: about 5 attempts in 4 s; a tight loop makes thousands.
    assert.ok(attempts.length >= 2 && attempts.length <= 10, `${attempts.length} attempts in 4 s`);
    const gaps = attempts.slice(1).map((a, i) => a.at - (attempts[i]?.at ?? 0));
    assert.ok(
      gaps.every((gap, i) => i === 0 || gap >= (gaps[i - 1] ?? 0) * 0.9),
      `gaps do not grow: ${gaps}`,
    );
    const during = await scrape();
    assert.equal(during.restarts.get('crash-2'), 3, 'the last known value is served during the storm');
    assert.equal(during.nodes.size, world.nodes.size);
    storm.count = 0;
    await converged('after the storm', 8000);
  });

  await t.test('a very slow list: the old series serve until the new list completes', async () => {
    const listsBefore = lists('nodes');
    server.delayLists(1000);
    try {
      expireNextNodeWatch();
      world.removeNode('node-3');
      await sleep(300);
      const during = await scrape();
      assert.ok(during.nodes.has('node-3'), 'the series went away before the slow list answered');
      await converged('after a slow list', 8000);
      assert.ok(lists('nodes') > listsBefore, 'no relist');
    } finally {
      server.delayLists(0);
    }
  });

  await t.test('a list that never answers is cut at requestTimeout and retried', async () => {
    const since = Date.now();
    server.delayLists(60_000);
    try {
      expireNextNodeWatch();
      world.addNode('node-7');
      await sleep(4000);
      const attempts = requestsOf('nodes', since).filter(({ request }) => !request.includes('watch=true'));
      // Cut at 1.5 s, then retried after a backoff from 200 ms.
      assert.ok(attempts.length >= 2, `${attempts.length} list attempts in 4 s with a 1.5 s request timeout`);
    } finally {
      server.delayLists(0);
    }
    await converged('after hung lists', 10_000);
  });

  await t.test(
    'a blackholed connection: the silent watch is reopened after the partition heals',
    async (st) => {
      proxy.cut();
      world.removeNode('node-4');
      world.setRestarts('crash-1', 20);
      await sleep(1000);
      const during = await scrape();
      assert.ok(during.nodes.has('node-4'), 'series lost during the partition');
      proxy.heal();
      // The old connections stay dead; the watch idle limit (2.5 s) finds them.
      const tookMs = await converged('after the partition', 10_000);
      st.diagnostic(`kube faults: converged ${tookMs} ms after the partition healed`);
    },
  );
});
