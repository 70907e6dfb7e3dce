/**
 * The fake kept honest: the scenarios our test API server (test/support/kube/api-server.ts) is
 * used for, run as one suite against it and against a real kube-apiserver (test/peers), through
 * the API only, with @kubernetes/client-node as our code uses it. What the real server does is
 * the reference: where the two differ, the fake is fixed. The fake's fault injection (which the
 * real server cannot be made to do) stays in test/support/kube/api-server.test.ts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CoordinationV1Api, CoreV1Api, CustomObjectsApi, KubeConfig, Watch } from '@kubernetes/client-node';
import { KUBEBLOCKS_CLUSTERS, type ResourceType, TestApiServer } from '../support/kube/api-server.js';
import { RealCluster } from '../support/kube/real-cluster.js';

interface Backend {
  readonly name: string;
  readonly kubeconfigPath: string;
  /** Makes what the real cluster's controllers would: the namespace and its default ServiceAccount. */
  namespace(name: string): Promise<void>;
  /** Serves a custom resource type (a CRD on the real server). */
  serve(type: ResourceType): Promise<void>;
  /** Compacts etcd's history up to now. */
  compact(): Promise<void>;
  /**
   * Makes watches from before now answer 410. kube-apiserver serves watches from its watch cache,
   * which keeps its history through an etcd compaction: only a cache started afresh (an API
   * server restart) has none. Our fake, like an etcd-served watch, needs only the compaction.
   */
  expireWatchHistory(): Promise<void>;
  stop(): Promise<void>;
}

async function fakeBackend(): Promise<Backend> {
  // Bookmarks as often as the real server sends them to a watch near its timeout.
  const server = await TestApiServer.start({ bookmarkIntervalMs: 1000 });
  return {
    name: 'test API server',
    kubeconfigPath: server.kubeconfigPath,
    namespace: async () => {},
    serve: async (type) => server.registerType(type),
    compact: async () => server.compact(),
    expireWatchHistory: async () => server.compact(),
    stop: () => server.stop(),
  };
}

async function realBackend(): Promise<Backend> {
  const cluster = await RealCluster.start();
  return {
    name: 'kube-apiserver',
    kubeconfigPath: cluster.kubeconfigPath,
    namespace: (name) => cluster.namespace(name),
    serve: (type) => cluster.serveCustomResource(type),
    compact: async () => {
      await cluster.compact();
    },
    expireWatchHistory: async () => {
      await cluster.compact();
      await cluster.restartApiServer();
    },
    stop: () => cluster.stop(),
  };
}

function client(kubeconfigPath: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  return kc;
}

