/**
 * zombie: counts zombie processes on this node per container, from a proc filesystem, and names
 * each container's pod when a cluster is available (namespace and pod stay empty without one).
 */
import { defineInstrument, type InstrumentContext, type Subscription } from '../../lib/instrument.js';
import { Poller } from '../../lib/poller.js';
import { type ZombieConfig, zombieConfig } from './config.js';
import { zombieMetrics, zombieProcesses } from './metrics.js';
import { type NodePod, nodePod, podLookup } from './pods.js';
import { scanZombies, type Zombie } from './proc.js';

const PODS = { group: '', version: 'v1', resource: 'pods' };

/** The short container id operators see in `docker ps` and `crictl ps` (its first 12 characters). */
export const SHORT_ID_LENGTH = 12;

interface ZombieSeries {
  /** Full container id, or empty for processes outside containers. */
  readonly containerId: string;
  readonly podUid: string | undefined;
  count: number;
}

/**
 * Groups zombies by container; zombies outside any container share the empty id. The host series
 * is always present (0 when clean) so that a node without zombies is visibly checked.
 */
export function countByContainer(zombies: readonly Zombie[]): ZombieSeries[] {
  const byContainer = new Map<string, ZombieSeries>([['', { containerId: '', podUid: undefined, count: 0 }]]);
  for (const zombie of zombies) {
    const containerId = zombie.container?.containerId ?? '';
    const series = byContainer.get(containerId);
    if (series) series.count += 1;
    else byContainer.set(containerId, { containerId, podUid: zombie.container?.podUid, count: 1 });
  }
  return [...byContainer.values()];
}

function createZombie(context: InstrumentContext, config: ZombieConfig) {
  let current: ZombieSeries[] = [];
  // Only this node's pods: a DaemonSet instance never watches the whole cluster's.
  const pods: Subscription<NodePod> | undefined = context.cluster?.subscribe(
    PODS,
    { fieldSelector: `spec.nodeName=${context.identity.nodeName}` },
    'zombie.node-pods',
    nodePod,
  );
  const poller = new Poller(context, {
    intervalMs: config.checkInterval,
    timeoutMs: config.checkInterval,
    run: async (signal) => {
      let zombies: Zombie[];
      try {
        zombies = await scanZombies(config.procPath, signal);
      } catch (error) {
        // A failed scan says nothing about the zombies now: drop the series rather than repeat old ones.
        current = [];
        throw error;
      }
      current = countByContainer(zombies);
      if (zombies.length > 0) {
        context.logger.debug({ zombies: zombies.length, containers: current.length }, 'zombies found');
      }
    },
  });
  context.metrics.observe(zombieProcesses, (observe) => {
    const find = podLookup(pods?.items.values() ?? []);
    for (const series of current) {
      const owner = series.containerId === '' ? undefined : find(series.containerId, series.podUid);
      observe(series.count, {
        node: context.identity.nodeName,
        namespace: owner?.namespace ?? '',
        pod: owner?.pod ?? '',
        container_id: series.containerId.slice(0, SHORT_ID_LENGTH),
      });
    }
  });
  return {
    ...poller.asInstrument(),
    stop: async () => {
      await poller.stop();
      pods?.close();
    },
    ready: async () => {
      await Promise.all([poller.ready(), pods?.synced()]);
    },
  };
}

export const zombie = defineInstrument({
  name: 'zombie',
  summary: 'Zombie (defunct) processes on this node, per container, from /proc',
  leaderElection: false,
  needsCluster: false,
  configSchema: zombieConfig,
  metrics: zombieMetrics,
  create: createZombie,
});
