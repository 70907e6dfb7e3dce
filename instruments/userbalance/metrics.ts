import type { MetricDeclaration } from '../../lib/instrument.js';

export const userBalance = {
  name: 'userbalance_balance',
  kind: 'gauge',
  unit: '{currency}',
  help: 'Sealos user balance: (Account.balance - Account.deduction_balance) / 1e6, rounded to 2 decimals; beside it, type="quota" carries the configured quota.',
  labels: ['region', 'uuid', 'uid', 'owner', 'type', 'level'],
} as const satisfies MetricDeclaration;

export const userbalanceMetrics = [userBalance] as const;
