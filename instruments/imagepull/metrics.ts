import type { MetricDeclaration } from '../../lib/instrument.js';

export const imagePullFailures = {
  name: 'image_pull_failures',
  kind: 'gauge',
  unit: '{container}',
  help: "Containers that cannot get their image: reason is the original's class, cause our finer one; the series goes when the container leaves the failure state or the pod goes.",
  labels: ['namespace', 'pod', 'node', 'registry', 'image', 'reason', 'cause'],
} as const satisfies MetricDeclaration;

export const imagePullSlow = {
  name: 'image_pull_slow',
  kind: 'gauge',
  // An annotation, not UCUM "s": the contract name has no _seconds suffix for a Collector to add.
  unit: '{second}',
  help: 'Seconds an image pull has been going on, for pulls past slowPullThreshold; the series goes when the container starts, fails or the pod goes.',
  labels: ['namespace', 'pod', 'node', 'registry', 'image'],
} as const satisfies MetricDeclaration;

export const imagepullMetrics = [imagePullFailures, imagePullSlow] as const;
