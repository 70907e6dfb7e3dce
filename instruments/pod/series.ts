/** What the pod instrument exports for one Pod: pure, table-tested (series.test.ts). */
import type { Observe } from '../../lib/instrument.js';
import type { podContainerRestarts } from './metrics.js';
import type { PodRestarts } from './pod.js';

/** Each container's restart count, for the containers at or past `threshold` restarts. */
export function restartSeries(threshold: number) {
  return (pod: PodRestarts, observe: Observe<typeof podContainerRestarts>): void => {
    for (const container of pod.containers) {
      if (container.restarts >= threshold) {
        observe(container.restarts, { namespace: pod.namespace, pod: pod.name, container: container.name });
      }
    }
  };
}
