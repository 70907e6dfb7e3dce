import type { MetricDeclaration } from '../../lib/instrument.js';

export const podContainerRestarts = {
  name: 'pod_container_restarts',
  kind: 'gauge',
  unit: '{restart}',
  help: 'Restart count of containers (init and sidecar containers included) at or past restartThreshold.',
  labels: ['namespace', 'pod', 'container'],
} as const satisfies MetricDeclaration;

export const podMetrics = [podContainerRestarts] as const;
