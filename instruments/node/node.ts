/**
 * node: node health and abnormal conditions from the shared Node informer, and whether each
 * node's kubelet still feeds metrics.k8s.io.
 */
import { defineInstrument, type InstrumentContext, type InstrumentHealth } from '../../lib/instrument.js';
import { Poller } from '../../lib/poller.js';
import { isReady, type LeanNode, leanNode, originalHealth, strictHealth } from './conditions.js';
import { type NodeConfig, nodeConfig } from './config.js';
import { nodeCondition, nodeHealthy, nodeKubeletMetricsAvailable, nodeMetrics } from './metrics.js';
import { conditionSeries, healthySeries } from './series.js';

const NODES = { group: '', version: 'v1', resource: 'nodes' };
const NODE_METRICS_PATH = '/apis/metrics.k8s.io/v1beta1/nodes';

interface NodeMetricsList {
  readonly items: readonly { metadata: { name: string }; timestamp?: string }[];
}

/**
 * The nodes with NodeMetrics at `nowMs`: any item, as the original counts them, or with
 * `maxAgeMs` above 0 only those whose timestamp is no older than that.
 */
export function nodesWithMetrics(list: NodeMetricsList, nowMs: number, maxAgeMs: number): Set<string> {
  const found = new Set<string>();
  for (const item of list.items ?? []) {
    if (typeof item?.metadata?.name !== 'string') continue;
    if (maxAgeMs > 0) {
      const at = item.timestamp ? Date.parse(item.timestamp) : Number.NaN;
      if (!Number.isFinite(at) || nowMs - at > maxAgeMs) continue;
    }
    found.add(item.metadata.name);
  }
  return found;
}

function createNode(context: InstrumentContext, config: NodeConfig) {
  const cluster = context.cluster;
  if (!cluster) throw new Error('the node collector needs a cluster');
  const nodes = cluster.subscribe(NODES, {}, 'node.conditions', leanNode, { shardBy: 'uid' });
  const health = config.strictConditions ? strictHealth : originalHealth;
  /**
   * Per Ready node at the last successful read, whether it had NodeMetrics. As the original, a
   * failed read keeps what the last one found (the failure shows in the self-metrics), and a node
   * that became Ready since has no series until the next read.
   */
  let kubeletMetrics = new Map<string, boolean>();
  const poller = new Poller(context, {
    intervalMs: config.kubeletMetricsCheckInterval,
    timeoutMs: Math.min(config.kubeletMetricsCheckInterval, 30_000),
    run: async (signal) => {
      let list: NodeMetricsList;
      try {
        list = await cluster.get<NodeMetricsList>(NODE_METRICS_PATH, signal);
      } catch (error) {
        throw new Error(`reading ${NODE_METRICS_PATH}: ${(error as Error).message}`);
      }
      const found = nodesWithMetrics(list, context.clock.now(), config.kubeletMetricsMaxAge);
      const next = new Map<string, boolean>();
      for (const node of nodes.items.values()) if (isReady(node)) next.set(node.name, found.has(node.name));
      kubeletMetrics = next;
    },
  });
  let synced = false;
  void nodes.synced().then(() => {
    synced = true;
  });

  /** As the original: a node younger than ignoreNewNodeDuration has no health series yet. */
  function* settledNodes(): Iterable<[string, LeanNode]> {
    const threshold = context.clock.now() - config.ignoreNewNodeDuration;
    for (const entry of nodes.items) if (!(entry[1].createdMs > threshold)) yield entry;
  }
  context.metrics.observeObjects(nodeHealthy, settledNodes, healthySeries(health));
  context.metrics.observeObjects(nodeCondition, settledNodes, conditionSeries(health));
  context.metrics.observeEach(
    nodeKubeletMetricsAvailable,
    () => nodes.items.values(),
    (node, observe) => {
      const available = kubeletMetrics.get(node.name);
      if (available !== undefined && isReady(node)) observe(available ? 1 : 0, { node: node.name });
    },
  );

  return {
    ...poller.asInstrument(),
    stop: async () => {
      await poller.stop();
      nodes.close();
    },
    // Health follows the Node watch; a missing metrics-server is visible in the self-metrics
    // and the kubelet metric, not a reason to fail /health.
    health: (): InstrumentHealth => (synced ? { state: 'healthy' } : { state: 'starting' }),
    ready: async () => {
      await nodes.synced();
      await poller.ready();
    },
  };
}

export const node = defineInstrument({
  name: 'node',
  summary: 'Node health, abnormal conditions and kubelet metrics availability',
  leaderElection: true,
  sharded: true,
  needsCluster: true,
  configSchema: nodeConfig,
  metrics: nodeMetrics,
  create: createNode,
});
