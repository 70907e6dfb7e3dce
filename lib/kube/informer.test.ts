import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { harnessLogs } from '../../test/support/app.js';
import { localhostPair } from '../../test/support/certificates.js';
import { eventually } from '../../test/support/http.js';
import { TestApiServer } from '../../test/support/kube/api-server.js';
import { tokenKubeconfig } from '../../test/support/kube/kubeconfig.js';
import { KubeClient } from './client.js';
import { connectCluster } from './connection.js';
import { type ApiObject, DEFAULT_INFORMER_OPTIONS, InformerHub } from './informer.js';

const PODS = { group: '', version: 'v1', resource: 'pods' };

interface LeanPod {
  readonly node: string;
  readonly phase: string;
}

const leanPod = (object: ApiObject): LeanPod => ({
  node: String((object.spec as { nodeName?: string })?.nodeName ?? ''),
  phase: String((object.status as { phase?: string })?.phase ?? ''),
});

function pod(name: string, node = 'node-a', phase = 'Running', namespace = 'default') {
  return {
    metadata: {
      name,
      namespace,
      labels: { app: name },
      managedFields: [{ manager: 'kubectl' }],
      annotations: { big: 'x'.repeat(1000) },
    },
    spec: { nodeName: node, containers: [{ name: 'c', image: 'busybox' }] },
    status: { phase },
  };
}

async function setup(t: { after(fn: () => unknown): void }, options = {}) {
  const server = await TestApiServer.start({ bookmarkIntervalMs: 200 });
  const access = await connectCluster(server.kubeconfigPath, {});
  assert.ok(access);
  const client = new KubeClient(access, { qps: 1000, burst: 1000 });
  const hub = new InformerHub(client, harnessLogs().child({}), {
    ...DEFAULT_INFORMER_OPTIONS,
    backoffInitialMs: 50,
    backoffMaxMs: 500,
    ...options,
  });
  t.after(async () => {
    await hub.stop();
    await server.stop();
  });
  return { server, hub };
}

function snapshot(items: ReadonlyMap<string, LeanPod>): string[] {
  return [...items].map(([key, p]) => `${key}:${p.node}:${p.phase}`).sort();
}

/** Waits until the store equals what the server holds now, transformed. */
async function converged(server: TestApiServer, items: ReadonlyMap<string, LeanPod>, names: string[]) {
  const expected = names
    .map((name) => {
      const object = server.get('pods', 'default', name) as unknown as ApiObject;
      const lean = leanPod(object);
      return `default/${name}:${lean.node}:${lean.phase}`;
    })
    .sort();
  await eventually(
    async () => (JSON.stringify(snapshot(items)) === JSON.stringify(expected) ? true : undefined),
    5000,
    `store = ${expected}`,
  );
}

test('lists, then follows updates and deletes; the store keeps only the transformed fields', async (t) => {
  const { server, hub } = await setup(t);
  for (const name of ['a', 'b', 'c']) server.create('pods', pod(name));
  const pods = hub.subscribe(PODS, {}, 'test.lean', leanPod);
  await pods.synced();
  assert.deepEqual(snapshot(pods.items), [
    'default/a:node-a:Running',
    'default/b:node-a:Running',
    'default/c:node-a:Running',
  ]);
  assert.deepEqual(Object.keys(pods.items.get('default/a') as object).sort(), ['node', 'phase']);
  const listed = pods.version;
  assert.ok(listed > 0, 'the list is a change');
  server.update('pods', pod('a', 'node-b', 'Failed'));
  server.remove('pods', 'default', 'b');
  server.create('pods', pod('d'));
  await converged(server, pods.items, ['a', 'c', 'd']);
  // The version tells a reader that the store moved (the keyed metrics skip a walk otherwise).
  assert.ok(pods.version >= listed + 3, `${listed} -> ${pods.version} after three events`);
});

