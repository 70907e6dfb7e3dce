import type { MetricDeclaration } from '../../lib/instrument.js';

const perDatabase = ['namespace', 'database', 'type'] as const;

export const databaseConnectivity = {
  name: 'database_connectivity',
  kind: 'gauge',
  unit: '{status}',
  help: 'KubeBlocks database connectivity: 1 when the last check connected, authenticated and pinged, else 0.',
  labels: perDatabase,
} as const satisfies MetricDeclaration;

export const databaseResponseTime = {
  name: 'database_response_time_seconds',
  kind: 'gauge',
  unit: 's',
  help: 'Time the last check took (preflight, connect, authenticate, ping), also when it failed. Absent for databases that were not contacted (stopped, no Secret).',
  labels: perDatabase,
} as const satisfies MetricDeclaration;

export const databaseCheckError = {
  name: 'database_check_error',
  kind: 'gauge',
  unit: '{status}',
  help: 'Why a database is unavailable: 1 with the reason of the last failed check; no series for connected databases.',
  labels: [...perDatabase, 'reason'],
} as const satisfies MetricDeclaration;

export const databaseTotal = {
  name: 'database_total',
  kind: 'gauge',
  unit: '{database}',
  help: 'KubeBlocks databases monitored, by type (mysql, postgresql, mongodb, redis, all).',
  labels: ['type'],
} as const satisfies MetricDeclaration;

export const databaseAvailable = {
  name: 'database_available',
  kind: 'gauge',
  unit: '{database}',
  help: 'Databases whose last check connected, by type (mysql, postgresql, mongodb, redis, all).',
  labels: ['type'],
} as const satisfies MetricDeclaration;

export const databaseUnavailable = {
  name: 'database_unavailable',
  kind: 'gauge',
  unit: '{database}',
  help: 'Databases whose last check failed, by type (mysql, postgresql, mongodb, redis, all).',
  labels: ['type'],
} as const satisfies MetricDeclaration;

export const databaseMetrics = [
  databaseConnectivity,
  databaseResponseTime,
  databaseCheckError,
  databaseTotal,
  databaseAvailable,
  databaseUnavailable,
] as const;
