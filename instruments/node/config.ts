import { z } from 'zod';
import { duration } from '../../lib/config/duration.js';

export const nodeConfig = z
  .strictObject({
    /** How often NodeMetrics (metrics.k8s.io) are read for node_kubelet_metrics_available. */
    kubeletMetricsCheckInterval: duration('1m', { min: '5s' }),
    /** NodeMetrics older than this count as unavailable (metrics-server scrapes kubelets every 15-60 s). */
    kubeletMetricsMaxAge: duration('5m', { min: '10s' }),
  })
  .prefault({});

export type NodeConfig = z.output<typeof nodeConfig>;
