import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { TestApiServer } from '../../test/support/kube/api-server.js';
import { type KubeApiError, KubeClient, loadKubeConfig } from './client.js';

test('the cluster comes from kubernetes.kubeconfig, else KUBECONFIG, else none', async (t) => {
  const server = await TestApiServer.start();
  t.after(() => server.stop());
  assert.equal(loadKubeConfig(server.kubeconfigPath, {})?.source, server.kubeconfigPath);
  assert.equal(
    loadKubeConfig('', { KUBECONFIG: `${server.kubeconfigPath}:/other` })?.source,
    server.kubeconfigPath,
  );
  assert.equal(loadKubeConfig('', {}), undefined);
  assert.equal(loadKubeConfig('', { HOME: '/nonexistent-home' }), undefined);
  const home = await mkdtemp(join(tmpdir(), 'ssm-home-'));
  await mkdir(join(home, '.kube'));
  await copyFile(server.kubeconfigPath, join(home, '.kube', 'config'));
  assert.equal(loadKubeConfig('', { HOME: home })?.source, join(home, '.kube', 'config'));
  assert.throws(
    () => loadKubeConfig('/nonexistent/kubeconfig', {}),
    /^Error: kubernetes\.kubeconfig "\/nonexistent\/kubeconfig": cannot load/,
  );
  const empty = `${server.kubeconfigPath}.empty`;
  await writeFile(empty, 'apiVersion: v1\nkind: Config\n');
  assert.throws(() => loadKubeConfig('', { KUBECONFIG: empty }), /KUBECONFIG ".*": no current cluster/);
});

test('requests carry the kubeconfig credentials; API errors keep code, reason and Retry-After', async (t) => {
  const server = await TestApiServer.start();
  t.after(() => server.stop());
  server.create('nodes', { metadata: { name: 'n1' } });
  const client = new KubeClient(loadKubeConfig(server.kubeconfigPath, {})?.config as never, {
    qps: 100,
    burst: 10,
  });
  const nodes = await client.request<{ items: { metadata: { name: string } }[] }>('GET', '/api/v1/nodes');
  assert.deepEqual(
    nodes.items.map((n) => n.metadata.name),
    ['n1'],
  );
  await assert.rejects(
    client.request('GET', '/api/v1/namespaces/default/pods/missing'),
    (error: KubeApiError) => {
      assert.equal(error.code, 404);
      assert.equal(error.reason, 'NotFound');
      return true;
    },
  );
  server.fail({ count: 1, status: 429, retryAfterSeconds: 3 });
  await assert.rejects(
    client.request('GET', '/api/v1/nodes'),
    (error: KubeApiError) => error.code === 429 && error.retryAfterSeconds === 3,
  );
});

test('the client-side rate limit spaces requests past the burst', async (t) => {
  const server = await TestApiServer.start();
  t.after(() => server.stop());
  const client = new KubeClient(loadKubeConfig(server.kubeconfigPath, {})?.config as never, {
    qps: 20,
    burst: 2,
  });
  const started = performance.now();
  await Promise.all(Array.from({ length: 6 }, () => client.request('GET', '/api/v1/nodes')));
  // 2 from the burst, then 4 more at 20/s: at least ~200 ms.
  assert.ok(performance.now() - started >= 180, `${performance.now() - started} ms`);
});

test('a request with no answer is cut at the request timeout; a silent watch ends as idle', async (t) => {
  const server = await TestApiServer.start({ bookmarkIntervalMs: 60_000 });
  t.after(() => server.stop());
  const client = new KubeClient(loadKubeConfig(server.kubeconfigPath, {})?.config as never, {
    qps: 100,
    burst: 10,
    requestTimeoutMs: 300,
    watchIdleMs: 400,
  });
  server.delayLists(5000);
  const started = Date.now();
  await assert.rejects(
    client.request('GET', '/api/v1/nodes'),
    /^Error: GET \/api\/v1\/nodes: no answer from the API server within 300 ms$/,
  );
  const cutAfter = Date.now() - started;
  assert.ok(cutAfter >= 290 && cutAfter < 1500, `cut after ${cutAfter} ms`);
  // The caller's own abort is not reported as a timeout.
  const mine = new AbortController();
  const pending = client.request('GET', '/api/v1/nodes', { signal: mine.signal });
  mine.abort();
  await assert.rejects(pending, (error: Error) => !/no answer/.test(error.message));
  server.delayLists(0);

  const events: string[] = [];
  const watchStarted = Date.now();
  const outcome = await client.watch(
    '/api/v1/nodes',
    { resourceVersion: String(server.resourceVersion) },
    (event) => events.push(event.type),
    new AbortController().signal,
  );
  assert.equal(outcome, 'idle');
  assert.ok(Date.now() - watchStarted >= 390, 'ended before the idle limit');
  // Events keep a watch alive past the idle limit.
  const busyStarted = Date.now();
  const busy = client.watch(
    '/api/v1/nodes',
    { resourceVersion: String(server.resourceVersion) },
    (event) => events.push(event.type),
    new AbortController().signal,
  );
  for (let i = 0; i < 6; i++) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    server.create('nodes', { metadata: { name: `n${i}` } });
  }
  assert.equal(await busy, 'idle');
  assert.equal(events.filter((type) => type === 'ADDED').length, 6);
  const busyFor = Date.now() - busyStarted;
  assert.ok(busyFor >= 1200 + 390, `a watch with an event every 200 ms lasted only ${busyFor} ms`);
});
