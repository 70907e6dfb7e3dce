/**
 * imagepull: containers that cannot get their image, and pulls that take too long, from the
 * shared Pod informer and (optionally) kubelet pull events. Cluster-wide: runs on the leader.
 */
import {
  defineInstrument,
  type InstrumentContext,
  type Observe,
  type Subscription,
  type WatchScope,
} from '../../lib/instrument.js';
import { type ImagepullConfig, imagepullConfig } from './config.js';
import { imagePullFailures, imagePullSlow, imagepullMetrics } from './metrics.js';
import { eventPodUid, type LeanPod, leanPod, leanPullEvent, type PullEvent } from './pods.js';
import {
  BACK_OFF,
  classifyPullFailure,
  FAILURE_WAITING_REASONS,
  originalPullReason,
  pulledSeconds,
} from './reasons.js';
import { isPublicRegistry, registryOf } from './reference.js';

const PODS = { group: '', version: 'v1', resource: 'pods' };
const EVENTS = { group: '', version: 'v1', resource: 'events' };

interface ContainerPulls {
  pullingMs?: number;
  pulledMs?: number;
  failed?: { timeMs: number; message: string };
}

/** The latest Pulling, Pulled and Failed of each `namespace/pod/container`. */
export function pullHistory(events: Iterable<PullEvent | null>): Map<string, ContainerPulls> {
  const history = new Map<string, ContainerPulls>();
  for (const event of events) {
    if (!event) continue;
    const key = `${event.pod}/${event.container}`;
    const entry = history.get(key) ?? {};
    if (event.reason === 'Pulling') entry.pullingMs = Math.max(entry.pullingMs ?? 0, event.timeMs);
    else if (event.reason === 'Pulled') entry.pulledMs = Math.max(entry.pulledMs ?? 0, event.timeMs);
    else if (!entry.failed || entry.failed.timeMs < event.timeMs)
      entry.failed = { timeMs: event.timeMs, message: event.message };
    history.set(key, entry);
  }
  return history;
}

interface Remembered {
  readonly node: string;
  readonly image: string;
  /** The original's class (`reason`) and ours (`cause`), each the last specific one seen. */
  readonly reason?: string;
  readonly cause?: string;
}

const isSpecific = (reason: string) => reason !== BACK_OFF && reason !== 'unknown';

/**
 * The state between scrapes: the last specific reason per container, so a generic back-off
 * keeps its root cause (while node and image stay the same), and when a container was first
 * seen creating, for pods without a start time.
 */
export class PullTracker {
  readonly #remembered = new Map<string, Remembered>();
  readonly #firstSeen = new Map<string, number>();

  constructor(
    readonly thresholdMs: number,
    /** false (the original): failures only for the registries of its allow-list. */
    readonly allRegistries = false,
  ) {}

