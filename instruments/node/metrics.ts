import type { MetricDeclaration } from '../../lib/instrument.js';

export const nodeHealthy = {
  name: 'node_healthy',
  kind: 'gauge',
  unit: '{node}',
  help: 'Whether the node is healthy (1): Ready is True and no pressure or NetworkUnavailable condition is True (strictConditions: and no other condition is True or Unknown).',
  labels: ['node'],
} as const satisfies MetricDeclaration;

export const nodeCondition = {
  name: 'node_condition',
  kind: 'gauge',
  unit: '{condition}',
  help: 'The abnormal conditions of unhealthy nodes: 1 when the condition is True, 0 when False or Unknown (status is the Kubernetes spelling).',
  labels: ['node', 'condition', 'status'],
} as const satisfies MetricDeclaration;

export const nodeKubeletMetricsAvailable = {
  name: 'node_kubelet_metrics_available',
  kind: 'gauge',
  unit: '{node}',
  help: 'For Ready nodes: whether metrics.k8s.io serves NodeMetrics for the node (1), i.e. its kubelet answers metrics-server.',
  labels: ['node'],
} as const satisfies MetricDeclaration;

export const nodeMetrics = [nodeHealthy, nodeCondition, nodeKubeletMetricsAvailable] as const;
