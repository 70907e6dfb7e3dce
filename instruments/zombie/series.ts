/**
 * What the zombie instrument exports, as pure functions: zombies grouped per container, and one
 * container's count as a series naming its pod. Table tests: series.test.ts.
 */
import type { Observe } from '../../lib/instrument.js';
import type { zombieProcesses } from './metrics.js';
import type { PodRef } from './pods.js';
import type { Zombie } from './proc.js';

/** The short container id operators see in `docker ps` and `crictl ps` (its first 12 characters). */
export const SHORT_ID_LENGTH = 12;

export interface ContainerZombies {
  /** Full container id, or empty for processes outside containers. */
  readonly containerId: string;
  readonly podUid: string | undefined;
  count: number;
}

/**
 * Groups zombies by container; zombies outside any container share the empty id. The host series
 * is always present (0 when clean) so that a node without zombies is visibly checked.
 */
export function countByContainer(zombies: readonly Zombie[]): ContainerZombies[] {
  const byContainer = new Map<string, ContainerZombies>([
    ['', { containerId: '', podUid: undefined, count: 0 }],
  ]);
  for (const zombie of zombies) {
    const containerId = zombie.container?.containerId ?? '';
    const series = byContainer.get(containerId);
    if (series) series.count += 1;
    else byContainer.set(containerId, { containerId, podUid: zombie.container?.podUid, count: 1 });
  }
  return [...byContainer.values()];
}

/** Finds a container's pod: by its id, else by the pod UID of its cgroup path (pods.ts). */
export type PodOf = (containerId: string, podUid?: string) => PodRef | undefined;

/**
 * One container's zombies on `node`, with its pod's namespace and name (empty when the pod is
 * not known, and for the host's processes).
 */
export function zombieSeries(node: string, podOf: PodOf) {
  return (series: ContainerZombies, observe: Observe<typeof zombieProcesses>): void => {
    const owner = series.containerId === '' ? undefined : podOf(series.containerId, series.podUid);
    observe(series.count, {
      node,
      namespace: owner?.namespace ?? '',
      pod: owner?.pod ?? '',
      container_id: series.containerId.slice(0, SHORT_ID_LENGTH),
    });
  };
}
