import type { MetricDeclaration } from '../../lib/instrument.js';

export const cloudBalance = {
  name: 'cloudbalance_balance',
  kind: 'gauge',
  unit: '{currency}',
  help: 'Available balance of the cloud account in its currency units (e.g. CNY); negative means debt.',
  labels: ['provider', 'account_id'],
} as const satisfies MetricDeclaration;

export const cloudbalanceMetrics = [cloudBalance] as const;
