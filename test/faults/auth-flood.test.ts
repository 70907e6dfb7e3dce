/**
 * The auth flood (hostile input, defect 1): a few hundred clients from a hundred addresses send
 * made-up bearer tokens for 30 s to the leader while a second instance stands by. The leader must
 * keep its Lease, its series must never gap, a scraper already let in must always get 200, and
 * the reviews that reach the API server must stay within the review budget.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { test } from 'node:test';
import { App } from '../../lib/app.js';
import { REVIEWS_PER_SECOND } from '../../lib/server/auth.js';
import { harnessLogs } from '../support/app.js';
import { get } from '../support/http.js';
import { TestApiServer } from '../support/kube/api-server.js';
import { readyNode } from '../support/kube/cluster.js';

const FLOOD_MS = 30_000;
const ADDRESSES = 100;
const CLIENTS_PER_ADDRESS = 3;

/** One request from `localAddress`; resolves its status (0 when the connection failed). */
function scrapeFrom(port: number, localAddress: string, token: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/metrics',
        localAddress,
        agent: false,
        headers: { authorization: `Bearer ${token}` },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', () => resolve(0));
      },
    );
    req.on('error', () => resolve(0));
    req.end();
  });
}

/** `prometheus-token` names Prometheus' service account, which may get /metrics. */
function allowPrometheus(server: TestApiServer): void {
  const username = 'system:serviceaccount:monitoring:prometheus';
  server.tokens.set('prometheus-token', { username, groups: [] });
  server.nonResourceGrants.push({ user: username, verb: 'get', path: '/metrics' });
}

async function instance(server: TestApiServer, identity: string) {
  const app = await App.start({
    env: {
      KUBECONFIG: server.kubeconfigPath,
      SERVER_ADDRESS: '127.0.0.1:0',
      SERVER_AUTH_ENABLED: 'true',
      ENABLED_COLLECTORS: 'node',
      IDENTITY: identity,
      LEADER_ELECTION_NAMESPACE: 'monitoring',
      LEADER_ELECTION_LEASE_DURATION: '3s',
      LEADER_ELECTION_RENEW_DEADLINE: '2s',
      LEADER_ELECTION_RETRY_PERIOD: '500ms',
      COLLECTORS_NODE_IGNORE_NEW_NODE_DURATION: '0s',
      // The API client's own limit, as small as a busy cluster's share: reviews must not take it.
      KUBERNETES_QPS: '5',
      KUBERNETES_BURST: '10',
    },
    logs: harnessLogs(),
  });
  return app;
}

test('an auth flood of made-up tokens takes no Lease, no series and no good scraper away', async (t) => {
  const server = await TestApiServer.start();
  server.create('nodes', readyNode('node-a'));
  allowPrometheus(server);
  const leader = await instance(server, 'instance-a');
  t.after(async () => {
    await leader.stop();
    await server.stop();
  });
  const leaderPort = leader.server.address().port;
  const good = () =>
    get(`http://127.0.0.1:${leaderPort}/metrics`, { authorization: 'Bearer prometheus-token' });
  // The leader leads and is scraped before the second instance starts.
  for (let i = 0; i < 50; i += 1) {
    const first = await good();
    if (first.status === 200 && first.body.includes('sealos_node_healthy{node="node-a"} 1')) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const follower = await instance(server, 'instance-b');
  t.after(() => follower.stop());
  const lease = () => server.get('leases', 'monitoring', 'sealos-state-metric-node', 'coordination.k8s.io');
  assert.equal((lease()?.spec as { holderIdentity?: string })?.holderIdentity, 'instance-a');

  const reviews = () => server.requests.filter((r) => r.includes('tokenreviews')).length;
  const reviewsBefore = reviews();
  const until = Date.now() + FLOOD_MS;
  const statuses = new Map<number, number>();
  const flooders = Array.from({ length: ADDRESSES * CLIENTS_PER_ADDRESS }, async (_, i) => {
    const address = `127.0.0.${2 + (i % ADDRESSES)}`;
    while (Date.now() < until) {
      const status = await scrapeFrom(leaderPort, address, randomBytes(12).toString('hex'));
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
    }
  });
  const goodStatuses: number[] = [];
  let gaps = 0;
  const watcher = (async () => {
    while (Date.now() < until) {
      const response = await good();
      goodStatuses.push(response.status);
      if (!response.body.includes('sealos_node_healthy{node="node-a"} 1')) gaps += 1;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  })();
  await Promise.all([...flooders, watcher]);

  const spec = lease()?.spec as { holderIdentity?: string; leaseTransitions?: number };
  const reviewed = reviews() - reviewsBefore;
  const seconds = FLOOD_MS / 1000;
  const summary = `statuses ${JSON.stringify(Object.fromEntries(statuses))}, ${reviewed} reviews in ${seconds} s, good scrapes ${goodStatuses.length}`;
  t.diagnostic(summary);
  assert.equal(spec?.holderIdentity, 'instance-a', `the leader kept its Lease: ${summary}`);
  assert.equal(spec?.leaseTransitions ?? 0, 0, 'the Lease never changed hands');
  assert.ok(goodStatuses.length >= 20, summary);
  assert.deepEqual([...new Set(goodStatuses)], [200], `the good scraper always got 200: ${summary}`);
  assert.equal(gaps, 0, 'the node series never gapped');
  // The review budget, with its burst: what arrives beyond it is refused without a review.
  assert.ok(reviewed <= REVIEWS_PER_SECOND * (seconds + 1) + 20, `reviews within budget: ${summary}`);
  assert.ok((statuses.get(429) ?? 0) + (statuses.get(503) ?? 0) > 0, summary);
});

test('concurrent scrapes with one new token wait for one review', async (t) => {
  const server = await TestApiServer.start();
  allowPrometheus(server);
  const app = await App.start({
    env: { KUBECONFIG: server.kubeconfigPath, SERVER_ADDRESS: '127.0.0.1:0', SERVER_AUTH_ENABLED: 'true' },
    logs: harnessLogs(),
  });
  t.after(async () => {
    await app.stop();
    await server.stop();
  });
  const url = `http://127.0.0.1:${app.server.address().port}/metrics`;
  const statuses = await Promise.all(
    Array.from({ length: 50 }, () =>
      get(url, { authorization: 'Bearer prometheus-token' }).then((r) => r.status),
    ),
  );
  assert.deepEqual([...new Set(statuses)], [200]);
  assert.equal(server.requests.filter((r) => r.includes('tokenreviews')).length, 1);
  assert.equal(server.requests.filter((r) => r.includes('subjectaccessreviews')).length, 1);
});
