import type { MetricDeclaration } from '../../lib/instrument.js';

export const nodeHealthy = {
  name: 'node_healthy',
  kind: 'gauge',
  unit: '{node}',
  help: 'Whether the node is healthy (1): Ready is True and no other condition (pressure, network, node-problem-detector) is True or Unknown.',
  labels: ['node'],
} as const satisfies MetricDeclaration;

export const nodeCondition = {
  name: 'node_condition',
  kind: 'gauge',
  unit: '{condition}',
  help: 'The abnormal conditions of unhealthy nodes (always 1): Ready not True, or another condition not False.',
  labels: ['node', 'condition', 'status'],
} as const satisfies MetricDeclaration;

export const nodeKubeletMetricsAvailable = {
  name: 'node_kubelet_metrics_available',
  kind: 'gauge',
  unit: '{node}',
  help: 'Whether metrics.k8s.io serves fresh NodeMetrics for the node (1), i.e. its kubelet answers metrics-server.',
  labels: ['node'],
} as const satisfies MetricDeclaration;

export const nodeMetrics = [nodeHealthy, nodeCondition, nodeKubeletMetricsAvailable] as const;
