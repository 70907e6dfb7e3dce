/** Metric declarations the OTLP tests push through a pipeline: many gauge points, a few counters. */
import type { MetricDeclaration } from '../../lib/telemetry/declaration.js';

export const testObjects = {
  name: 'test_objects',
  kind: 'gauge',
  unit: '{object}',
  help: 'Many objects.',
  labels: ['namespace', 'name', 'uid'],
} as const satisfies MetricDeclaration;

export const testEvents = {
  name: 'test_events',
  kind: 'counter',
  unit: '{event}',
  help: 'Events.',
  labels: ['reason'],
} as const satisfies MetricDeclaration;