test('a dropped watch resumes from the last resourceVersion without relisting', async (t) => {
  const { server, hub } = await setup(t);
  server.create('pods', pod('a'));
  const pods = hub.subscribe(PODS, {}, 'test.lean', leanPod);
  await pods.synced();
  const informer = hub.informers[0];
  assert.ok(informer);
  await eventually(async () => (server.openWatches === 1 ? true : undefined), 5000, 'the watch open');
  server.dropWatches();
  server.create('pods', pod('b'));
  server.update('pods', pod('a', 'node-c'));
  await converged(server, pods.items, ['a', 'b']);
  assert.equal(informer.stats.lists, 1);
  assert.ok(informer.stats.watches >= 2);
});

test('410 Gone after compaction relists and converges, with no stale entries', async (t) => {
  const { server, hub } = await setup(t);
  server.create('pods', pod('a'));
  server.create('pods', pod('b'));
  const pods = hub.subscribe(PODS, {}, 'test.lean', leanPod);
  await pods.synced();
  const informer = hub.informers[0];
  assert.ok(informer);
  await eventually(async () => (server.openWatches === 1 ? true : undefined), 5000, 'the watch open');
  // Changes while no watch is open, then history is compacted away: only a relist can catch up.
  server.fail({ count: 3, status: 503, match: (_m, _p, watch) => watch });
  server.dropWatches();
  server.remove('pods', 'default', 'a');
  server.create('pods', pod('c'));
  const before = pods.version;
  server.compact();
  await converged(server, pods.items, ['b', 'c']);
  assert.equal(informer.stats.lists, 2);
  assert.ok(pods.version > before, 'a relist moves the version');
});

test('an API server restart with a new history range converges', async (t) => {
  const { server, hub } = await setup(t);
  server.create('pods', pod('a'));
  const pods = hub.subscribe(PODS, {}, 'test.lean', leanPod);
  await pods.synced();
  const restart = server.restart({ compact: true, downMs: 300 });
  server.create('pods', pod('b'));
  await restart;
  await converged(server, pods.items, ['a', 'b']);
});

test('one watch per resource and scope, shared by every consumer; a reused store name needs no relist', async (t) => {
  const { server, hub } = await setup(t);
  server.create('pods', pod('a'));
  const first = hub.subscribe(PODS, {}, 'test.lean', leanPod);
  const names = hub.subscribe(PODS, {}, 'test.names', (o) => o.metadata.name);
  await first.synced();
  await eventually(async () => (names.items.size === 1 ? true : undefined), 5000, 'second store filled');
  assert.equal(hub.informers.length, 1);
  await eventually(async () => (server.openWatches === 1 ? true : undefined), 5000, 'one open watch');
  const informer = hub.informers[0];
  const listsBefore = informer?.stats.lists;
  // A reload: the next generation subscribes before the old one lets go.
  const next = hub.subscribe(PODS, {}, 'test.lean', leanPod);
  first.close();
  assert.equal(next.items.size, 1);
  assert.equal(informer?.stats.lists, listsBefore);
  names.close();
  next.close();
  assert.equal(hub.informers.length, 0, 'released when the last consumer leaves');
});

test('scopes: namespace and field selector are separate informers; lists are paginated', async (t) => {
  const { server, hub } = await setup(t, { pageSize: 2 });
  for (let i = 0; i < 5; i++) server.create('pods', pod(`p${i}`, i < 3 ? 'node-a' : 'node-b'));
  server.create('pods', pod('sys', 'node-a', 'Running', 'kube-system'));
  const onNodeA = hub.subscribe(PODS, { fieldSelector: 'spec.nodeName=node-a' }, 'test.lean', leanPod);
  const inSystem = hub.subscribe(PODS, { namespace: 'kube-system' }, 'test.lean', leanPod);
  await onNodeA.synced();
  await inSystem.synced();
  assert.deepEqual([...onNodeA.items.keys()].sort(), [
    'default/p0',
    'default/p1',
    'default/p2',
    'kube-system/sys',
  ]);
  assert.deepEqual([...inSystem.items.keys()], ['kube-system/sys']);
  assert.ok(
    server.requests.some((r) => r.includes('continue=')),
    'paginated',
  );
  server.update('pods', pod('p0', 'node-b'));
  await eventually(
    async () => (onNodeA.items.has('default/p0') ? undefined : true),
    5000,
    'moved out of the selector',
  );
});

