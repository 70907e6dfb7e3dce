import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { createSecureServer } from 'node:http2';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { localhostPair } from '../../test/support/certificates.js';
import { TestApiServer } from '../../test/support/kube/api-server.js';
import { tokenKubeconfig } from '../../test/support/kube/kubeconfig.js';
import { type KubeApiError, KubeClient } from './client.js';
import { type ClusterConnection, connectCluster, inClusterConnection } from './connection.js';

/** Both ways to the API server: undici through a kubeconfig, node's https in a pod. */
const CONNECTIONS: Record<string, (server: TestApiServer) => Promise<ClusterConnection>> = {
  kubeconfig: async (server) => (await connectCluster(server.kubeconfigPath, {})) as ClusterConnection,
  'in-cluster': async (server) => {
    const dir = await mkdtemp(join(tmpdir(), 'ssm-sa-'));
    return inClusterConnection(await server.writeServiceAccount(dir), { serviceAccountDir: dir });
  },
};

test('the cluster comes from kubernetes.kubeconfig, else KUBECONFIG, else in-cluster, else ~/.kube/config', async (t) => {
  const server = await TestApiServer.start();
  t.after(() => server.stop());
  assert.equal((await connectCluster(server.kubeconfigPath, {}))?.source, server.kubeconfigPath);
  assert.equal(
    (await connectCluster('', { KUBECONFIG: `${server.kubeconfigPath}:/other` }))?.source,
    server.kubeconfigPath,
  );
  assert.equal(await connectCluster('', {}), undefined);
  assert.equal(await connectCluster('', { HOME: '/nonexistent-home' }), undefined);
  const home = await mkdtemp(join(tmpdir(), 'ssm-home-'));
  await mkdir(join(home, '.kube'));
  await copyFile(server.kubeconfigPath, join(home, '.kube', 'config'));
  assert.equal((await connectCluster('', { HOME: home }))?.source, join(home, '.kube', 'config'));
  const serviceAccountDir = join(home, 'serviceaccount');
  const podEnv = await server.writeServiceAccount(serviceAccountDir);
  const inCluster = await connectCluster('', { ...podEnv, HOME: home }, { serviceAccountDir });
  assert.equal(inCluster?.source, 'in-cluster service account');
  assert.equal(inCluster?.server, server.url);
  // Without the pod's environment the token is not looked at.
  assert.equal(
    (await connectCluster('', { HOME: home }, { serviceAccountDir }))?.source,
    join(home, '.kube', 'config'),
  );
  await assert.rejects(
    connectCluster('/nonexistent/kubeconfig', {}),
    /^Error: kubernetes\.kubeconfig "\/nonexistent\/kubeconfig": cannot load/,
  );
  const empty = `${server.kubeconfigPath}.empty`;
  await writeFile(empty, 'apiVersion: v1\nkind: Config\n');
  await assert.rejects(connectCluster('', { KUBECONFIG: empty }), /KUBECONFIG ".*": no current cluster/);
});

test('in-cluster: requests carry the service-account token, read again as the kubelet rotates it', async (t) => {
  const server = await TestApiServer.start();
  t.after(() => server.stop());
  const dir = await mkdtemp(join(tmpdir(), 'ssm-sa-'));
  const env = await server.writeServiceAccount(dir);
  let now = 0;
  const connection = inClusterConnection(env, {
    serviceAccountDir: dir,
    tokenRereadMs: 60_000,
    now: () => now,
  });
  const client = new KubeClient(connection, { qps: 100, burst: 10 });
  server.create('nodes', { metadata: { name: 'n1' } });
  assert.equal((await client.request<{ items: unknown[] }>('GET', '/api/v1/nodes')).items.length, 1);

  // The kubelet writes a new token; until the re-read period passes the one in hand is used.
  await writeFile(join(dir, 'token'), 'rotated-but-refused');
  now = 59_000;
  await client.request('GET', '/api/v1/nodes');
  now = 60_000;
  await assert.rejects(client.request('GET', '/api/v1/nodes'), (error: KubeApiError) => error.code === 401);
  // A 401 makes the next request read the file at once, whatever the period.
  await writeFile(join(dir, 'token'), 'test-admin-token');
  assert.equal((await client.request<{ items: unknown[] }>('GET', '/api/v1/nodes')).items.length, 1);
});

