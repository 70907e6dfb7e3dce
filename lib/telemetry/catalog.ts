/**
 * Every metric this build can expose, derived from the declarations: for the CLI listing, the
 * README table and the tests that pin names.
 */
import { instruments } from '../../instruments/index.js';
import { switchedOn } from '../config/metric-switches.js';
import { exposedName, type MetricDeclaration } from './declaration.js';
import { type MetricLists, metricSelection } from './metric-selection.js';
import { sampleNameOf } from './sample-text.js';
import { selfMetrics } from './self-metrics.js';

export interface CatalogEntry {
  readonly name: string;
  readonly type: 'gauge' | 'counter';
  readonly unit: string;
  readonly labels: readonly string[];
  readonly help: string;
  /** `framework` for self-metrics, else the instrument (collector) name. */
  readonly source: string;
  /** Whether a config exposes it; absent where no config applies. */
  readonly enabled?: boolean;
  /** What in the config leaves it out, where it is. */
  readonly disabledBy?: string;
}

/** A declaration's catalog entry under a namespace, from `source`. */
const catalogEntry =
  (namespace: string, source: string) =>
  (declaration: MetricDeclaration): CatalogEntry => ({
    name: sampleNameOf({ exposedName: exposedName(declaration, namespace), declaration }),
    type: declaration.kind,
    unit: declaration.unit,
    labels: declaration.labels,
    help: declaration.help,
    source,
  });

export function metricCatalog(namespace = 'sealos'): CatalogEntry[] {
  const entry = (source: string) => catalogEntry(namespace, source);
  return [
    ...selfMetrics.map(entry('framework')),
    ...instruments.flatMap((definition) => definition.metrics.map(entry(definition.name))),
  ];
}

/**
 * The catalog as a config exposes it: each entry enabled or not, and why not (its switch under
 * `collectors.<instrument>.metrics`, or the allow/deny lists).
 */
export function configuredCatalog(config: {
  readonly collectors: Readonly<Record<string, unknown>>;
  readonly metrics: MetricLists & { readonly namespace: string };
  readonly enabledCollectors: readonly string[];
}): CatalogEntry[] {
  const { collectors, metrics: lists } = config;
  const namespace = lists.namespace;
  const exposed = metricSelection(lists);
  /** The entry as the config leaves it: on, or off by `disabledBy`. */
  const judged = (entry: CatalogEntry, disabledBy: string | undefined): CatalogEntry =>
    disabledBy === undefined ? { ...entry, enabled: true } : { ...entry, enabled: false, disabledBy };
  const listed = (entry: CatalogEntry) => (exposed(entry.name) ? undefined : 'metrics.allowlist/denylist');
  return [
    // The lists never leave a self-metric out.
    ...selfMetrics.map((declaration) => judged(catalogEntry(namespace, 'framework')(declaration), undefined)),
    ...instruments.flatMap((definition) =>
      definition.metrics.map((declaration) => {
        const entry = catalogEntry(namespace, definition.name)(declaration);
        if (switchedOn(collectors[definition.name], declaration)) return judged(entry, listed(entry));
        const key = `collectors.${definition.name}.metrics.${declaration.name}.enabled`;
        return judged(entry, declaration.optIn ? `default: opt-in, set ${key}` : key);
      }),
    ),
    // And the metrics the config itself defines (crds' entries, a Custom Resource State document).
    ...instruments.flatMap((definition) => {
      const section = collectors[definition.name];
      if (!definition.configuredMetrics || section === undefined) return [];
      return definition.configuredMetrics(section as never).map((declaration) => {
        const entry = catalogEntry(namespace, `${definition.name} (configured)`)(declaration);
        return judged(
          entry,
          config.enabledCollectors.includes(definition.name) ? listed(entry) : 'enabledCollectors',
        );
      });
    }),
  ];
}

export function catalogMarkdown(entries: readonly CatalogEntry[]): string {
  const rows = entries.map(
    (e) =>
      `| \`${e.name}\` | ${e.type} | \`${e.unit}\` | ${e.labels.map((l) => `\`${l}\``).join(', ') || '-'} | ${e.source} | ${e.help.replaceAll('|', '\\|')} |`,
  );
  return ['| metric | type | unit | labels | from | help |', '|---|---|---|---|---|---|', ...rows].join('\n');
}

export function catalogText(entries: readonly CatalogEntry[]): string {
  return entries
    .map(
      (e) =>
        `${e.name} (${e.type}, unit ${e.unit}) {${e.labels.join(', ')}} [${e.source}]${e.enabled === false ? ` (disabled by ${e.disabledBy ?? 'the config'})` : ''}\n    ${e.help}`,
    )
    .join('\n');
}
