/**
 * What imagepull keeps of Pods and Events: only containers that wait, only pull events. Every
 * other field is dropped on arrival, so watching all pods costs little memory.
 */
import type { ApiObject } from '../../lib/instrument.js';

export interface WaitingContainer {
  readonly name: string;
  readonly image: string;
  readonly reason: string;
  readonly message: string;
  /** Set once the runtime created the container (then it is not pulling any more). */
  readonly containerId: string;
}

export interface LeanPod {
  readonly namespace: string;
  readonly name: string;
  readonly node: string;
  /** When the kubelet took the pod on (ms), if it did. */
  readonly startMs: number | undefined;
  readonly waiting: readonly WaitingContainer[];
}

export interface PullEvent {
  /** `namespace/pod` */
  readonly pod: string;
  readonly container: string;
  readonly reason: 'Pulling' | 'Pulled' | 'Failed';
  readonly message: string;
  readonly timeMs: number;
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function timeMs(value: unknown): number | undefined {
  const ms = typeof value === 'string' ? Date.parse(value) : Number.NaN;
  return Number.isNaN(ms) ? undefined : ms;
}

export function leanPod(object: ApiObject): LeanPod {
  const spec = (object.spec ?? {}) as Record<string, unknown>;
  const status = (object.status ?? {}) as Record<string, unknown>;
  const images = new Map<string, string>();
  for (const list of [spec.initContainers, spec.containers]) {
    if (!Array.isArray(list)) continue;
    for (const container of list as Record<string, unknown>[]) {
      if (typeof container?.name === 'string') images.set(container.name, text(container.image));
    }
  }
  const waiting: WaitingContainer[] = [];
  for (const list of [status.initContainerStatuses, status.containerStatuses]) {
    if (!Array.isArray(list)) continue;
    for (const entry of list as Record<string, unknown>[]) {
      const state = (entry?.state ?? {}) as { waiting?: { reason?: unknown; message?: unknown } };
      if (!state.waiting || typeof entry.name !== 'string') continue;
      waiting.push({
        name: entry.name,
        // The spec's reference, as written: the status one may already be resolved to a digest.
        image: images.get(entry.name) || text(entry.image),
        reason: text(state.waiting.reason),
        message: text(state.waiting.message),
        containerId: text(entry.containerID),
      });
    }
  }
  return {
    namespace: object.metadata.namespace ?? '',
    name: object.metadata.name,
    node: text(spec.nodeName),
    startMs: timeMs(status.startTime),
    waiting,
  };
}

const PULL_REASONS = new Set(['Pulling', 'Pulled', 'Failed']);

/** The UID of the pod an event is about: under sharding, the event goes to its pod's shard. */
export function eventPodUid(object: ApiObject): string | undefined {
  const uid = (object.involvedObject as { uid?: unknown } | undefined)?.uid;
  return typeof uid === 'string' ? uid : undefined;
}

/** A kubelet pull event of a Pod's container; null for every other event (not kept). */
export function leanPullEvent(object: ApiObject): PullEvent | null {
  const reason = text(object.reason);
  const involved = (object.involvedObject ?? {}) as Record<string, unknown>;
  if (!PULL_REASONS.has(reason) || involved.kind !== 'Pod') return null;
  const message = text(object.message);
  // Failed is also used for non-pull failures; only image ones matter here.
  if (reason === 'Failed' && !/image/i.test(message)) return null;
  const container = /spec\.(?:initContainers|containers|ephemeralContainers)\{([^}]+)\}/.exec(
    text(involved.fieldPath),
  )?.[1];
  const time =
    timeMs(object.eventTime) ??
    timeMs((object.series as { lastObservedTime?: unknown } | undefined)?.lastObservedTime) ??
    timeMs(object.lastTimestamp) ??
    timeMs(object.firstTimestamp) ??
    timeMs((object.metadata as { creationTimestamp?: unknown }).creationTimestamp);
  if (!container || time === undefined) return null;
  return {
    pod: `${text(involved.namespace) || (object.metadata.namespace ?? '')}/${text(involved.name)}`,
    container,
    reason: reason as PullEvent['reason'],
    message: message.slice(0, 1000),
    timeMs: time,
  };
}
