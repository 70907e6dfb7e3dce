/**
 * A crds entry compiled once per config: declarations with their label order, parsed paths, and
 * the function that turns one object into its series. Series are computed when an object
 * changes (the informer's transform), as kube-state-metrics does, so a scrape only reads them.
 */
import type { ApiObject, MetricDeclaration } from '../../lib/instrument.js';
import type { CrdEntry, CrdMetric } from './config.js';
import { evaluatePath, type PathSegment, parsePath } from './path.js';
import { toLabel, toNumber } from './values.js';

export interface Sample {
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** One object's series, per metric of the entry (same order); count metrics hold the counted value. */
export interface ObjectSeries {
  readonly samples: readonly (readonly Sample[])[];
  readonly counted: readonly (string | undefined)[];
  /** Why a metric produced nothing for this object (wrong type, bad shape), per metric index. */
  readonly problems: readonly (string | undefined)[];
}

interface LabelSource {
  readonly name: string;
  /** `@key` / `@index` (with each) or a path. */
  readonly source: '@key' | '@index' | readonly PathSegment[];
}

export interface CompiledMetric {
  readonly config: CrdMetric;
  readonly declaration: MetricDeclaration;
  readonly path: readonly PathSegment[] | undefined;
  readonly each: readonly PathSegment[] | undefined;
  readonly labels: readonly LabelSource[];
  readonly valueLabel: string;
  readonly keyLabel: string;
}

export interface CompiledEntry {
  readonly entry: CrdEntry;
  readonly common: readonly LabelSource[];
  readonly metrics: readonly CompiledMetric[];
}

const DEFAULT_VALUE_LABEL: Readonly<Record<string, string>> = {
  count: 'value',
  string_state: 'state',
  map_state: 'state',
};

function labelSources(map: Readonly<Record<string, string>>): LabelSource[] {
  return Object.keys(map)
    .sort()
    .map((name) => {
      const text = map[name] as string;
      return { name, source: text === '@key' || text === '@index' ? text : parsePath(text) };
    });
}

function labelNames(
  metric: CrdMetric,
  common: readonly LabelSource[],
  own: readonly LabelSource[],
): string[] {
  const valueLabel = metric.valueLabel ?? DEFAULT_VALUE_LABEL[metric.type] ?? 'value';
  const keyLabel = metric.keyLabel ?? 'key';
  const base = [...common.map((l) => l.name), ...own.map((l) => l.name)];
  switch (metric.type) {
    case 'count':
      // Counted across objects: the value alone identifies a series, as in the original.
      return [valueLabel];
    case 'string_state':
      return [...base, valueLabel];
    case 'map_state':
      return [...base, keyLabel, valueLabel];
    case 'map_gauge':
      return [...base, keyLabel];
    case 'conditions':
      return [...base, 'type', 'status', 'reason'];
    default:
      return base;
  }
}

/** The original's fixed prefix of crds metrics (metric_store.go: defaultMetricPrefix). */
export const CRD_METRIC_PREFIX = 'sealos_';

export function compileEntry(entry: CrdEntry): CompiledEntry {
  const common = labelSources(entry.commonLabels);
  const metrics = entry.metrics.map((metric): CompiledMetric => {
    const own = labelSources(metric.labels);
    return {
      config: metric,
      declaration: {
        // Always sealos_<name>, whatever metrics.namespace, as the original names them.
        name: `${CRD_METRIC_PREFIX}${metric.name}`,
        prefixed: false,
        kind: 'gauge',
        unit: '{value}',
        help: metric.help || `${metric.type} of ${entry.gvr.resource} (crds entry "${entry.name}")`,
        labels: labelNames(metric, common, own),
      },
      path: metric.path === undefined ? undefined : parsePath(metric.path),
      each: metric.each === undefined ? undefined : parsePath(metric.each),
      labels: own,
      valueLabel: metric.valueLabel ?? DEFAULT_VALUE_LABEL[metric.type] ?? 'value',
      keyLabel: metric.keyLabel ?? 'key',
    };
  });
  return { entry, common, metrics };
}

function resolveLabels(
  sources: readonly LabelSource[],
  root: unknown,
  element: { value: unknown; key: string; index: string } | undefined,
  into: Record<string, string>,
): void {
  for (const { name, source } of sources) {
    if (source === '@key') into[name] = element?.key ?? '';
    else if (source === '@index') into[name] = element?.index ?? '';
    else into[name] = toLabel(evaluatePath(element ? element.value : root, source));
  }
}

function entriesOf(value: unknown): { key: string; value: unknown }[] | undefined {
  if (Array.isArray(value)) return value.map((item, index) => ({ key: String(index), value: item }));
  if (value !== null && typeof value === 'object') {
    return Object.entries(value as Record<string, unknown>).map(([key, item]) => ({ key, value: item }));
  }
  return undefined;
}

/**
 * A gauge's sample and, when its value is not a number, the problem. With nilIsZero (the
 * default) such a value reads 0, as the original's ToFloat64 makes of it, and the problem is
 * still reported; without, the series is left out.
 */
function gaugeSample(
  metric: CompiledMetric,
  target: unknown,
  labels: Record<string, string>,
): { sample?: Sample; problem?: string } {
  const raw = evaluatePath(target, metric.path as readonly PathSegment[]);
  const zero = metric.config.nilIsZero ? { sample: { labels, value: 0 } } : {};
  if (raw === undefined || raw === null) return zero;
  const converted = toNumber(raw, metric.config.valueMapping);
  return 'value' in converted
    ? { sample: { labels, value: converted.value } }
    : { ...zero, problem: `${formatted(metric.config)} ${converted.problem}` };
}

/** One metric's samples for one object, and the last problem met on the way. */
function metricSamples(
  compiled: CompiledMetric,
  object: ApiObject,
  commonLabels: Readonly<Record<string, string>>,
): { samples: Sample[]; problem: string | undefined } {
  const { config } = compiled;
  const elements = compiled.each
    ? (entriesOf(evaluatePath(object, compiled.each)) ?? []).map((e, index) => ({
        value: e.value,
        key: e.key,
        index: String(index),
      }))
    : [undefined];
  const samples: Sample[] = [];
  let problem: string | undefined;
  for (const element of elements) {
    const labels: Record<string, string> = { ...commonLabels };
    resolveLabels(compiled.labels, object, element, labels);
    const target = element ? element.value : object;
    switch (config.type) {
      case 'info':
        samples.push({ labels, value: 1 });
        break;
      case 'gauge': {
        const { sample, problem: wrong } = gaugeSample(compiled, target, labels);
        if (sample) samples.push(sample);
        if (wrong) problem = wrong;
        break;
      }
      case 'string_state': {
        // A missing field is the state "", as the original reads it.
        labels[compiled.valueLabel] = toLabel(evaluatePath(target, compiled.path as readonly PathSegment[]));
        samples.push({ labels, value: 1 });
        break;
      }
      case 'map_state':
      case 'map_gauge': {
        const raw = evaluatePath(target, compiled.path as readonly PathSegment[]);
        if (raw === undefined || raw === null) break;
        if (typeof raw !== 'object' || Array.isArray(raw)) {
          problem = `${formatted(config)} is ${Array.isArray(raw) ? 'a list' : typeof raw}, not a map`;
          break;
        }
        for (const [key, entry] of Object.entries(raw as Record<string, unknown>)) {
          const value =
            config.valuePath && entry !== null && typeof entry === 'object'
              ? (entry as Record<string, unknown>)[config.valuePath]
              : entry;
          if (config.type === 'map_state') {
            const state = toLabel(value);
            if (state === '') continue;
            samples.push({
              labels: { ...labels, [compiled.keyLabel]: key, [compiled.valueLabel]: state },
              value: 1,
            });
          } else {
            const converted = toNumber(value);
            if ('value' in converted)
              samples.push({ labels: { ...labels, [compiled.keyLabel]: key }, value: converted.value });
            else problem = `${formatted(config)}.${key} ${converted.problem}`;
          }
        }
        break;
      }
      case 'conditions': {
        const raw = evaluatePath(target, compiled.path as readonly PathSegment[]);
        if (raw === undefined || raw === null) break;
        if (!Array.isArray(raw)) {
          problem = `${formatted(config)} is ${typeof raw}, not a list of conditions`;
          break;
        }
        const { typeField, statusField, reasonField } = config.condition;
        for (const condition of raw) {
          if (condition === null || typeof condition !== 'object') continue;
          const fields = condition as Record<string, unknown>;
          const type = toLabel(fields[typeField]);
          if (type === '') continue;
          const status = toLabel(fields[statusField]);
          samples.push({
            labels: { ...labels, type, status, reason: toLabel(fields[reasonField]) },
            value: status.toLowerCase() === 'true' ? 1 : 0,
          });
        }
        break;
      }
      case 'count':
        break;
    }
  }
  return { samples, problem };
}

function formatted(config: CrdMetric): string {
  return `${config.name}: ${config.path ?? ''}`;
}

export function objectSeries(compiled: CompiledEntry, object: ApiObject): ObjectSeries {
  const commonLabels: Record<string, string> = {};
  resolveLabels(compiled.common, object, undefined, commonLabels);
  const samples: Sample[][] = [];
  const counted: (string | undefined)[] = [];
  const problems: (string | undefined)[] = [];
  for (const metric of compiled.metrics) {
    if (metric.config.type === 'count') {
      const value = toLabel(evaluatePath(object, metric.path as readonly PathSegment[]));
      counted.push(value === '' ? undefined : value);
      samples.push([]);
      problems.push(undefined);
      continue;
    }
    counted.push(undefined);
    const result = metricSamples(metric, object, commonLabels);
    samples.push(result.samples);
    problems.push(result.problem);
  }
  return { samples, counted, problems };
}
