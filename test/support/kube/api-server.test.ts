/**
 * The test API server checked against real clients: @kubernetes/client-node through a kubeconfig,
 * and kubectl; its fault knobs (dropped watches, etcd-served continue tokens, injected errors,
 * restarts). What it shares with a real kube-apiserver (leases, custom resources, pagination,
 * watches, Status bodies) is one suite against both: test/real/api-conformance.test.ts.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { CoreV1Api, KubeConfig, Watch } from '@kubernetes/client-node';
import { TestApiServer } from './api-server.js';

function pod(name: string, labels: Record<string, string> = {}, nodeName = 'node-a') {
  return {
    metadata: { name, namespace: 'default', labels },
    spec: { nodeName, containers: [{ name: 'c', image: 'busybox' }] },
  };
}

async function client(server: TestApiServer) {
  const kc = new KubeConfig();
  kc.loadFromFile(server.kubeconfigPath);
  return kc;
}

test('client-node lists over HTTPS with the kubeconfig token; no token is 401', async (t) => {
  const server = await TestApiServer.start();
  t.after(() => server.stop());
  server.create('pods', pod('a'));
  server.create('pods', { ...pod('b'), metadata: { name: 'b', namespace: 'kube-system' } });
  server.create('nodes', { metadata: { name: 'node-a' } });
  const core = (await client(server)).makeApiClient(CoreV1Api);
  const pods = await core.listPodForAllNamespaces();
  assert.deepEqual(
    pods.items.map((p) => `${p.metadata?.namespace}/${p.metadata?.name}`),
    ['default/a', 'kube-system/b'],
  );
  assert.equal(pods.metadata?.resourceVersion, String(server.resourceVersion));
  assert.equal((await core.listNamespacedPod({ namespace: 'kube-system' })).items.length, 1);
  assert.equal((await core.listNode()).items[0]?.metadata?.name, 'node-a');
  const anonymous = await fetch(`${server.url}/api/v1/pods`, {}).catch((error: Error) => error);
  // Node's fetch does not trust the test CA: a TLS error proves HTTPS; the 401 path is checked with client-node below.
  assert.ok(anonymous instanceof Error);
  const kc = await client(server);
  await server.writeKubeconfig({ path: `${server.kubeconfigPath}.bad`, token: 'wrong-token' });
  kc.loadFromFile(`${server.kubeconfigPath}.bad`);
  await assert.rejects(
    kc.makeApiClient(CoreV1Api).listNode(),
    (error: { code?: number }) => error.code === 401,
  );
});

test('pagination with limit/continue, selectors, and 410 for a continue token from compacted history', async (t) => {
  const server = await TestApiServer.start();
  t.after(() => server.stop());
  for (let i = 0; i < 5; i++)
    server.create('pods', pod(`p${i}`, { app: i % 2 ? 'odd' : 'even' }, i < 3 ? 'node-a' : 'node-b'));
  const core = (await client(server)).makeApiClient(CoreV1Api);
  const first = await core.listPodForAllNamespaces({ limit: 2 });
  assert.equal(first.items.length, 2);
  assert.equal(first.metadata?.remainingItemCount, 3);
  const second = await core.listPodForAllNamespaces({
    limit: 2,
    _continue: first.metadata?._continue as string,
  });
  const third = await core.listPodForAllNamespaces({
    limit: 2,
    _continue: second.metadata?._continue as string,
  });
  assert.deepEqual(
    [...first.items, ...second.items, ...third.items].map((p) => p.metadata?.name),
    ['p0', 'p1', 'p2', 'p3', 'p4'],
  );
  assert.equal(third.metadata?._continue, undefined);
  assert.deepEqual(
    (await core.listPodForAllNamespaces({ labelSelector: 'app=odd' })).items.map((p) => p.metadata?.name),
    ['p1', 'p3'],
  );
  assert.deepEqual(
    (await core.listPodForAllNamespaces({ fieldSelector: 'spec.nodeName=node-b' })).items.map(
      (p) => p.metadata?.name,
    ),
    ['p3', 'p4'],
  );
  server.create('pods', pod('p5'));
  // As a list served from etcd: test/real/api-conformance.test.ts has the watch cache's way.
  server.compact({ continueTokens: true });
  await assert.rejects(
    core.listPodForAllNamespaces({ limit: 2, _continue: first.metadata?._continue as string }),
    (e: { code?: number }) => e.code === 410,
  );
});

test('watch streams events after a resourceVersion, follows selectors, sends bookmarks and 410s', async (t) => {
  const server = await TestApiServer.start({ bookmarkIntervalMs: 100 });
  t.after(() => server.stop());
  server.create('pods', pod('a', { app: 'web' }));
  const from = server.resourceVersion;
  server.create('pods', pod('b', { app: 'web' }));
  const kc = await client(server);
  const events: string[] = [];
  const ended = new Promise<unknown>((resolve) => {
    void new Watch(kc).watch(
      '/api/v1/pods',
      { resourceVersion: String(from), labelSelector: 'app=web', allowWatchBookmarks: true },
      (type, object) => events.push(type === 'BOOKMARK' ? 'BOOKMARK' : `${type} ${object.metadata.name}`),
      resolve,
    );
  });
  await new Promise((resolve) => setTimeout(resolve, 150));
  server.update('pods', pod('a', { app: 'web' }, 'node-b'));
  server.update('pods', pod('b', { app: 'db' }));
  server.remove('pods', 'default', 'a');
  await new Promise((resolve) => setTimeout(resolve, 250));
  assert.deepEqual(
    events.filter((e) => e !== 'BOOKMARK'),
    ['ADDED b', 'MODIFIED a', 'DELETED b', 'DELETED a'],
  );
  assert.ok(events.includes('BOOKMARK'));
  server.dropWatches();
  assert.equal(await ended, null);

  server.compact();
  const expired = await new Promise<{ type: string; code: number }>((resolve) => {
    void new Watch(kc).watch(
      '/api/v1/pods',
      { resourceVersion: String(from) },
      (type, object) => resolve({ type, code: object.code }),
      () => {},
    );
  });
  assert.deepEqual(expired, { type: 'ERROR', code: 410 });
});

test('injected faults, Retry-After, and a restart on the same port', async (t) => {
  const server = await TestApiServer.start();
  t.after(() => server.stop());
  const core = (await client(server)).makeApiClient(CoreV1Api);
  server.fail({ count: 1, status: 429, retryAfterSeconds: 2 });
  await assert.rejects(
    core.listNode(),
    (e: { code?: number; headers?: Record<string, string> }) =>
      e.code === 429 && e.headers?.['retry-after'] === '2',
  );
  assert.equal((await core.listNode()).items.length, 0);
  const url = server.url;
  await server.restart({ compact: true, downMs: 50 });
  assert.equal(server.url, url);
  assert.equal((await core.listNode()).items.length, 0);
});

test('kubectl talks to it: discovery, get with selectors, JSON output', async (t) => {
  const server = await TestApiServer.start();
  t.after(() => server.stop());
  server.create('pods', pod('web-1', { app: 'web' }));
  server.create('pods', pod('db-1', { app: 'db' }));
  // Asynchronously: this process serves the API, so a synchronous child would block it.
  const kubectl = async (...args: string[]) =>
    (
      await promisify(execFile)('kubectl', ['--kubeconfig', server.kubeconfigPath, ...args], {
        env: { ...process.env, HOME: '/tmp' },
      })
    ).stdout;
  const list = JSON.parse(await kubectl('get', 'pods', '-A', '-l', 'app=web', '-o', 'json')) as {
    items: { metadata: { name: string } }[];
  };
  assert.deepEqual(
    list.items.map((p) => p.metadata.name),
    ['web-1'],
  );
  const names = await kubectl('get', 'nodes,pods', '-A', '-o', 'name');
  assert.deepEqual(names.trim().split('\n').sort(), ['pod/db-1', 'pod/web-1']);
});
