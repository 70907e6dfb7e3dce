/**
 * Prometheus exposition of collected OTel metrics, in the text format 0.0.4 and OpenMetrics 1.0.
 * Names, label order and help come from the metric declarations, so the output is exactly the
 * contract (no scope labels, no unit suffixes the declaration did not ask for).
 */
import { DataPointType, type MetricData, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import type { MetricDeclaration } from './declaration.js';

export type ExpositionFormat = 'text' | 'openmetrics';

export const CONTENT_TYPES: Record<ExpositionFormat, string> = {
  text: 'text/plain; version=0.0.4; charset=utf-8',
  openmetrics: 'application/openmetrics-text; version=1.0.0; charset=utf-8',
};

/** Picks OpenMetrics when the scraper's Accept header lists it (Prometheus does, first). */
export function negotiateFormat(accept: string | undefined): ExpositionFormat {
  return accept?.includes('application/openmetrics-text') ? 'openmetrics' : 'text';
}

function escapeHelp(text: string): string {
  return text.replaceAll('\\', '\\\\').replaceAll('\n', '\\n');
}

function escapeLabelValue(text: string): string {
  return text.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n');
}

export function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}

const UNIT_WORDS: Record<string, string> = { s: 'seconds', By: 'bytes' };

/** The OpenMetrics UNIT of a declaration, only when the name carries it as its suffix. */
function openMetricsUnit(name: string, unit: string): string | undefined {
  const word = UNIT_WORDS[unit];
  return word !== undefined && name.endsWith(`_${word}`) ? word : undefined;
}

export interface ExposedMetric {
  readonly exposedName: string;
  readonly declaration: MetricDeclaration;
}

function labelString(declared: readonly string[], attributes: Record<string, unknown>): string {
  let out = '';
  for (const name of declared) {
    const value = attributes[name];
    out += `${out === '' ? '' : ','}${name}="${escapeLabelValue(value === undefined ? '' : String(value))}"`;
  }
  // An attribute the declaration lacks is a bug in the instrument; show it rather than hide it.
  for (const [name, value] of Object.entries(attributes)) {
    if (!declared.includes(name))
      out += `${out === '' ? '' : ','}${name}="${escapeLabelValue(String(value))}"`;
  }
  return out === '' ? '' : `{${out}}`;
}

function serializeMetric(
  metric: MetricData,
  exposed: ExposedMetric,
  format: ExpositionFormat,
  out: string[],
): void {
  if (metric.dataPointType !== DataPointType.GAUGE && metric.dataPointType !== DataPointType.SUM) return;
  const { declaration } = exposed;
  const counter = declaration.kind === 'counter';
  const family = exposed.exposedName;
  const sampleName = counter ? `${family}_total` : family;
  const help = escapeHelp(declaration.help);
  if (format === 'openmetrics') {
    out.push(`# TYPE ${family} ${counter ? 'counter' : 'gauge'}`);
    const unit = openMetricsUnit(family, declaration.unit);
    if (unit) out.push(`# UNIT ${family} ${unit}`);
    out.push(`# HELP ${family} ${help}`);
  } else {
    out.push(`# HELP ${sampleName} ${help}`, `# TYPE ${sampleName} ${counter ? 'counter' : 'gauge'}`);
  }
  for (const point of metric.dataPoints) {
    out.push(
      `${sampleName}${labelString(declaration.labels, point.attributes)} ${formatValue(point.value as number)}`,
    );
  }
}

/**
 * Serializes one collection. Metrics that no declaration names are skipped: every exposed
 * metric is declared once (the SDK's own self-observability metrics, if any, stay in OTLP).
 */
export function serialize(
  resourceMetrics: ResourceMetrics,
  declared: ReadonlyMap<string, ExposedMetric>,
  format: ExpositionFormat,
): string {
  const out: string[] = [];
  for (const scope of resourceMetrics.scopeMetrics) {
    for (const metric of scope.metrics) {
      const exposed = declared.get(metric.descriptor.name);
      if (!exposed || metric.dataPoints.length === 0) continue;
      serializeMetric(metric, exposed, format, out);
    }
  }
  if (format === 'openmetrics') out.push('# EOF');
  return out.length === 0 ? '' : `${out.join('\n')}\n`;
}
