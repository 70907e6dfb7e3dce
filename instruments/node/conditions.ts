/**
 * Node health from conditions. The default is the original's rule (pkg/collector/node/node.go):
 * healthy when Ready is True and none of MemoryPressure, DiskPressure, PIDPressure and
 * NetworkUnavailable is True. `strictConditions` takes the node-condition convention instead:
 * Ready is good when True and every other condition, node-problem-detector's (KernelDeadlock)
 * among them, is good when False, so Unknown counts against a node either way.
 */
import type { ApiObject } from '../../lib/instrument.js';

export interface Condition {
  readonly type: string;
  readonly status: string;
}

export interface LeanNode {
  readonly name: string;
  /** metadata.creationTimestamp in ms; NaN when absent or unreadable. */
  readonly createdMs: number;
  readonly conditions: readonly Condition[];
}

/** What the node instrument keeps of a Node: name, creation time and condition types and statuses. */
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
  const created = (object.metadata as { creationTimestamp?: unknown }).creationTimestamp;
  return {
    name: object.metadata.name,
    createdMs: typeof created === 'string' ? Date.parse(created) : Number.NaN,
    conditions,
  };
}

const PRESSURE = new Set(['MemoryPressure', 'DiskPressure', 'PIDPressure', 'NetworkUnavailable']);

export interface NodeHealth {
  readonly healthy: boolean;
  /** The conditions exported for an unhealthy node. */
  readonly abnormal: readonly Condition[];
}

/** The original's rule, its list of abnormal conditions included (other types not False). */
export function originalHealth(node: LeanNode): NodeHealth {
  let ready = false;
  let pressure = false;
  const abnormal: Condition[] = [];
  for (const condition of node.conditions) {
    if (condition.type === 'Ready') {
      if (condition.status === 'True') ready = true;
      else abnormal.push(condition);
    } else if (PRESSURE.has(condition.type)) {
      if (condition.status === 'True') {
        pressure = true;
        abnormal.push(condition);
      }
    } else if (condition.status !== 'False') abnormal.push(condition);
  }
  return { healthy: ready && !pressure, abnormal };
}

/**
 * The node-condition convention. A node that has posted no Ready condition counts as
 * Ready=Unknown, which is what the node controller sets when a kubelet stops reporting.
 */
export function strictHealth(node: LeanNode): NodeHealth {
  const abnormal = node.conditions.filter((c) =>
    c.type === 'Ready' ? c.status !== 'True' : c.status !== 'False',
  );
  if (!node.conditions.some((c) => c.type === 'Ready'))
    abnormal.unshift({ type: 'Ready', status: 'Unknown' });
  return { healthy: abnormal.length === 0, abnormal };
}

/** Ready is True: the nodes the original checks for kubelet metrics. */
export function isReady(node: LeanNode): boolean {
  return node.conditions.find((c) => c.type === 'Ready')?.status === 'True';
}

/**
 * The `status` label: the Kubernetes spelling, which the original's dashboard queries
 * (`status="True"`); the original's code lower-cased it, and anything else was `unknown`.
 */
export function statusLabel(status: string): 'True' | 'False' | 'Unknown' {
  return status === 'True' || status === 'False' ? status : 'Unknown';
}