test('errors back off and honour Retry-After', async (t) => {
  const { server, hub } = await setup(t);
  server.create('pods', pod('a'));
  server.fail({ count: 1, status: 429, retryAfterSeconds: 1 });
  const started = Date.now();
  const pods = hub.subscribe(PODS, {}, 'test.lean', leanPod);
  await pods.synced();
  assert.ok(Date.now() - started >= 900, `synced after ${Date.now() - started} ms`);
  assert.equal(hub.informers[0]?.stats.errors, 1);
});

test('listeners get every cached key again each resync period', async (t) => {
  const { server, hub } = await setup(t, { resyncMs: 150 });
  server.create('pods', pod('a'));
  server.create('pods', pod('b'));
  const pods = hub.subscribe(PODS, {}, 'test.lean', leanPod);
  const resynced = new Set<string>();
  pods.onChange((type, key) => {
    if (type === 'resync') resynced.add(key);
  });
  await pods.synced();
  await eventually(async () => (resynced.size === 2 ? true : undefined), 3000, 'a resync of both pods');
  assert.deepEqual([...resynced].sort(), ['default/a', 'default/b']);
});

test('a consumer that subscribes while the first list is running is filled before sync', async (t) => {
  const { server, hub } = await setup(t, { pageSize: 1 });
  for (const name of ['a', 'b', 'c']) server.create('pods', pod(name));
  server.delayLists(100);
  const first = hub.subscribe(PODS, {}, 'test.lean', leanPod);
  await new Promise((resolve) => setTimeout(resolve, 150));
  const late = hub.subscribe(PODS, {}, 'test.names', (o) => o.metadata.name);
  await late.synced();
  assert.equal(late.items.size, 3);
  assert.equal(first.items.size, 3);
});

test('watches that end at once are reopened with backoff, not in a tight loop', async (t) => {
  const { server, hub } = await setup(t, { backoffInitialMs: 50, backoffMaxMs: 400 });
  server.create('pods', pod('a'));
  server.endWatchesAtOnce = true;
  const pods = hub.subscribe(PODS, {}, 'test.lean', leanPod);
  await pods.synced();
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const watches = hub.informers[0]?.stats.watches ?? 0;
  // Backoff 50, 100, 200, 400, 400 ms (with jitter): a handful in 1.5 s, where a tight loop makes hundreds.
  assert.ok(watches >= 3 && watches <= 15, `${watches} watches in 1.5 s`);
  server.endWatchesAtOnce = false;
  server.create('pods', pod('b'));
  await eventually(
    async () => (pods.items.size === 2 ? true : undefined),
    5000,
    'recovery once watches hold',
  );
});

/**
 * A list server of two pages written by hand: page one's body is held open after `first`, until
 * page two is asked for or `holdMs` passes; page two answers at once. Watches are held open.
 * `broken`: the first answer for page one is these bytes, then the connection is cut.
 */