  observeFailures(
    pods: Iterable<LeanPod>,
    history: Map<string, ContainerPulls>,
    observe: Observe<typeof imagePullFailures>,
  ): void {
    const seen = new Set<string>();
    const emitted = new Set<string>();
    for (const pod of pods) {
      for (const container of pod.waiting) {
        if (!FAILURE_WAITING_REASONS.has(container.reason)) continue;
        const key = `${pod.namespace}/${pod.name}/${container.name}`;
        seen.add(key);
        const remembered = this.#remembered.get(key);
        const same = remembered && remembered.node === pod.node && remembered.image === container.image;
        // The original's reason: a back-off keeps the specific reason seen before it.
        let reason = originalPullReason(container.reason, container.message);
        if (reason === BACK_OFF && same && remembered.reason) reason = remembered.reason;
        // Ours: a back-off or an unknown takes the latest Failed event's cause, else the last one seen.
        let cause = classifyPullFailure(container.reason, container.message);
        if (!isSpecific(cause)) {
          const failed = history.get(key)?.failed;
          const fromEvent = failed ? classifyPullFailure('ErrImagePull', failed.message) : undefined;
          if (fromEvent && isSpecific(fromEvent)) cause = fromEvent;
          else if (same && remembered.cause) cause = remembered.cause;
        }
        this.#remembered.set(key, {
          node: pod.node,
          image: container.image,
          reason: isSpecific(reason) ? reason : same ? remembered.reason : undefined,
          cause: isSpecific(cause) ? cause : same ? remembered.cause : undefined,
        });
        if (!this.allRegistries && !isPublicRegistry(container.image)) continue;
        const labels = {
          namespace: pod.namespace,
          pod: pod.name,
          node: pod.node,
          registry: registryOf(container.image),
          image: container.image,
          reason,
          cause,
        };
        // Two containers of one pod failing alike are one series.
        const identity = JSON.stringify(labels);
        if (emitted.has(identity)) continue;
        emitted.add(identity);
        observe(1, labels);
      }
    }
    for (const key of this.#remembered.keys()) if (!seen.has(key)) this.#remembered.delete(key);
  }

  observeSlow(
    pods: Iterable<LeanPod>,
    history: Map<string, ContainerPulls>,
    nowMs: number,
    observe: Observe<typeof imagePullSlow>,
  ): void {
    const seen = new Set<string>();
    for (const pod of pods) {
      for (const container of pod.waiting) {
        if (container.reason !== 'ContainerCreating' || container.containerId) continue;
        if (/back-?off pulling image/i.test(container.message)) continue;
        const key = `${pod.namespace}/${pod.name}/${container.name}`;
        seen.add(key);
        const pulls = history.get(key);
        // Pulled after the latest Pulling: the image is there; the container waits for something else.
        if (pulls?.pulledMs !== undefined && pulls.pulledMs >= (pulls.pullingMs ?? 0)) continue;
        if (!this.#firstSeen.has(key)) this.#firstSeen.set(key, nowMs);
        const startMs = pulls?.pullingMs ?? pod.startMs ?? (this.#firstSeen.get(key) as number);
        const seconds = Math.max(0, (nowMs - startMs) / 1000);
        if (seconds * 1000 < this.thresholdMs) continue;
        observe(Math.round(seconds), {
          namespace: pod.namespace,
          pod: pod.name,
          node: pod.node,
          registry: registryOf(container.image),
          image: container.image,
        });
      }
    }
    for (const key of this.#firstSeen.keys()) if (!seen.has(key)) this.#firstSeen.delete(key);
  }
}

function createImagepull(context: InstrumentContext, config: ImagepullConfig) {
  const cluster = context.cluster;
  if (!cluster) throw new Error('the imagepull collector needs a cluster');
  const scopes: WatchScope[] =
    config.namespaces.length === 0 ? [{}] : config.namespaces.map((namespace) => ({ namespace }));
  const pods = scopes.map((scope) =>
    cluster.subscribe(PODS, scope, 'imagepull.waiting', leanPod, { shardBy: 'uid' }),
  );
  const events: Subscription<PullEvent | null>[] = config.useEvents
    ? scopes.map((scope) =>
        cluster.subscribe<PullEvent | null>(
          EVENTS,
          { ...scope, fieldSelector: 'involvedObject.kind=Pod' },
          'imagepull.pull-events',
          leanPullEvent,
          // An event goes with its pod, to the pod's shard.
          { shardBy: eventPodUid },
        ),
      )
    : [];
  // The pull history is rebuilt only after an event changed, not twice on every scrape.
  let history = new Map<string, ContainerPulls>();
  let historyStale = true;
  const currentHistory = () => {
    if (historyStale) {
      history = pullHistory(events.flatMap((subscription) => [...subscription.items.values()]));
      historyStale = false;
    }
    return history;
  };
  for (const subscription of events) {
    subscription.onChange((type, key) => {
      if (type !== 'resync') historyStale = true;
      if (type !== 'upsert') return;
      const event = subscription.items.get(key);
      const seconds = event?.reason === 'Pulled' ? pulledSeconds(event.message) : undefined;
      if (seconds !== undefined && seconds * 1000 >= config.slowPullThreshold) {
        context.logger.info(
          { pod: event?.pod, container: event?.container, seconds },
          'slow image pull finished',
        );
      }
    });
  }
  const all = [...pods, ...events];
  let synced = false;
  const allSynced = Promise.all(all.map((s) => s.synced())).then(() => {
    synced = true;
  });
  const tracker = new PullTracker(config.slowPullThreshold, config.allRegistries);
  // The pods with a waiting container, by subscription: a scrape reads those rather than every
  // pod (30k at L, twice a scrape; most have none). Filled from the store as it is, then kept up
  // by its changes.
  const waitingKeys = pods.map((subscription) => {
    const keys = new Set<string>();
    const refill = () => {
      keys.clear();
      for (const [key, pod] of subscription.items) if (pod.waiting.length > 0) keys.add(key);
    };
    subscription.onChange((type, key) => {
      if (type === 'relist') return refill();
      if (type === 'resync') return;
      if ((subscription.items.get(key)?.waiting.length ?? 0) > 0) keys.add(key);
      else keys.delete(key);
    });
    refill();
    return keys;
  });
  const allPods = function* () {
    for (const [index, subscription] of pods.entries()) {
      for (const key of waitingKeys[index] ?? []) {
        const pod = subscription.items.get(key);
        if (pod !== undefined) yield pod;
      }
    }
  };

  context.metrics.observe(imagePullFailures, (observe) =>
    tracker.observeFailures(allPods(), currentHistory(), observe),
  );
  context.metrics.observe(imagePullSlow, (observe) =>
    tracker.observeSlow(allPods(), currentHistory(), context.clock.now(), observe),
  );

  return {
    start: async () => {},
    stop: async () => {
      for (const subscription of all) subscription.close();
    },
    health: () => (synced ? { state: 'healthy' as const } : { state: 'starting' as const }),
    ready: () => allSynced,
  };
}

export const imagepull = defineInstrument({
  name: 'imagepull',
  summary: 'Containers that cannot get their image (classified reason) and image pulls past a threshold',
  leaderElection: true,
  sharded: true,
  needsCluster: true,
  configSchema: imagepullConfig,
  metrics: imagepullMetrics,
  create: createImagepull,
});