test('in-cluster: what is missing or malformed is named', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ssm-sa-'));
  const host = { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' };
  assert.throws(
    () => inClusterConnection({ KUBERNETES_SERVICE_HOST: '10.96.0.1' }, { serviceAccountDir: dir }),
    /^Error: in-cluster configuration: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must both be set$/,
  );
  assert.throws(
    () => inClusterConnection({ ...host, KUBERNETES_SERVICE_PORT: '99999' }, { serviceAccountDir: dir }),
    /KUBERNETES_SERVICE_PORT "99999" is not a port/,
  );
  assert.throws(
    () => inClusterConnection(host, { serviceAccountDir: dir }),
    new RegExp(`^Error: in-cluster token "${dir}/token": cannot read: ENOENT$`),
  );
  await writeFile(join(dir, 'token'), '\n');
  assert.throws(() => inClusterConnection(host, { serviceAccountDir: dir }), /token ".*": the file is empty/);
  await writeFile(join(dir, 'token'), 'a-token');
  assert.throws(
    () => inClusterConnection(host, { serviceAccountDir: dir }),
    new RegExp(`^Error: in-cluster CA "${dir}/ca.crt": cannot read: ENOENT$`),
  );
  await writeFile(join(dir, 'ca.crt'), 'not a certificate');
  assert.throws(
    () => inClusterConnection(host, { serviceAccountDir: dir }),
    /ca\.crt": no PEM certificate in the file$/,
  );
  await writeFile(join(dir, 'ca.crt'), '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
  assert.throws(() => inClusterConnection(host, { serviceAccountDir: dir }), /ca\.crt": certificate 1: /);
  // An IPv6 service address is bracketed, as net.JoinHostPort does.
  const server = await TestApiServer.start();
  try {
    await server.writeServiceAccount(dir);
    const v6 = inClusterConnection(
      { KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '443' },
      { serviceAccountDir: dir },
    );
    assert.equal(v6.server, 'https://[fd00::1]:443');
  } finally {
    await server.stop();
  }
});

for (const [via, connect] of Object.entries(CONNECTIONS))
  test(`${via}: requests carry the credentials; API errors keep code, reason and Retry-After`, async (t) => {
    const server = await TestApiServer.start();
    t.after(() => server.stop());
    server.create('nodes', { metadata: { name: 'n1' } });
    const client = new KubeClient(await connect(server), {
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

for (const [via, connect] of Object.entries(CONNECTIONS))
  test(`${via}: sequential requests share kept-alive connections, not one each`, async (t) => {
    const server = await TestApiServer.start();
    t.after(() => server.stop());
    const client = new KubeClient(await connect(server), { qps: 1000, burst: 100 });
    const before = server.connectionsAccepted;
    for (let i = 0; i < 20; i++) await client.request('GET', '/api/v1/nodes');
    // One, or two when undici's pool dispatches the next request before it has seen the end of
    // the last answer; client-node alone opened one per request (20).
    assert.ok(server.connectionsAccepted - before <= 2, `${server.connectionsAccepted - before} connections`);
  });

test('kubeconfig: an API server offering HTTP/2 is spoken to in HTTP/1.1, as in a pod', async (t) => {
  const { cert, key } = await localhostPair('kube-apiserver');
  const versions: string[] = [];
  const server = createSecureServer({ cert, key, allowHTTP1: true }, (request, response) => {
    versions.push(request.httpVersion);
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end('{"kind":"NodeList","items":[]}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const sockets = new Set<Socket>();
  server.on('secureConnection', (socket: Socket) => sockets.add(socket));
  t.after(() => {
    for (const socket of sockets) socket.destroy();
    return new Promise((resolve) => server.close(resolve));
  });
  const dir = await mkdtemp(join(tmpdir(), 'ssm-h2-'));
  const path = join(dir, 'kubeconfig');
  const { port } = server.address() as AddressInfo;
  await writeFile(path, tokenKubeconfig({ server: `https://127.0.0.1:${port}`, ca: cert, token: 't' }));
  const client = new KubeClient((await connectCluster(path, {})) as ClusterConnection, {
    qps: 100,
    burst: 10,
  });
  await client.request('GET', '/api/v1/nodes');
  await client.request('GET', '/api/v1/nodes');
  assert.deepEqual(versions, ['1.1', '1.1']);
});

test('the client-side rate limit spaces requests past the burst', async (t) => {
  const server = await TestApiServer.start();
  t.after(() => server.stop());
  const client = new KubeClient((await connectCluster(server.kubeconfigPath, {})) as never, {
    qps: 20,
    burst: 2,
  });
  const started = performance.now();
  await Promise.all(Array.from({ length: 6 }, () => client.request('GET', '/api/v1/nodes')));
  // 2 from the burst, then 4 more at 20/s: at least ~200 ms.
  assert.ok(performance.now() - started >= 180, `${performance.now() - started} ms`);
});

for (const [via, connect] of Object.entries(CONNECTIONS))
  test(`${via}: a request with no answer is cut at the request timeout; a silent watch ends as idle`, async (t) => {
    const server = await TestApiServer.start({ bookmarkIntervalMs: 60_000 });
    t.after(() => server.stop());
    const client = new KubeClient(await connect(server), {
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

for (const [via, connect] of Object.entries(CONNECTIONS))
  test(`${via}: a list past 128 KiB comes gzipped, as kube-apiserver sends it, and arrives whole`, async (t) => {
    const server = await TestApiServer.start();
    t.after(() => server.stop());
    const padding = 'x'.repeat(300);
    for (let i = 0; i < 800; i++)
      server.create('nodes', { metadata: { name: `node-${i}`, labels: { padding } } });
    const client = new KubeClient(await connect(server), { qps: 100, burst: 10 });
    const nodes = await client.request<{
      items: { metadata: { name: string; labels: Record<string, string> } }[];
    }>('GET', '/api/v1/nodes');
    assert.equal(server.gzippedAnswers, 1);
    assert.equal(nodes.items.length, 800);
    assert.deepEqual(
      nodes.items.map((node) => node.metadata.name).sort(),
      Array.from({ length: 800 }, (_, i) => `node-${i}`).sort(),
    );
    assert.ok(nodes.items.every((node) => node.metadata.labels.padding === padding));
    // A small answer is sent as is.
    await client.request('GET', '/api/v1/nodes/node-1');
    assert.equal(server.gzippedAnswers, 1);
  });
