/**
 * The oracle for how a collection is cut into OTLP requests: the SDK's MetricDataSplitter rule
 * (metric by metric, in order, at most `limit` points a request, a metric split across requests
 * when it does not fit), on objects. The stream encoder cuts encoded bytes; tests compare the two.
 */
import type { MetricData, ResourceMetrics, ScopeMetrics } from '@opentelemetry/sdk-metrics';

export function splitByPoints(metrics: ResourceMetrics, limit: number): ResourceMetrics[] {
  const batches: ResourceMetrics[] = [];
  let current: ScopeMetrics[] = [];
  let points = 0;
  const close = () => {
    if (current.length > 0) batches.push({ resource: metrics.resource, scopeMetrics: current });
    current = [];
    points = 0;
  };
  for (const scope of metrics.scopeMetrics) {
    for (const metric of scope.metrics) {
      const dataPoints = metric.dataPoints as unknown[];
      let start = 0;
      while (start < dataPoints.length) {
        if (points >= limit) close();
        const take = Math.min(limit - points, dataPoints.length - start);
        const part = { ...metric, dataPoints: dataPoints.slice(start, start + take) } as MetricData;
        const last = current.at(-1);
        if (last && last.scope === scope.scope) last.metrics.push(part);
        else current.push({ scope: scope.scope, metrics: [part] });
        points += take;
        start += take;
      }
    }
  }
  close();
  return batches;
}
