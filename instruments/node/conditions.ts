/**
 * Node health from conditions. By the node-condition convention, Ready is good when True and
 * every other condition (MemoryPressure, DiskPressure, PIDPressure, NetworkUnavailable, and those
 * node-problem-detector adds, e.g. KernelDeadlock) is good when False.
 */
import type { ApiObject } from '../../lib/instrument.js';

export interface Condition {
  readonly type: string;
  readonly status: string;
}

export interface LeanNode {
  readonly name: string;
  readonly conditions: readonly Condition[];
}

/** What the node instrument keeps of a Node: its name and condition types and statuses. */
export function leanNode(object: ApiObject): LeanNode {
  const raw = (object.status as { conditions?: unknown } | undefined)?.conditions;
  const conditions = Array.isArray(raw)
    ? raw
        .filter(
          (c): c is { type: string; status: string } =>
            typeof c?.type === 'string' && typeof c?.status === 'string',
        )
        .map((c) => ({ type: c.type, status: c.status }))
    : [];
  return { name: object.metadata.name, conditions };
}

/**
 * The conditions that make a node unhealthy. A node that has not posted Ready at all counts as
 * Ready=Unknown, which is what the node controller sets when a kubelet stops reporting.
 */
export function abnormalConditions(node: LeanNode): Condition[] {
  const abnormal = node.conditions.filter((c) =>
    c.type === 'Ready' ? c.status !== 'True' : c.status !== 'False',
  );
  if (!node.conditions.some((c) => c.type === 'Ready'))
    abnormal.unshift({ type: 'Ready', status: 'Unknown' });
  return abnormal;
}
