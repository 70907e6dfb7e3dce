/**
 * kube-state-metrics' `CustomResourceStateMetrics` document (pkg/customresourcestate/config.go),
 * read as its Go YAML decoder reads it: scalars where strings are due become their text, null
 * becomes the zero value, a wrong shape (a string where a list is due) is refused naming the
 * field. Keys it does not know are ignored by kube-state-metrics; here they are reported as
 * warnings, so a misspelt key is seen without refusing a document kube-state-metrics loads.
 */
import { parseDocument } from 'yaml';
import { z } from 'zod';

/** What Go's yaml.v3 puts in a string field: the scalar's text; null is "". */
const goString = z
  .union([z.string(), z.number(), z.boolean(), z.null()])
  .transform((value) => (value === null ? '' : String(value)));
const goStrings = z
  .array(goString)
  .nullish()
  .transform((value) => value ?? []);
/** A bool field takes YAML 1.1's words too, as yaml.v3 decodes into a bool. */
const goBool = z
  .union([
    z.boolean(),
    z.enum([
      'y',
      'Y',
      'yes',
      'Yes',
      'YES',
      'on',
      'On',
      'ON',
      'n',
      'N',
      'no',
      'No',
      'NO',
      'off',
      'Off',
      'OFF',
    ]),
    z.null(),
  ])
  .optional()
  .transform((value) => value === true || (typeof value === 'string' && /^(y|yes|on)$/i.test(value)));
const level = z
  .number()
  .int()
  .min(-(2 ** 31))
  .max(2 ** 31 - 1)
  .nullish()
  .transform((value) => value ?? 0);
const labelsFromPath = z
  .record(z.string(), goStrings)
  .nullish()
  .transform((value) => value ?? {});
const commonLabels = z
  .record(z.string(), goString)
  .nullish()
  .transform((value) => value ?? {});

const meta = { path: goStrings, labelsFromPath };
const gauge = z.object({
  ...meta,
  labelFromKey: goString.optional().transform((v) => v ?? ''),
  valueFrom: goStrings,
  nilIsZero: goBool,
});
const info = z.object({ ...meta, labelFromKey: goString.optional().transform((v) => v ?? '') });
const stateSet = z.object({
  ...meta,
  list: goStrings,
  labelName: goString.optional().transform((v) => v ?? ''),
  valueFrom: goStrings,
});

const generator = z.object({
  name: goString.optional().transform((v) => v ?? ''),
  help: goString.optional().transform((v) => v ?? ''),
  errorLogV: level,
  commonLabels,
  labelsFromPath,
  each: z
    .object({
      type: goString.optional().transform((v) => (v ?? '').toLowerCase()),
      gauge: gauge.nullish(),
      stateSet: stateSet.nullish(),
      info: info.nullish(),
    })
    .nullish()
    .transform((value) => value ?? { type: '', gauge: undefined, stateSet: undefined, info: undefined }),
});

const resource = z.object({
  groupVersionKind: z
    .object({
      group: goString.optional().transform((v) => v ?? ''),
      version: goString.optional().transform((v) => v ?? ''),
      kind: goString.optional().transform((v) => v ?? ''),
    })
    .nullish()
    .transform((value) => value ?? { group: '', version: '', kind: '' }),
  /** Absent or null: kube-state-metrics' `kube_customresource`; "" for none. */
  metricNamePrefix: z
    .union([z.string(), z.number(), z.boolean()])
    .nullish()
    .transform((v) => (v === null || v === undefined ? null : String(v))),
  resourcePlural: goString.optional().transform((v) => v ?? ''),
  errorLogV: level,
  commonLabels,
  labelsFromPath,
  metrics: z
    .array(generator)
    .nullish()
    .transform((value) => value ?? []),
});

export const ksmDocument = z.object({
  kind: goString.optional(),
  spec: z
    .object({
      resources: z
        .array(resource)
        .nullish()
        .transform((value) => value ?? []),
    })
    .nullish()
    .transform((value) => value ?? { resources: [] }),
});

export type KsmDocument = z.output<typeof ksmDocument>;
export type KsmResource = KsmDocument['spec']['resources'][number];
export type KsmGenerator = KsmResource['metrics'][number];

