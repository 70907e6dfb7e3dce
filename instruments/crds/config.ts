import { z } from 'zod';
import { duration } from '../../lib/config/duration.js';
import { MAX_CONFIG_BYTES, readNamedFileSync } from '../../lib/config/named-file.js';
import { ignoredKeys, type KsmDocument, readKsmDocument } from './ksm-config.js';
import { compileResource, KsmConfigError } from './ksm-series.js';
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
    type: z
      .enum(METRIC_TYPES, {
        error: (issue) => `unknown metric type "${String(issue.input)}" (one of ${METRIC_TYPES.join(', ')})`,
      })
      .meta({
        description: `${METRIC_TYPES.map((type) => `\`${type}\``).join(', ')}: see "Metric types" below.`,
      }),
    name: z
      .string()
      .regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, 'must be a Prometheus metric name')
      .meta({
        description:
          'Exposed as `sealos_<name>` whatever `metrics.namespace` says, as the original names them; may not clash with any declared metric.',
      }),
    help: z.string().default('').meta({ description: 'Help text; empty: one is generated.' }),
    path: fieldPath.optional().meta({ description: 'The field read (every type but `info`).' }),
    labels: z
      .record(labelName, fieldPath)
      .default({})
      .meta({ description: 'More labels, name -> path (not on `count`).' }),
    valueLabel: labelName.optional().meta({
      description:
        'Label of the value: `value` for count, `state` for string_state and map_state when unset.',
    }),
    keyLabel: labelName
      .optional()
      .meta({ description: 'Label of the map key (map_state, map_gauge): `key` when unset.' }),
    valuePath: z.string().default('').meta({
      description: 'For maps of objects: the field of each entry holding its state or number.',
    }),
    condition: z
      .strictObject({
        typeField: z
          .string()
          .default('type')
          .meta({ description: "conditions: the field of a condition's type." }),
        statusField: z
          .string()
          .default('status')
          .meta({ description: 'conditions: the field of its status.' }),
        reasonField: z
          .string()
          .default('reason')
          .meta({ description: 'conditions: the field of its reason.' }),
      })
      .prefault({}),
    valueMapping: z
      .record(z.string(), z.number())
      .optional()
      .meta({ description: 'gauge: strings mapped to numbers, e.g. `{Running: 1, Failed: 0}`.' }),
    nilIsZero: z.boolean().default(true).meta({
      description:
        "gauge: a missing field reads 0 (the original's behaviour); `false` drops the series instead.",
    }),
    each: fieldPath.optional().meta({
      description:
        'gauge, info, string_state: one series per element of the list (or entry of the map) at this path; `path` and `labels` are then relative to it, and `@key` / `@index` as a label path give the map key or list index.',
    }),
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
  name: z.string().min(1).meta({ description: 'Unique; names the watch in logs and on the debug page.' }),
  gvr: z.strictObject({
    group: z.string().default('').meta({ description: 'API group; empty for the core group.' }),
    version: z.string().min(1).meta({ description: 'API version, e.g. `v1`.' }),
    resource: z
      .string()
      .regex(/^[a-z0-9][a-z0-9.-]*$/, 'must be the plural resource name, e.g. deployments')
      .meta({ description: 'The plural resource name, e.g. `clusters`.' }),
  }),
  namespaces: z.array(z.string().min(1)).default([]).meta({
    description: 'Namespaces to watch; empty watches all (the only choice for cluster-scoped resources).',
  }),
  resyncPeriod: duration('10m').optional().meta({
    description:
      "Accepted so the original chart's values load; it has no effect: series follow every watch event, and the shared informers resync every `performance.informerResyncPeriod`.",
  }),
  commonLabels: z
    .record(labelName, fieldPath)
    .default({})
    .meta({ description: 'Label name -> path, on every metric of the entry.' }),
  metrics: z.array(metric).min(1).meta({ description: 'The metrics of the entry (at least one).' }),
});

export const crdsConfig = z
  .strictObject({
    crds: z.array(crd).default([]).meta({ description: 'The resources watched, each with its metrics.' }),
    customResourceStateConfig: z
      .union([z.string(), z.record(z.string(), z.unknown())])
      .optional()
      .meta({
        description:
          "kube-state-metrics' Custom Resource State document (`kind: CustomResourceStateMetrics`), as its `--custom-resource-state-config` takes it: YAML text, or the mapping itself. Its series are kube-state-metrics' (see below). Wins over the file when both are set, as there.",
      }),
    customResourceStateConfigFile: z.string().optional().meta({
      description:
        "A file holding that document, as kube-state-metrics' `--custom-resource-state-config-file` (also a flag here); read at every load and watched like the config file.",
      file: true,
    }),
  })
  .prefault({})
  .superRefine((config, ctx) => {
    const { key, problems } = customResourceState(config);
    for (const problem of problems) ctx.addIssue({ code: 'custom', path: [key], message: problem });
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

interface CustomResourceStateSettings {
  readonly customResourceStateConfig?: string | Record<string, unknown> | undefined;
  readonly customResourceStateConfigFile?: string | undefined;
}

/** A config's Custom Resource State document, or what kube-state-metrics would refuse in it. */
export interface CustomResourceState {
  /** The key the document came from, which its problems are reported under. */
  readonly key: 'customResourceStateConfig' | 'customResourceStateConfigFile';
  /** Absent when the config has none, or when it has problems. */
  readonly document?: KsmDocument;
  /** The keys kube-state-metrics would ignore (warned, not refused). */
  readonly ignored: readonly string[];
  readonly problems: readonly string[];
}

// One read and parse per config object: validation, the metric listing and every leadership
// term see the same document (the validated object is the one the instrument is given).
const states = new WeakMap<CustomResourceStateSettings, CustomResourceState>();

/** The document of a crds section: inline, else from the file (read now), checked and compiled. */
export function customResourceState(config: CustomResourceStateSettings): CustomResourceState {
  let state = states.get(config);
  if (!state) {
    state = readCustomResourceState(config);
    states.set(config, state);
  }
  return state;
}

function readCustomResourceState(config: CustomResourceStateSettings): CustomResourceState {
  if (config.customResourceStateConfig !== undefined)
    return fromRaw('customResourceStateConfig', config.customResourceStateConfig);
  const key = 'customResourceStateConfigFile';
  const file = config.customResourceStateConfigFile;
  if (file === undefined || file === '') return { key, ignored: [], problems: [] };
  let raw: string;
  try {
    raw = readNamedFileSync(file, 'collectors.crds.customResourceStateConfigFile', MAX_CONFIG_BYTES).toString(
      'utf8',
    );
  } catch (error) {
    return { key, ignored: [], problems: [(error as Error).message] };
  }
  return fromRaw(key, raw);
}

/** What kube-state-metrics would refuse in the document (and names it cannot expose), else the document. */
function fromRaw(key: CustomResourceState['key'], raw: unknown): CustomResourceState {
  const read = readKsmDocument(raw);
  if (!read.ok) return { key, ignored: [], problems: read.problems };
  const problems: string[] = [];
  read.document.spec.resources.forEach((resource, index) => {
    const at = `spec.resources[${index}]`;
    if (resource.groupVersionKind.group === '' || resource.groupVersionKind.group === '*')
      problems.push(
        `${at}.groupVersionKind.group: required (kube-state-metrics resolves kinds and versions within one group)`,
      );
    try {
      compileResource(resource, resource.groupVersionKind, at);
    } catch (error) {
      if (!(error instanceof KsmConfigError)) throw error;
      problems.push(error.message);
    }
  });
  const ignored = ignoredKeys(read.input);
  return problems.length > 0
    ? { key, ignored, problems }
    : { key, document: read.document, ignored, problems };
}
