/**
 * The process's cluster connection: one client and one informer hub, created at start and kept
 * across reloads (so informers survive a reload). Instruments see it as ClusterAccess.
 */
import type { Env } from '../config/env.js';
import type { Config } from '../config/schema.js';
import type { ClusterAccess, SubscribeOptions } from '../instrument.js';
import type { Logger } from '../log.js';
import { KubeClient } from './client.js';
import { connectCluster, type InClusterOptions } from './connection.js';
import {
  type ApiObject,
  DEFAULT_INFORMER_OPTIONS,
  InformerHub,
  type ResourceRef,
  type Subscription,
  type Transform,
  type WatchScope,
} from './informer.js';
import { type ShardSpec, shardOf } from './shard.js';

export class Cluster implements ClusterAccess {
  readonly client: KubeClient;
  readonly hub: InformerHub;
  readonly source: string;

  constructor(client: KubeClient, hub: InformerHub, source: string) {
    this.client = client;
    this.hub = hub;
    this.source = source;
  }

  /** Connects when a cluster is configured or found; undefined when there is none. */
  static async connect(
    config: Config,
    env: Env,
    logger: Logger,
    inCluster: InClusterOptions = {},
  ): Promise<Cluster | undefined> {
    const access = await connectCluster(config.kubernetes.kubeconfig, env, inCluster);
    if (!access) return undefined;
    const client = new KubeClient(access, {
      qps: config.kubernetes.qps,
      burst: config.kubernetes.burst,
      requestTimeoutMs: config.kubernetes.requestTimeout,
      watchIdleMs: config.kubernetes.watchIdleTimeout,
    });
    logger.info({ server: client.server, from: access.source }, 'Kubernetes API');
    const hub = new InformerHub(client, logger, {
      ...DEFAULT_INFORMER_OPTIONS,
      resyncMs: config.performance.informerResyncPeriod,
    });
    return new Cluster(client, hub, access.source);
  }

  /** Every object, whatever `shardBy` says (one shard). */
  subscribe<T>(
    ref: ResourceRef,
    scope: WatchScope,
    name: string,
    transform: Transform<T>,
    _options?: SubscribeOptions,
  ): Subscription<T> {
    return this.hub.subscribe(ref, scope, name, transform);
  }

  /**
   * The cluster as one shard sees it: a subscription marked `shardBy` holds the objects of
   * `spec.shard` only, in a store of its own (the informer, and its list and watch, is shared).
   */
  sharded(spec: ShardSpec): ClusterAccess {
    if (spec.totalShards <= 1) return this;
    return {
      subscribe: (ref, scope, name, transform, options) => {
        const shardBy = options?.shardBy;
        if (!shardBy) return this.hub.subscribe(ref, scope, name, transform);
        const keyOf = shardBy === 'uid' ? (object: ApiObject) => object.metadata.uid : shardBy;
        return this.hub.subscribe(
          ref,
          scope,
          `${name}#shard-${spec.shard}-of-${spec.totalShards}`,
          transform,
          (object) => shardOf(keyOf(object) ?? '', spec.totalShards) === spec.shard,
        );
      },
      get: (path, signal) => this.get(path, signal),
      listed: () => this.listed(),
    };
  }

  listed(): Promise<void> {
    return this.hub.listed();
  }

  get<T>(path: string, signal?: AbortSignal): Promise<T> {
    return this.client.request<T>('GET', path, signal ? { signal } : {});
  }

  async stop(): Promise<void> {
    await this.hub.stop();
  }
}