function pod(name: string, labels: Record<string, string> = {}, nodeName = 'node-a') {
  return {
    metadata: { name, labels },
    spec: { nodeName, containers: [{ name: 'c', image: 'busybox' }] },
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What statusOf() gives for a Status about one object. */
function failure(code: number, reason: string, name: string, kind: string) {
  return { code, kind: 'Status', status: 'Failure', reason, statusCode: code, details: { name, kind } };
}

/** The part of an error's Status body a client acts on. */
function statusOf(error: unknown) {
  const { code, body } = error as { code?: number; body?: string };
  const status = JSON.parse(body ?? '{}');
  return {
    code,
    kind: status.kind,
    status: status.status,
    reason: status.reason,
    statusCode: status.code,
    details: status.details ? { name: status.details.name, kind: status.details.kind } : undefined,
  };
}

for (const start of [fakeBackend, realBackend]) {
  describe(start === fakeBackend ? 'test API server' : 'kube-apiserver', () => {
    let backend: Backend;
    let core: CoreV1Api;
    before(async () => {
      backend = await start();
      core = client(backend.kubeconfigPath).makeApiClient(CoreV1Api);
    });
    after(() => backend?.stop());

    test('pagination with limit and continue, label and field selectors; a continue token outlives compaction', async () => {
      const namespace = 'paging';
      await backend.namespace(namespace);
      for (let i = 0; i < 5; i++) {
        await core.createNamespacedPod({
          namespace,
          body: pod(`p${i}`, { app: i % 2 ? 'odd' : 'even' }, i < 3 ? 'node-a' : 'node-b'),
        });
      }
      const first = await core.listNamespacedPod({ namespace, limit: 2 });
      assert.equal(first.items.length, 2);
      assert.equal(first.metadata?.remainingItemCount, 3);
      const second = await core.listNamespacedPod({
        namespace,
        limit: 2,
        _continue: first.metadata?._continue,
      });
      const third = await core.listNamespacedPod({
        namespace,
        limit: 2,
        _continue: second.metadata?._continue,
      });
      assert.deepEqual(
        [...first.items, ...second.items, ...third.items].map((p) => p.metadata?.name),
        ['p0', 'p1', 'p2', 'p3', 'p4'],
      );
      assert.equal(third.metadata?._continue, undefined);
      assert.equal(third.metadata?.remainingItemCount, undefined);
      const names = (list: { items: { metadata?: { name?: string } }[] }) =>
        list.items.map((p) => p.metadata?.name);
      assert.deepEqual(names(await core.listNamespacedPod({ namespace, labelSelector: 'app=odd' })), [
        'p1',
        'p3',
      ]);
      assert.deepEqual(names(await core.listNamespacedPod({ namespace, labelSelector: 'app!=odd,app' })), [
        'p0',
        'p2',
        'p4',
      ]);
      assert.deepEqual(
        names(await core.listNamespacedPod({ namespace, fieldSelector: 'spec.nodeName=node-b' })),
        ['p3', 'p4'],
      );
      // Selectors apply before the page is cut: a page of one still finds both.
      const odd = await core.listNamespacedPod({ namespace, labelSelector: 'app=odd', limit: 1 });
      assert.deepEqual(names(odd), ['p1']);
      assert.ok(odd.metadata?._continue);

      // kube-apiserver serves continued lists from its watch cache's snapshots: a token stays
      // good after etcd compacts the history it was cut from (an etcd-served list would 410).
      await core.createNamespacedPod({ namespace, body: pod('p5') });
      await backend.compact();
      const later = await core.listNamespacedPod({
        namespace,
        limit: 2,
        _continue: first.metadata?._continue,
      });
      assert.deepEqual(names(later), ['p2', 'p3']);
    });

    test('deleting a pod on a node marks it until its kubelet confirms; a zero grace period removes it', async () => {
      const namespace = 'deleting';
      await backend.namespace(namespace);
      await core.createNamespacedPod({ namespace, body: pod('running') });
      await core.createNamespacedPod({
        namespace,
        body: { metadata: { name: 'unscheduled' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } },
      });
      await core.deleteNamespacedPod({ namespace, name: 'running' });
      const marked = await core.readNamespacedPod({ namespace, name: 'running' });
      assert.ok(marked.metadata?.deletionTimestamp, 'still there, marked for deletion');
      assert.equal(marked.metadata?.deletionGracePeriodSeconds, 30);
      await core.deleteNamespacedPod({ namespace, name: 'running', gracePeriodSeconds: 0 });
      await core.deleteNamespacedPod({ namespace, name: 'unscheduled' });
      assert.deepEqual((await core.listNamespacedPod({ namespace })).items, []);
    });

    test('watch from a resourceVersion follows a label selector, sends bookmarks, and 410s once its history is gone', async () => {
      const namespace = 'watching';
      await backend.namespace(namespace);
      await core.createNamespacedPod({ namespace, body: pod('a', { app: 'web' }) });
      const from = (await core.listNamespacedPod({ namespace })).metadata?.resourceVersion as string;
      await core.createNamespacedPod({ namespace, body: pod('b', { app: 'web' }) });
      const events: string[] = [];
      let bookmarkVersion = '';
      const watch = await new Watch(client(backend.kubeconfigPath)).watch(
        `/api/v1/namespaces/${namespace}/pods`,
        // A short timeout makes the real server send its bookmark before it ends the watch.
        { resourceVersion: from, labelSelector: 'app=web', allowWatchBookmarks: true, timeoutSeconds: 5 },
        (type, object) => {
          if (type === 'BOOKMARK') bookmarkVersion = object.metadata.resourceVersion;
          else events.push(`${type} ${object.metadata.name}`);
        },
        () => {},
      );
      await sleep(200);
      const a = await core.readNamespacedPod({ namespace, name: 'a' });
      await core.replaceNamespacedPod({
        namespace,
        name: 'a',
        body: { ...a, metadata: { ...a.metadata, labels: { app: 'web', tier: 'front' } } },
      });
      const b = await core.readNamespacedPod({ namespace, name: 'b' });
      // Leaving the selector is a DELETED event for this watch.
      await core.replaceNamespacedPod({
        namespace,
        name: 'b',
        body: { ...b, metadata: { ...b.metadata, labels: { app: 'db' } } },
      });
      await core.deleteNamespacedPod({ namespace, name: 'a', gracePeriodSeconds: 0 });
      for (let i = 0; i < 60 && !bookmarkVersion; i++) await sleep(100);
      watch.abort();
      // Deletion marks the pod (MODIFIED) before it goes, even with a zero grace period.
      assert.deepEqual(events, ['ADDED b', 'MODIFIED a', 'DELETED b', 'MODIFIED a', 'DELETED a']);
      assert.ok(/^\d+$/.test(bookmarkVersion), `a bookmark with a resourceVersion (${bookmarkVersion})`);

      await backend.expireWatchHistory();
      const expired = await new Promise<{ type: string; code: number; reason: string }>((resolve) => {
        void new Watch(client(backend.kubeconfigPath)).watch(
          `/api/v1/namespaces/${namespace}/pods`,
          { resourceVersion: from },
          (type, object) => resolve({ type, code: object.code, reason: object.reason }),
          () => {},
        );
      });
      assert.deepEqual(expired, { type: 'ERROR', code: 410, reason: 'Expired' });
    });

    test('leases: 409 Conflict on a stale resourceVersion, 409 AlreadyExists on a second create', async () => {
      await backend.namespace('monitoring');
      const leases = client(backend.kubeconfigPath).makeApiClient(CoordinationV1Api);
      const created = await leases.createNamespacedLease({
        namespace: 'monitoring',
        body: { metadata: { name: 'l' }, spec: { holderIdentity: 'a', leaseDurationSeconds: 15 } },
      });
      const updated = await leases.replaceNamespacedLease({
        name: 'l',
        namespace: 'monitoring',
        body: { ...created, spec: { ...created.spec, holderIdentity: 'b' } },
      });
      assert.equal(updated.spec?.holderIdentity, 'b');
      assert.notEqual(updated.metadata?.resourceVersion, created.metadata?.resourceVersion);
      const stale = await leases
        .replaceNamespacedLease({
          name: 'l',
          namespace: 'monitoring',
          body: { ...created, spec: { holderIdentity: 'c' } },
        })
        .catch(statusOf);
      assert.deepEqual(stale, failure(409, 'Conflict', 'l', 'leases'));
      const again = await leases
        .createNamespacedLease({ namespace: 'monitoring', body: { metadata: { name: 'l' }, spec: {} } })
        .catch(statusOf);
      assert.deepEqual(again, failure(409, 'AlreadyExists', 'l', 'leases'));
    });

    test('status codes and Status bodies: 404 for a missing object, 400 for a bad selector', async () => {
      await backend.namespace('errors');
      const missing = await core.readNamespacedPod({ namespace: 'errors', name: 'nope' }).catch(statusOf);
      assert.deepEqual(missing, failure(404, 'NotFound', 'nope', 'pods'));
      const badSelector = await core
        .listNamespacedPod({ namespace: 'errors', labelSelector: 'app in (web' })
        .then(() => assert.fail('a bad selector is refused'), statusOf);
      assert.equal(badSelector.code, 400);
      assert.equal(badSelector.reason, 'BadRequest');
    });

    test('custom resources by group/version/resource: list with kind and apiVersion, a namespaced watch', async () => {
      await backend.serve(KUBEBLOCKS_CLUSTERS);
      await backend.namespace('ns-a');
      await backend.namespace('ns-b');
      const custom = client(backend.kubeconfigPath).makeApiClient(CustomObjectsApi);
      const clusters = { group: 'apps.kubeblocks.io', version: 'v1alpha1', plural: 'clusters' };
      const cr = (name: string) => ({
        apiVersion: 'apps.kubeblocks.io/v1alpha1',
        kind: 'Cluster',
        metadata: { name },
        spec: { clusterDefinitionRef: 'postgresql' },
      });
      await custom.createNamespacedCustomObject({ ...clusters, namespace: 'ns-a', body: cr('pg-1') });
      const list = (await custom.listClusterCustomObject(clusters)) as {
        items: { metadata: { name: string }; kind: string; apiVersion: string }[];
        metadata: { resourceVersion: string };
      };
      assert.deepEqual(
        list.items.map((i) => [i.metadata.name, i.kind, i.apiVersion]),
        [['pg-1', 'Cluster', 'apps.kubeblocks.io/v1alpha1']],
      );
      const seen: string[] = [];
      const watch = await new Watch(client(backend.kubeconfigPath)).watch(
        '/apis/apps.kubeblocks.io/v1alpha1/namespaces/ns-a/clusters',
        { resourceVersion: list.metadata.resourceVersion },
        (type, object) => seen.push(`${type} ${object.metadata.name}`),
        () => {},
      );
      await custom.createNamespacedCustomObject({ ...clusters, namespace: 'ns-a', body: cr('redis-1') });
      await custom.createNamespacedCustomObject({ ...clusters, namespace: 'ns-b', body: cr('other') });
      for (let i = 0; i < 30 && seen.length === 0; i++) await sleep(100);
      await sleep(200);
      watch.abort();
      assert.deepEqual(seen, ['ADDED redis-1']);
    });
  });
}
