/**
 * node: node health and abnormal conditions from the shared Node informer, and whether each
 * node's kubelet still feeds metrics.k8s.io.
 */
import { defineInstrument, type InstrumentContext, type InstrumentHealth } from '../../lib/instrument.js';
import { Poller } from '../../lib/poller.js';
import { abnormalConditions, leanNode } from './conditions.js';
import { type NodeConfig, nodeConfig } from './config.js';
import { nodeCondition, nodeHealthy, nodeKubeletMetricsAvailable, nodeMetrics } from './metrics.js';

const NODES = { group: '', version: 'v1', resource: 'nodes' };
const NODE_METRICS_PATH = '/apis/metrics.k8s.io/v1beta1/nodes';

interface NodeMetricsList {
  readonly items: readonly { metadata: { name: string }; timestamp?: string }[];
}

/** The nodes whose NodeMetrics are no older than `maxAgeMs` at `nowMs`. */
export function freshNodes(list: NodeMetricsList, nowMs: number, maxAgeMs: number): Set<string> {
  const fresh = new Set<string>();
  for (const item of list.items ?? []) {
    const at = item.timestamp ? Date.parse(item.timestamp) : Number.NaN;
    if (Number.isFinite(at) && nowMs - at <= maxAgeMs) fresh.add(item.metadata.name);
  }
  return fresh;
}

function createNode(context: InstrumentContext, config: NodeConfig) {
  const cluster = context.cluster;
  if (!cluster) throw new Error('the node collector needs a cluster');
  const nodes = cluster.subscribe(NODES, {}, 'node.conditions', leanNode);
  let fresh = new Set<string>();
  const poller = new Poller(context, {
    intervalMs: config.kubeletMetricsCheckInterval,
    timeoutMs: Math.min(config.kubeletMetricsCheckInterval, 30_000),
    run: async (signal) => {
      try {
        fresh = freshNodes(
          await cluster.get<NodeMetricsList>(NODE_METRICS_PATH, signal),
          context.clock.now(),
          config.kubeletMetricsMaxAge,
        );
      } catch (error) {
        // No answer means no kubelet metrics we can vouch for: every node reads 0, and the
        // failed run shows in state_metric_collector_success.
        fresh = new Set();
        throw new Error(`reading ${NODE_METRICS_PATH}: ${(error as Error).message}`);
      }
    },
  });
  let synced = false;
  void nodes.synced().then(() => {
    synced = true;
  });

  const allNodes = () => nodes.items.values();
  context.metrics.observeEach(nodeHealthy, allNodes, (node, observe) =>
    observe(abnormalConditions(node).length === 0 ? 1 : 0, { node: node.name }),
  );
  context.metrics.observeEach(nodeCondition, allNodes, (node, observe) => {
    for (const condition of abnormalConditions(node)) {
      observe(1, { node: node.name, condition: condition.type, status: condition.status });
    }
  });
  context.metrics.observeEach(nodeKubeletMetricsAvailable, allNodes, (node, observe) =>
    observe(fresh.has(node.name) ? 1 : 0, { node: node.name }),
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
  needsCluster: true,
  configSchema: nodeConfig,
  metrics: nodeMetrics,
  create: createNode,
});
