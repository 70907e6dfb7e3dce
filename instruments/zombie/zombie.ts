/**
 * zombie: counts zombie processes on this node per container, from a proc filesystem.
 * Namespace and pod labels stay empty until the Kubernetes layer maps container ids to pods.
 */
import { defineInstrument, type InstrumentContext } from '../../lib/instrument.js';
import { Poller } from '../../lib/poller.js';
import { type ZombieConfig, zombieConfig } from './config.js';
import { zombieMetrics, zombieProcesses } from './metrics.js';
import { scanZombies, type Zombie } from './proc.js';

/** The short container id operators see in `docker ps` and `crictl ps` (its first 12 characters). */
export const SHORT_ID_LENGTH = 12;

interface ZombieSeries {
  readonly containerId: string;
  count: number;
}

/**
 * Groups zombies by container; zombies outside any container share the empty id. The host series
 * is always present (0 when clean) so that a node without zombies is visibly checked.
 */
export function countByContainer(zombies: readonly Zombie[]): ZombieSeries[] {
  const byContainer = new Map<string, ZombieSeries>([['', { containerId: '', count: 0 }]]);
  for (const zombie of zombies) {
    const containerId = zombie.container?.containerId.slice(0, SHORT_ID_LENGTH) ?? '';
    const series = byContainer.get(containerId);
    if (series) series.count += 1;
    else byContainer.set(containerId, { containerId, count: 1 });
  }
  return [...byContainer.values()];
}

function createZombie(context: InstrumentContext, config: ZombieConfig) {
  let current: ZombieSeries[] = [];
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
    for (const series of current) {
      observe(series.count, {
        node: context.identity.nodeName,
        namespace: '',
        pod: '',
        container_id: series.containerId,
      });
    }
  });
  return {
    start: async () => poller.start(),
    stop: () => poller.stop(),
    health: () => poller.health(),
    ready: () => poller.ready(),
    /** For tests: one scan now. */
    collectNow: () => poller.runOnce(),
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