/** The keys kube-state-metrics reads at each level; anything else it ignores. */
const KNOWN: Readonly<Record<string, readonly string[]>> = {
  document: ['kind', 'spec'],
  spec: ['resources'],
  resource: [
    'groupVersionKind',
    'metricNamePrefix',
    'resourcePlural',
    'errorLogV',
    'commonLabels',
    'labelsFromPath',
    'metrics',
  ],
  groupVersionKind: ['group', 'version', 'kind'],
  metric: ['name', 'help', 'errorLogV', 'commonLabels', 'labelsFromPath', 'each'],
  each: ['type', 'gauge', 'stateSet', 'info'],
  gauge: ['path', 'labelsFromPath', 'labelFromKey', 'valueFrom', 'nilIsZero'],
  info: ['path', 'labelsFromPath', 'labelFromKey'],
  stateSet: ['path', 'labelsFromPath', 'list', 'labelName', 'valueFrom'],
};

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** `spec.resources[0].metrics[1].each.gauge.value`: the keys kube-state-metrics would ignore. */
export function ignoredKeys(input: unknown): string[] {
  const found: string[] = [];
  const check = (value: unknown, level: string, at: string) => {
    if (!isRecord(value)) return;
    for (const key of Object.keys(value))
      if (!(KNOWN[level] as readonly string[]).includes(key)) found.push(at ? `${at}.${key}` : key);
  };
  check(input, 'document', '');
  if (!isRecord(input) || !isRecord(input.spec)) return found;
  check(input.spec, 'spec', 'spec');
  const resources = Array.isArray(input.spec.resources) ? input.spec.resources : [];
  resources.forEach((resource: unknown, r) => {
    const at = `spec.resources[${r}]`;
    check(resource, 'resource', at);
    if (!isRecord(resource)) return;
    check(resource.groupVersionKind, 'groupVersionKind', `${at}.groupVersionKind`);
    const metrics = Array.isArray(resource.metrics) ? resource.metrics : [];
    metrics.forEach((metric: unknown, m) => {
      const metricAt = `${at}.metrics[${m}]`;
      check(metric, 'metric', metricAt);
      if (!isRecord(metric) || !isRecord(metric.each)) return;
      check(metric.each, 'each', `${metricAt}.each`);
      for (const type of ['gauge', 'info', 'stateSet'])
        check(metric.each[type], type, `${metricAt}.each.${type}`);
    });
  });
  return found;
}

/** `spec.resources[0].metrics[1].name` from a zod issue path. */
export function documentPath(path: readonly PropertyKey[]): string {
  return path
    .map((part, index) =>
      typeof part === 'number' ? `[${part}]` : `${index === 0 ? '' : '.'}${String(part)}`,
    )
    .join('');
}

/**
 * The document from what a user gave: YAML (or JSON) text, as `--custom-resource-state-config`
 * takes it, or the mapping itself. Problems name the field; parse errors the line.
 */
export function readKsmDocument(
  raw: unknown,
): { ok: true; document: KsmDocument; input: unknown } | { ok: false; problems: string[] } {
  let input = raw;
  if (typeof raw === 'string') {
    const parsed = parseDocument(raw, { uniqueKeys: true, prettyErrors: true });
    if (parsed.errors.length > 0) {
      return {
        ok: false,
        problems: parsed.errors.map((error) => {
          const at = error.linePos?.[0];
          return `${at ? `line ${at.line}, column ${at.col}: ` : ''}${error.message.split('\n')[0]}`;
        }),
      };
    }
    try {
      input = parsed.toJS({ maxAliasCount: 100 }) ?? {};
    } catch (error) {
      return { ok: false, problems: [(error as Error).message.split('\n')[0] as string] };
    }
  }
  if (!isRecord(input)) return { ok: false, problems: ['must be a mapping with spec.resources'] };
  const result = ksmDocument.safeParse(input);
  if (!result.success) {
    return {
      ok: false,
      problems: result.error.issues.map(
        (issue) => `${documentPath(issue.path) || '(document)'}: ${issue.message}`,
      ),
    };
  }
  return { ok: true, document: result.data, input };
}
