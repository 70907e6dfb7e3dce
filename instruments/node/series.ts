/**
 * What the node instrument exports for one Node, as pure functions of it under a health rule
 * (the original's, or the strict one): its health and, when unhealthy, its abnormal conditions.
 * Table tests: series.test.ts.
 */
import type { Observe } from '../../lib/instrument.js';
import { type LeanNode, type NodeHealth, statusLabel } from './conditions.js';
import type { nodeCondition, nodeHealthy } from './metrics.js';

export type HealthRule = (node: LeanNode) => NodeHealth;

/** 1 for a healthy node, 0 for an unhealthy one. */
export function healthySeries(rule: HealthRule) {
  return (node: LeanNode, observe: Observe<typeof nodeHealthy>): void =>
    observe(rule(node).healthy ? 1 : 0, { node: node.name });
}

/** For an unhealthy node, each abnormal condition: 1 when its status is True, else 0. */
export function conditionSeries(rule: HealthRule) {
  return (node: LeanNode, observe: Observe<typeof nodeCondition>): void => {
    const { healthy, abnormal } = rule(node);
    if (healthy) return;
    for (const condition of abnormal) {
      observe(condition.status === 'True' ? 1 : 0, {
        node: node.name,
        condition: condition.type,
        status: statusLabel(condition.status),
      });
    }
  };
}
