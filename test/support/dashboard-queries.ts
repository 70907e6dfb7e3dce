/** The queries of a Grafana dashboard, for the tests that check them against our metrics. */

export interface DashboardQuery {
  /** The panel's title, or `$name` for a template variable. */
  readonly panel: string;
  readonly expr: string;
  readonly legend: string;
}

/** Every query (panels, rows' panels, template variables' label_values), with where it stands. */
export function dashboardQueries(node: unknown, panel = '', found: DashboardQuery[] = []): DashboardQuery[] {
  if (Array.isArray(node)) for (const item of node) dashboardQueries(item, panel, found);
  else if (node && typeof node === 'object') {
    const record = node as Record<string, unknown>;
    const title =
      typeof record.title === 'string'
        ? record.title
        : typeof record.name === 'string'
          ? `$${record.name}`
          : panel;
    if (typeof record.expr === 'string')
      found.push({ panel, expr: record.expr, legend: String(record.legendFormat ?? '') });
    if (typeof record.query === 'string' && record.query.includes('label_values'))
      found.push({ panel, expr: record.query, legend: '' });
    for (const value of Object.values(record)) dashboardQueries(value, title, found);
  }
  return found;
}
