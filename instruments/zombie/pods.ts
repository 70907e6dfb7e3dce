/**
 * Which pod a container belongs to, from the Pods on this node (a Pod informer restricted with
 * the field selector spec.nodeName, so a DaemonSet instance watches only its own node's pods).
 */
import type { ApiObject } from '../../lib/instrument.js';

export interface PodRef {
  readonly namespace: string;
  readonly pod: string;
}

export interface NodePod extends PodRef {
  readonly uid: string;
  /** Full container ids of every container status, without the `containerd://` style prefix. */
  readonly containerIds: readonly string[];
}

export function nodePod(object: ApiObject): NodePod {
  const status = object.status as Record<string, unknown> | undefined;
  const containerIds: string[] = [];
  for (const field of ['initContainerStatuses', 'containerStatuses', 'ephemeralContainerStatuses']) {
    const list = status?.[field];
    if (!Array.isArray(list)) continue;
    for (const entry of list as { containerID?: unknown }[]) {
      if (typeof entry?.containerID === 'string')
        containerIds.push(entry.containerID.replace(/^[a-z-]+:\/\//, ''));
    }
  }
  const metadata = object.metadata as { name: string; namespace?: string; uid?: string };
  return { namespace: metadata.namespace ?? '', pod: metadata.name, uid: metadata.uid ?? '', containerIds };
}

/** Finds the pod of a container: by its id first, else by the pod UID from its cgroup path. */
export function podLookup(
  pods: Iterable<NodePod>,
): (containerId: string, podUid?: string) => PodRef | undefined {
  const byContainer = new Map<string, PodRef>();
  const byUid = new Map<string, PodRef>();
  for (const pod of pods) {
    const ref = { namespace: pod.namespace, pod: pod.pod };
    for (const id of pod.containerIds) byContainer.set(id, ref);
    if (pod.uid) byUid.set(pod.uid, ref);
  }
  return (containerId, podUid) => byContainer.get(containerId) ?? (podUid ? byUid.get(podUid) : undefined);
}
