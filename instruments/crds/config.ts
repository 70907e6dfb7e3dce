import { z } from 'zod';
import { duration } from '../../lib/config/duration.js';
import { PathError, parsePath } from './path.js';

export const METRIC_TYPES = [
  'info',
  'gauge',
  'count',
  'string_state',
  'map_state',
  'map_gauge',
  'conditions',
] as const;
export type MetricType = (typeof METRIC_TYPES)[number];

const labelName = z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, 'must be a Prometheus label name');

/** A field path, checked at validation so a typo is a config error, not a silent empty series. */
const fieldPath = z.string().superRefine((text, ctx) => {
  try {
    parsePath(text);
  } catch (error) {
    if (!(error instanceof PathError)) throw error;
    ctx.addIssue({ code: 'custom', message: `path "${text}" ${error.message}` });
  }
});

const metric = z
  .strictObject({
    type: z.enum(METRIC_TYPES, {
      error: (issue) => `unknown metric type "${String(issue.input)}" (one of ${METRIC_TYPES.join(', ')})`,
    }),
    /** Exposed as `<metrics.namespace>_<name>`. */
    name: z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, 'must be a Prometheus metric name'),
    help: z.string().default(''),
    /** The field read (not used by info). */
    path: fieldPath.optional(),
    /** Extra labels from fields (info's labels; allowed on every type). */
    labels: z.record(labelName, fieldPath).default({}),
    /** Label name of the value (count: `value`, string_state: `state`, map_state: `state`). */
    valueLabel: labelName.optional(),
    /** Label name of the map key (map_state, map_gauge: `key`). */
    keyLabel: labelName.optional(),
    /** For maps of objects: the field of each entry holding its state or number. */
    valuePath: z.string().default(''),
    /** conditions: field names inside each condition. */
    condition: z
      .strictObject({
        typeField: z.string().default('type'),
        statusField: z.string().default('status'),
        reasonField: z.string().default('reason'),
      })
      .prefault({}),
    /** gauge: strings mapped to numbers, e.g. { Running: 1, Failed: 0 }. */
    valueMapping: z.record(z.string(), z.number()).optional(),
    /** gauge: a missing field reads 0 (the original's behaviour); false drops the series instead. */
    nilIsZero: z.boolean().default(true),
    /**
     * gauge, info, string_state: one series per element of the list (or entry of the map) at this
     * path; `path` and `labels` are then relative to the element, and `@key` / `@index` as a label
     * path give the map key or list index.
     */
    each: fieldPath.optional(),
  })
  .superRefine((entry, ctx) => {
    if (entry.type !== 'info' && entry.path === undefined) {
      ctx.addIssue({ code: 'custom', path: ['path'], message: `a ${entry.type} metric needs a path` });
    }
    if (entry.each !== undefined && !['gauge', 'info', 'string_state'].includes(entry.type)) {
      ctx.addIssue({
        code: 'custom',
        path: ['each'],
        message: `each works with gauge, info and string_state, not ${entry.type}`,
      });
    }
    if (entry.type === 'count' && Object.keys(entry.labels).length > 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['labels'],
        message: 'count series are labelled by the counted value only',
      });
    }
    if (entry.valueMapping && entry.type !== 'gauge') {
      ctx.addIssue({ code: 'custom', path: ['valueMapping'], message: 'valueMapping works with gauge only' });
    }
  });

const crd = z.strictObject({
  /** Unique; names the watch in logs and the debug page. */
  name: z.string().min(1),
  gvr: z.strictObject({
    /** Empty for the core group. */
    group: z.string().default(''),
    version: z.string().min(1),
    resource: z.string().regex(/^[a-z0-9][a-z0-9.-]*$/, 'must be the plural resource name, e.g. deployments'),
  }),
  /** Empty watches all namespaces (and is the only choice for cluster-scoped resources). */
  namespaces: z.array(z.string().min(1)).default([]),
  /**
   * Accepted so the original chart's values load unchanged. Series here follow every watch event
   * and informers are shared, so there is nothing to resync per entry (the shared informers'
   * resync is performance.informerResyncPeriod).
   */
  resyncPeriod: duration('10m').optional(),
  /** label name -> path, on every metric of this entry. */
  commonLabels: z.record(labelName, fieldPath).default({}),
  metrics: z.array(metric).min(1),
});

export const crdsConfig = z
  .strictObject({
    crds: z.array(crd).default([]),
  })
  .prefault({})
  .superRefine((config, ctx) => {
    const names = new Set<string>();
    config.crds.forEach((entry, index) => {
      if (names.has(entry.name))
        ctx.addIssue({
          code: 'custom',
          path: ['crds', index, 'name'],
          message: `"${entry.name}" is used twice`,
        });
      names.add(entry.name);
    });
    const metricNames = new Map<string, string>();
    config.crds.forEach((entry, index) => {
      entry.metrics.forEach((m, metricIndex) => {
        const other = metricNames.get(m.name);
        if (other) {
          ctx.addIssue({
            code: 'custom',
            path: ['crds', index, 'metrics', metricIndex, 'name'],
            message: `"${m.name}" is already defined by ${other}`,
          });
        }
        metricNames.set(m.name, `crds entry "${entry.name}"`);
        const labels = [...Object.keys(entry.commonLabels), ...Object.keys(m.labels)];
        if (new Set(labels).size !== labels.length) {
          ctx.addIssue({
            code: 'custom',
            path: ['crds', index, 'metrics', metricIndex, 'labels'],
            message: 'repeats a label of commonLabels',
          });
        }
      });
    });
  });

export type CrdsConfig = z.output<typeof crdsConfig>;
export type CrdEntry = CrdsConfig['crds'][number];
export type CrdMetric = CrdEntry['metrics'][number];
