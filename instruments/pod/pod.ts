/**
 * pod: containers that keep restarting, from the shared Pod informer(s). The original documented
 * this collector in its example config but never built it.
 */
import {
  type ApiObject,
  defineInstrument,
  type InstrumentContext,
  type Subscription,
} from '../../lib/instrument.js';
import { type PodConfig, podConfig } from './config.js';
import { podContainerRestarts, podMetrics } from './metrics.js';
import { restartSeries } from './series.js';

const PODS = { group: '', version: 'v1', resource: 'pods' };

export interface PodRestarts {
  readonly namespace: string;
  readonly name: string;
  readonly containers: readonly { readonly name: string; readonly restarts: number }[];
}

interface ContainerStatus {
  name?: unknown;
  restartCount?: unknown;
}

/** What the pod instrument keeps of a Pod: its containers' restart counts. */
export function podRestarts(object: ApiObject): PodRestarts {
  const status = object.status as
    | { containerStatuses?: unknown; initContainerStatuses?: unknown }
    | undefined;
  const containers: { name: string; restarts: number }[] = [];
  for (const list of [status?.initContainerStatuses, status?.containerStatuses]) {
    if (!Array.isArray(list)) continue;
    for (const entry of list as ContainerStatus[]) {
      if (typeof entry?.name === 'string' && typeof entry.restartCount === 'number') {
        containers.push({ name: entry.name, restarts: entry.restartCount });
      }
    }
  }
  return { namespace: object.metadata.namespace ?? '', name: object.metadata.name, containers };
}

function createPod(context: InstrumentContext, config: PodConfig) {
  const cluster = context.cluster;
  if (!cluster) throw new Error('the pod collector needs a cluster');
  const scopes =
    config.namespaces.length === 0 ? [{}] : config.namespaces.map((namespace) => ({ namespace }));
  const subscriptions: Subscription<PodRestarts>[] = scopes.map((scope) =>
    cluster.subscribe(PODS, scope, 'pod.restarts', podRestarts, { shardBy: 'uid' }),
  );
  let synced = false;
  const allSynced = Promise.all(subscriptions.map((s) => s.synced())).then(() => {
    synced = true;
  });

  context.metrics.observeObjects(
    podContainerRestarts,
    function* () {
      for (const subscription of subscriptions) yield* subscription.items;
    },
    restartSeries(config.restartThreshold),
    () => subscriptions.reduce((sum, subscription) => sum + subscription.version, 0),
  );

  return {
    start: async () => {},
    stop: async () => {
      for (const subscription of subscriptions) subscription.close();
    },
    health: () => (synced ? { state: 'healthy' as const } : { state: 'starting' as const }),
    ready: () => allSynced,
  };
}

export const pod = defineInstrument({
  name: 'pod',
  summary: 'Containers whose restart count reached restartThreshold',
  leaderElection: true,
  sharded: true,
  needsCluster: true,
  configSchema: podConfig,
  metrics: podMetrics,
  create: createPod,
});
