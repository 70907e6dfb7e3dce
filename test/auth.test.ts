/**
 * Bearer-token auth on /metrics through a real TokenReview and SubjectAccessReview round trip
 * against the test API server.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { App } from '../lib/app.js';
import { REVIEW_TIMEOUT_MS } from '../lib/server/auth.js';
import { harnessLogs } from './support/app.js';
import { get } from './support/http.js';
import { TestApiServer } from './support/kube/api-server.js';
import { TcpProxy } from './support/tcp-proxy.js';

const fixtureProc = fileURLToPath(new URL('../instruments/zombie/testdata/proc', import.meta.url));

/** An app with /metrics auth on, reaching the API through `kubeconfig`; stopped with the test. */
async function authApp(
  t: { after(fn: () => Promise<void>): void },
  server: TestApiServer,
  kubeconfig = server.kubeconfigPath,
) {
  const logs = harnessLogs();
  const app = await App.start({
    env: { KUBECONFIG: kubeconfig, SERVER_ADDRESS: '127.0.0.1:0', SERVER_AUTH_ENABLED: 'true' },
    logs,
  });
  t.after(async () => {
    await app.stop();
    await server.stop();
  });
  return { url: `http://127.0.0.1:${app.server.address().port}/metrics`, logs };
}

test('401 without or with a bad token, 403 when not allowed, 200 when allowed; /health stays open', async (t) => {
  const server = await TestApiServer.start();
  server.tokens.set('prometheus-token', {
    username: 'system:serviceaccount:monitoring:prometheus',
    groups: ['system:serviceaccounts'],
  });
  server.tokens.set('bob-token', { username: 'bob', groups: [] });
  server.nonResourceGrants.push({
    user: 'system:serviceaccount:monitoring:prometheus',
    verb: 'get',
    path: '/metrics',
  });
  const logs = harnessLogs();
  const app = await App.start({
    env: {
      KUBECONFIG: server.kubeconfigPath,
      SERVER_ADDRESS: '127.0.0.1:0',
      SERVER_AUTH_ENABLED: 'true',
      COLLECTORS_ZOMBIE_PROC_PATH: fixtureProc,
    },
    logs,
  });
  t.after(async () => {
    await app.stop();
    await server.stop();
  });
  const url = `http://127.0.0.1:${app.server.address().port}`;
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  const none = await get(`${url}/metrics`);
  assert.equal(none.status, 401);
  assert.match(String(none.headers['www-authenticate']), /^Bearer/);
  assert.equal((await get(`${url}/metrics`, bearer('forged'))).status, 401);
  assert.equal((await get(`${url}/metrics`, bearer('bob-token'))).status, 403);
  const allowed = await get(`${url}/metrics`, bearer('prometheus-token'));
  assert.equal(allowed.status, 200);
  assert.match(allowed.body, /^sealos_zombie_processes\{/m);
  assert.equal((await get(`${url}/health`)).status, 200);

  // Decisions are cached: repeated scrapes cost no further reviews.
  const reviews = () => server.requests.filter((r) => r.includes('tokenreviews')).length;
  const before = reviews();
  for (let i = 0; i < 5; i++)
    assert.equal((await get(`${url}/metrics`, bearer('prometheus-token'))).status, 200);
  assert.equal(reviews(), before);
  // Tokens never reach the logs.
  assert.ok(!logs.lines.join('').includes('prometheus-token') && !logs.lines.join('').includes('bob-token'));
});

test('an API that cannot review tokens answers 503, not a wrong 401/403', async (t) => {
  const server = await TestApiServer.start();
  const { url } = await authApp(t, server);
  server.fail({ count: 1, status: 500, match: (_m, path) => path.includes('tokenreviews') });
  const response = await get(url, { authorization: 'Bearer x' });
  assert.equal(response.status, 503);
});

test('auth without a cluster is a clear start error', async () => {
  await assert.rejects(
    App.start({ env: { SERVER_ADDRESS: '127.0.0.1:0', SERVER_AUTH_ENABLED: 'true' }, logs: harnessLogs() }),
    /server\.auth\.enabled: bearer-token auth checks tokens with the Kubernetes API, and no cluster is configured/,
  );
});

test('malformed Authorization headers and expired tokens are 401; malformed ones cost no review', async (t) => {
  const server = await TestApiServer.start();
  server.tokens.set('prometheus-token', { username: 'prometheus', groups: [] });
  server.nonResourceGrants.push({ user: 'prometheus', verb: 'get', path: '/metrics' });
  server.expiredTokens.add('expired-token');
  const { url } = await authApp(t, server);
  const reviews = () => server.requests.filter((r) => r.includes('tokenreviews')).length;
  for (const authorization of [
    'Basic cHJvbWV0aGV1czpwdw==',
    'Bearer',
    'Bearer   ',
    'Bearer prometheus-token extra',
    'Token prometheus-token',
    'Bearerprometheus-token',
  ]) {
    const response = await get(url, { authorization });
    assert.equal(response.status, 401, authorization);
    assert.match(String(response.headers['www-authenticate']), /^Bearer/, authorization);
  }
  assert.equal(reviews(), 0, 'a malformed header was sent for review');
  assert.equal((await get(url, { authorization: 'Bearer expired-token' })).status, 401);
  // The scheme is case-insensitive (RFC 7235).
  assert.equal((await get(url, { authorization: 'bearer prometheus-token' })).status, 200);
});

test('a TokenReview that never answers: new tokens get 503 within the review timeout, never 200', {
  timeout: 30_000,
}, async (t) => {
  const server = await TestApiServer.start();
  server.tokens.set('prometheus-token', { username: 'prometheus', groups: [] });
  server.tokens.set('bob-token', { username: 'bob', groups: [] });
  server.tokens.set('new-token', { username: 'prometheus', groups: [] });
  server.nonResourceGrants.push({ user: 'prometheus', verb: 'get', path: '/metrics' });
  const proxy = await TcpProxy.start({ host: '127.0.0.1', port: Number(new URL(server.url).port) });
  t.after(() => proxy.stop());
  const kubeconfig = await server.writeKubeconfig({
    path: `${server.kubeconfigPath}-proxy`,
    viaPort: proxy.port,
  });
  const { url, logs } = await authApp(t, server, kubeconfig);
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  assert.equal((await get(url, bearer('prometheus-token'))).status, 200);
  assert.equal((await get(url, bearer('bob-token'))).status, 403);

  proxy.cut();
  const started = performance.now();
  const refused = await get(url, bearer('new-token'));
  const tookMs = performance.now() - started;
  assert.equal(refused.status, 503);
  assert.ok(
    tookMs >= REVIEW_TIMEOUT_MS - 100 && tookMs < REVIEW_TIMEOUT_MS + 1500,
    `answered after ${tookMs} ms`,
  );
  assert.match(refused.body, /no answer from the API server/);
  // Decisions made before the outage stand until they lapse (60 s allowed, 10 s denied); a denied
  // token is never let in for want of an answer.
  assert.equal((await get(url, bearer('bob-token'))).status, 403);
  assert.equal((await get(url, bearer('prometheus-token'))).status, 200);
  assert.ok(logs.lines.some((line) => line.includes('"status":503') && line.includes('"level":"warn"')));
});
