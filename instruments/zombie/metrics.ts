import type { MetricDeclaration } from '../../lib/instrument.js';

export const zombieProcesses = {
  name: 'zombie_processes',
  kind: 'gauge',
  unit: '{process}',
  help: 'Zombie (defunct) processes present now, per container on this node; host processes have an empty container_id.',
  labels: ['node', 'namespace', 'pod', 'container_id'],
} as const satisfies MetricDeclaration;

export const zombieMetrics = [zombieProcesses] as const;
