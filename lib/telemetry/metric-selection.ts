/**
 * Which metrics are exposed, as kube-state-metrics' --metric-allowlist / --metric-denylist decide
 * it (pkg/allowdenylist): regular expressions matched anywhere in the exposed name (unanchored,
 * so `pod_info` also takes `sealos_pod_info_x`; anchor with ^ and $ for exact names), at most one
 * of the two lists set, both empty exposing everything. A metric left out is never registered, so
 * it costs nothing at scrape or export time.
 */

export interface MetricLists {
  readonly allowlist: readonly string[];
  readonly denylist: readonly string[];
}

/** The pattern's compile error, or undefined when it is a valid regular expression. */
export function patternProblem(pattern: string): string | undefined {
  try {
    new RegExp(pattern, 'u');
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

/**
 * Whether the metric with sample name `name` (as Prometheus shows it, `_total` on counters) is
 * exposed under `lists`, which the schema has checked. The lists choose among the instruments'
 * metrics: a self-metric always stays, as the alerts stand on them.
 */
export function metricSelection(lists: MetricLists): (name: string, selfMetric?: boolean) => boolean {
  const allowing = lists.allowlist.length > 0;
  const patterns = (allowing ? lists.allowlist : lists.denylist).map((pattern) => new RegExp(pattern, 'u'));
  return (name, selfMetric = false) =>
    selfMetric || patterns.some((pattern) => pattern.test(name)) === allowing;
}