async function twoPageServer(
  t: { after(fn: () => unknown): void },
  body: { first: string; rest: string; broken?: string },
  holdMs: number,
) {
  let broken = body.broken;
  const seen = { secondAskedBeforeFirstEnded: false, firstEnded: false };
  let secondAsked = () => {};
  const second = new Promise<void>((resolve) => {
    secondAsked = resolve;
  });
  const { cert, key } = await localhostPair('kube-apiserver');
  const server = createServer({ cert, key }, (request, response) => {
    const url = new URL(request.url ?? '/', 'https://localhost');
    response.writeHead(200, { 'content-type': 'application/json' });
    if (url.searchParams.get('watch') === 'true') {
      response.flushHeaders();
      return;
    }
    if (url.searchParams.get('continue') === 'page-2') {
      if (!seen.firstEnded) seen.secondAskedBeforeFirstEnded = true;
      secondAsked();
      response.end(
        `{"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"7"},"items":[${JSON.stringify(pod('c'))}]}`,
      );
      return;
    }
    if (broken !== undefined) {
      response.write(broken);
      broken = undefined;
      setTimeout(() => response.destroy(), 50);
      return;
    }
    response.write(body.first);
    const timer = setTimeout(secondAsked, holdMs);
    void second.then(() => {
      clearTimeout(timer);
      seen.firstEnded = true;
      response.end(body.rest);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    server.closeAllConnections();
    return new Promise((resolve) => server.close(resolve));
  });
  const dir = await mkdtemp(join(tmpdir(), 'ssm-pages-'));
  const path = join(dir, 'kubeconfig');
  const { port } = server.address() as AddressInfo;
  await writeFile(path, tokenKubeconfig({ server: `https://127.0.0.1:${port}`, ca: cert, token: 't' }));
  const access = await connectCluster(path, {});
  assert.ok(access);
  const hub = new InformerHub(new KubeClient(access, { qps: 1000, burst: 1000 }), harnessLogs().child({}), {
    ...DEFAULT_INFORMER_OPTIONS,
    pageSize: 2,
  });
  t.after(() => hub.stop());
  return { hub, seen };
}

test('the next page is asked for while this one is still arriving, when its head names the token', async (t) => {
  const { hub, seen } = await twoPageServer(
    t,
    {
      first: `{"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"7","continue":"page-2","remainingItemCount":1},"items":[${JSON.stringify(pod('a'))}`,
      rest: `,${JSON.stringify(pod('b'))}]}`,
    },
    3000,
  );
  const started = performance.now();
  const pods = hub.subscribe(PODS, {}, 'test.lean', leanPod);
  await pods.synced();
  assert.deepEqual([...pods.items.keys()].sort(), ['default/a', 'default/b', 'default/c']);
  assert.ok(seen.secondAskedBeforeFirstEnded, 'page two asked for before page one ended');
  assert.ok(performance.now() - started < 2500, 'page one was not held for the whole hold');
});

test('a list whose metadata follows its items is read page by page, nothing lost', async (t) => {
  const { hub, seen } = await twoPageServer(
    t,
    {
      first: `{"kind":"PodList","apiVersion":"v1","items":[${JSON.stringify(pod('a'))}`,
      rest: `,${JSON.stringify(pod('b'))}],"metadata":{"resourceVersion":"7","continue":"page-2"}}`,
    },
    300,
  );
  const pods = hub.subscribe(PODS, {}, 'test.lean', leanPod);
  await pods.synced();
  assert.deepEqual([...pods.items.keys()].sort(), ['default/a', 'default/b', 'default/c']);
  assert.equal(seen.secondAskedBeforeFirstEnded, false);
});

test('a page cut off mid-item fails the whole list, and what it brought is not kept', async (t) => {
  const head =
    '{"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"7","continue":"page-2"},"items":[';
  const { hub } = await twoPageServer(
    t,
    {
      broken: `${head}${JSON.stringify(pod('ghost'))},{"metadata":{"name":"b","namesp`,
      first: `${head}${JSON.stringify(pod('a'))}`,
      rest: `,${JSON.stringify(pod('b'))}]}`,
    },
    300,
  );
  const pods = hub.subscribe(PODS, {}, 'test.lean', leanPod);
  await pods.synced();
  assert.deepEqual([...pods.items.keys()].sort(), ['default/a', 'default/b', 'default/c']);
  assert.equal(hub.informers[0]?.stats.errors, 1);
});
