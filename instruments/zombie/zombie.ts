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
import { type ContainerZombies, countByContainer, zombieSeries } from './series.js';

const PODS = { group: '', version: 'v1', resource: 'pods' };

function createZombie(context: InstrumentContext, config: ZombieConfig) {
  let current: ContainerZombies[] = [];
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
    const each = zombieSeries(context.identity.nodeName, podLookup(pods?.items.values() ?? []));
    for (const series of current) each(series, observe);
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
