/**
 * kube-state-metrics' automatic sharding (pkg/metricshandler): this pod's StatefulSet, found by
 * the pod's controller reference, gives the shard count (its replicas) and the pod's ordinal (its
 * name after `<statefulset>-`) the shard.
 */
import type { ClusterAccess } from '../instrument.js';
import type { ShardSpec } from './shard.js';

interface OwnerReference {
  readonly kind?: string;
  readonly name?: string;
  readonly controller?: boolean;
}

export interface StatefulSetShard extends ShardSpec {
  readonly statefulSet: string;
}

/** The ordinal in `podName` of a pod of StatefulSet `statefulSet`; undefined when it has none. */
export function ordinalOf(statefulSet: string, podName: string): number | undefined {
  if (!podName.startsWith(`${statefulSet}-`)) return undefined;
  const text = podName.slice(statefulSet.length + 1);
  return /^\d{1,9}$/.test(text) ? Number(text) : undefined;
}

const path = (namespace: string, kind: 'pods' | 'statefulsets', name: string) =>
  `/${kind === 'pods' ? 'api/v1' : 'apis/apps/v1'}/namespaces/${encodeURIComponent(namespace)}/${kind}/${encodeURIComponent(name)}`;

/** Reads the pod and its StatefulSet; an error names what is missing. */
export async function shardFromStatefulSet(
  cluster: ClusterAccess,
  namespace: string,
  podName: string,
): Promise<StatefulSetShard> {
  if (podName === '' || namespace === '')
    throw new Error('sharding.fromStatefulSet: needs POD_NAME and POD_NAMESPACE (the Downward API)');
  const pod = await cluster
    .get<{ metadata?: { ownerReferences?: OwnerReference[] } }>(path(namespace, 'pods', podName))
    .catch((error: Error) => {
      throw new Error(`sharding.fromStatefulSet: cannot read pod ${namespace}/${podName}: ${error.message}`);
    });
  const owner = (pod.metadata?.ownerReferences ?? []).find(
    (reference) => reference.kind === 'StatefulSet' && reference.controller === true,
  );
  if (!owner?.name)
    throw new Error(
      `sharding.fromStatefulSet: pod ${namespace}/${podName} is not controlled by a StatefulSet`,
    );
  const statefulSet = await cluster
    .get<{ spec?: { replicas?: number } }>(path(namespace, 'statefulsets', owner.name))
    .catch((error: Error) => {
      throw new Error(
        `sharding.fromStatefulSet: cannot read StatefulSet ${namespace}/${owner.name}: ${error.message}`,
      );
    });
  const shard = ordinalOf(owner.name, podName);
  if (shard === undefined)
    throw new Error(`sharding.fromStatefulSet: pod name "${podName}" has no ordinal after "${owner.name}-"`);
  const replicas = statefulSet.spec?.replicas ?? 1;
  const totalShards = Number.isInteger(replicas) && replicas >= 1 ? replicas : 1;
  // A pod past the replicas (a scale-down in progress) owns no shard and exports no objects.
  return { shard, totalShards, statefulSet: owner.name };
}
