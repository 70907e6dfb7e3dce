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
  const byName = new Map(
    instruments.flatMap((definition) =>
      definition.metrics.map((declaration) => [
        sampleNameOf({ exposedName: exposedName(declaration, namespace), declaration }),
        { definition, declaration },
      ]),
    ),
  );
  const declaredEntries = metricCatalog(namespace).map((entry) => {
    const declared = byName.get(entry.name);
    if (declared && !switchedOn(collectors[declared.definition.name], declared.declaration)) {
      const key = `collectors.${declared.definition.name}.metrics.${declared.declaration.name}.enabled`;
      return {
        ...entry,
        enabled: false,
        disabledBy: declared.declaration.optIn ? `default: opt-in, set ${key}` : key,
      };
    }
    if (!exposed(entry.name, entry.source === 'framework'))
      return { ...entry, enabled: false, disabledBy: 'metrics.allowlist/denylist' };
    return { ...entry, enabled: true };
  });
  // And the metrics the config itself defines (crds' entries, a Custom Resource State document).
  const configured = instruments.flatMap((definition) => {
    const section = collectors[definition.name];
    if (!definition.configuredMetrics || section === undefined) return [];
    return definition.configuredMetrics(section as never).map((declaration) => {
      const entry = catalogEntry(namespace, `${definition.name} (configured)`)(declaration);
      if (!config.enabledCollectors.includes(definition.name))
        return { ...entry, enabled: false, disabledBy: 'enabledCollectors' };
      if (!exposed(entry.name)) return { ...entry, enabled: false, disabledBy: 'metrics.allowlist/denylist' };
      return { ...entry, enabled: true };
    });
  });
  return [...declaredEntries, ...configured];
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
