/**
 * The shipped Grafana dashboard (the original's queries, unchanged) is the compatibility contract: every
 * metric its queries name must be declared, and every label they match on, group by, list values
 * of or print in a legend must be one of that metric's labels.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { metricCatalog } from '../lib/telemetry/catalog.js';
import { dashboardQueries } from './support/dashboard-queries.js';

const METRIC = /\b((?:sealos|state_metric)_[a-z0-9_]+)\b/g;

type Catalog = ReadonlyMap<string, ReadonlySet<string>>;

/** What the dashboard asks for that the catalog lacks, and how many labels were checked. */
export function dashboardProblems(
  dashboard: unknown,
  catalog: Catalog,
): { problems: string[]; checked: number } {
  const problems: string[] = [];
  let checked = 0;
  for (const { expr, legend } of dashboardQueries(dashboard)) {
    const metrics = [...expr.matchAll(METRIC)].map((m) => m[1] as string);
    for (const metric of metrics)
      if (!catalog.has(metric)) problems.push(`${metric} is not declared (in: ${expr})`);
    const labelsOf = (metric: string) => catalog.get(metric) ?? new Set<string>();
    // No exported_<name>: Prometheus makes one only when a scraped label collides with a target
    // label and honor_labels is off (the chart's monitors set it), and then the dashboard's own
    // `endpoint` matchers would select the target's label instead.
    const anyHas = (label: string) => metrics.some((metric) => labelsOf(metric).has(label));
    for (const [, metric, matchers] of expr.matchAll(
      /\b((?:sealos|state_metric)_[a-z0-9_]+)\s*\{([^}]*)\}/g,
    )) {
      for (const [, label] of (matchers as string).matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)/g)) {
        checked += 1;
        if (!labelsOf(metric as string).has(label as string))
          problems.push(`${metric} has no label "${label}" (in: ${expr})`);
      }
    }
    for (const [, list] of expr.matchAll(
      /\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)/g,
    )) {
      for (const label of (list as string)
        .split(',')
        .map((l) => l.trim())
        .filter(Boolean)) {
        checked += 1;
        if (!anyHas(label)) problems.push(`no metric of "${expr}" has label "${label}"`);
      }
    }
    for (const [, metric, label] of expr.matchAll(
      /label_values\(\s*([a-z0-9_]+)\s*,\s*([a-zA-Z0-9_]+)\s*\)/g,
    )) {
      checked += 1;
      if (!labelsOf(metric as string).has(label as string))
        problems.push(`label_values: ${metric} has no label "${label}"`);
    }
    for (const [, label] of legend.matchAll(/\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}/g)) {
      checked += 1;
      if (!anyHas(label as string)) problems.push(`legend {{${label}}}: no metric of "${expr}" has it`);
    }
  }
  return { problems, checked };
}

const ourCatalog: Catalog = new Map(
  metricCatalog('sealos').map((entry) => [entry.name, new Set(entry.labels)]),
);

/** The shipped dashboards, with how many queries and label uses each has at least. */
const DASHBOARDS = [
  // The original's, its queries unchanged.
  { file: 'grafana-dashboard.json', queries: 40, labels: 50 },
  // Ours beside it: reasons, expiry and self-health.
  { file: 'grafana-dashboard-reasons.json', queries: 18, labels: 25 },
];

for (const { file, queries, labels } of DASHBOARDS) {
  test(`every metric and label ${file} queries exists in our declarations`, async () => {
    const dashboard = JSON.parse(await readFile(new URL(`../deploy/${file}`, import.meta.url), 'utf8'));
    assert.ok(
      dashboardQueries(dashboard).length >= queries,
      `the dashboard queries were found (${dashboardQueries(dashboard).length})`,
    );
    const { problems, checked } = dashboardProblems(dashboard, ourCatalog);
    assert.ok(checked >= labels, `labels were checked (${checked})`);
    assert.deepEqual(problems, []);
  });
}

test('the checker reports a missing metric, a missing label, a bad group-by and a bad legend', () => {
  const dashboard = {
    panels: [
      {
        targets: [
          { expr: 'sum by (zone) (sealos_node_healthy{node=~"$node",pool="a"})', legendFormat: '{{rack}}' },
        ],
      },
      { targets: [{ expr: 'sealos_database_connectivities' }] },
      { templating: { list: [{ query: 'label_values(sealos_node_healthy, cluster)' }] } },
    ],
  };
  const { problems } = dashboardProblems(dashboard, ourCatalog);
  assert.deepEqual(
    problems.map((p) => p.split(' (in')[0]?.split(': no metric')[0]),
    [
      'sealos_node_healthy has no label "pool"',
      'no metric of "sum by (zone) (sealos_node_healthy{node=~"$node",pool="a"})" has label "zone"',
      'legend {{rack}}',
      'sealos_database_connectivities is not declared',
      'label_values: sealos_node_healthy has no label "cluster"',
    ],
  );
});
