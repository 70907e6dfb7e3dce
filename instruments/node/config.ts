import { z } from 'zod';
import { duration } from '../../lib/config/duration.js';

export const nodeConfig = z
  .strictObject({
    ignoreNewNodeDuration: duration('30m').meta({
      description:
        "Nodes younger than this have no series (the original's setting and default; `0s`: none ignored).",
    }),
    strictConditions: z.boolean().default(false).meta({
      description:
        "Off (the original's rule): unhealthy when Ready is not True or a pressure condition is True. On: the node-condition convention, where Unknown and any other condition that is not False (node-problem-detector's KernelDeadlock) count too, and a node without Ready is Ready=Unknown.",
    }),
    kubeletMetricsCheckInterval: duration('30s', { min: '5s' }).meta({
      description: 'How often NodeMetrics (metrics.k8s.io) are read for `node_kubelet_metrics_available`.',
    }),
    kubeletMetricsMaxAge: duration('0s').meta({
      description:
        'Above 0, NodeMetrics older than this count as unavailable; 0 counts any, as the original.',
    }),
  })
  .prefault({});

export type NodeConfig = z.output<typeof nodeConfig>;
