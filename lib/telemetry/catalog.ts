/**
 * Every metric this build can expose, derived from the declarations: for the CLI listing, the
 * README table and the tests that pin names.
 */
import { instruments } from '../../instruments/index.js';
import { exposedName } from './declaration.js';
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
  /** Whether a config's metric lists expose it; absent where no config applies. */
  readonly enabled?: boolean;
}

export function metricCatalog(namespace = 'sealos'): CatalogEntry[] {
  const entry = (source: string) => (declaration: (typeof instruments)[number]['metrics'][number]) => ({
    name: sampleNameOf({ exposedName: exposedName(declaration, namespace), declaration }),
    type: declaration.kind,
    unit: declaration.unit,
    labels: declaration.labels,
    help: declaration.help,
    source,
  });
  return [
    ...selfMetrics.map(entry('framework')),
    ...instruments.flatMap((definition) => definition.metrics.map(entry(definition.name))),
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
        `${e.name} (${e.type}, unit ${e.unit}) {${e.labels.join(', ')}} [${e.source}]${e.enabled === false ? ' (disabled by metrics.allowlist/denylist)' : ''}\n    ${e.help}`,
    )
    .join('\n');
}
