/**
 * The pieces of a Prometheus sample line, shared by the cached per-object encoding (registry.ts)
 * and the exposition writer: the same in the text format and OpenMetrics.
 */
import type { ExposedMetric } from './declaration.js';

const NEEDS_ESCAPE = /[\\"\n]/;

/** Most label values need no escaping; testing first avoids three scans and three copies. */
export function escapeLabelValue(text: string): string {
  if (!NEEDS_ESCAPE.test(text)) return text;
  return text.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n');
}

export function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}

export function sampleNameOf(exposed: ExposedMetric): string {
  return exposed.declaration.kind === 'counter' ? `${exposed.exposedName}_total` : exposed.exposedName;
}
