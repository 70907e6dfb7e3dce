import { z } from 'zod';
import { duration } from '../../lib/config/duration.js';

export const nodeConfig = z
  .strictObject({
    /** Nodes younger than this have no series (the original's setting and default). */
    ignoreNewNodeDuration: duration('30m'),
    /**
     * Off (the original's rule): unhealthy when Ready is not True or a pressure condition is True.
     * On: the node-condition convention, where Unknown and any other condition that is not False
     * (node-problem-detector's KernelDeadlock) count too, and a node without Ready is Ready=Unknown.
     */
    strictConditions: z.boolean().default(false),
    /** How often NodeMetrics (metrics.k8s.io) are read for node_kubelet_metrics_available (the original's zombie checkInterval). */
    kubeletMetricsCheckInterval: duration('30s', { min: '5s' }),
    /** 0 (the original): any NodeMetrics counts. Above 0: NodeMetrics older than this count as unavailable. */
    kubeletMetricsMaxAge: duration('0s'),
  })
  .prefault({});

export type NodeConfig = z.output<typeof nodeConfig>;
