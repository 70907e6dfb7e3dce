/**
 * lvm: LVM volume group capacity on this node, from `vgs`. Node-local: runs on every instance.
 */
import { defineInstrument, type InstrumentContext } from '../../lib/instrument.js';
import { Poller } from '../../lib/poller.js';
import { type LvmConfig, lvmConfig } from './config.js';
import {
  lvmMetrics,
  vgFree,
  vgMetadataFree,
  vgMetadataSize,
  vgSize,
  vgsMetadataFree,
  vgsMetadataSize,
  vgsTotalCapacity,
  vgsTotalFree,
} from './metrics.js';
import { runVgs, type VolumeGroup } from './vgs.js';

function createLvm(context: InstrumentContext, config: LvmConfig) {
  const node = config.nodeName || context.identity.nodeName;
  // As the original: the last report read stands until another is read (a failed run shows in
  // the health and state_metric_collector_success), and the totals read 0 before the first.
  let groups: readonly VolumeGroup[] = [];
  const poller = new Poller(context, {
    intervalMs: config.updateInterval,
    timeoutMs: config.timeout + 1000,
    run: async (signal) => {
      const result = await runVgs(config.command, config.timeout, signal);
      groups = result.groups;
      return result.warnings ? `vgs warned: ${result.warnings.split('\n')[0]}` : undefined;
    },
  });

  for (const [total, perGroup, pick] of [
    [vgsTotalCapacity, vgSize, (g: VolumeGroup) => g.sizeBytes],
    [vgsTotalFree, vgFree, (g: VolumeGroup) => g.freeBytes],
    [vgsMetadataSize, vgMetadataSize, (g: VolumeGroup) => g.metadataSizeBytes],
    [vgsMetadataFree, vgMetadataFree, (g: VolumeGroup) => g.metadataFreeBytes],
  ] as const) {
    context.metrics.observe(total, (observe) => {
      if (node)
        observe(
          groups.reduce((sum, group) => sum + pick(group), 0),
          { node },
        );
    });
    context.metrics.observe(perGroup, (observe) => {
      for (const group of groups) observe(pick(group), { node, vg: group.name });
    });
  }

  return poller.asInstrument();
}

export const lvm = defineInstrument({
  name: 'lvm',
  summary: 'LVM volume group capacity and free space on this node, from vgs',
  leaderElection: false,
  needsCluster: false,
  configSchema: lvmConfig,
  metrics: lvmMetrics,
  create: createLvm,
});
