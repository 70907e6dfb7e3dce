/**
 * The process's cluster connection: one client and one informer hub, created at start and kept
 * across reloads (so informers survive a reload). Instruments see it as ClusterAccess.
 */
import type { Env } from '../config/env.js';
import type { Config } from '../config/schema.js';
import type { ClusterAccess } from '../instrument.js';
import type { Logger } from '../log.js';
import { KubeClient } from './client.js';
import { connectCluster, type InClusterOptions } from './connection.js';
import {
  DEFAULT_INFORMER_OPTIONS,
  InformerHub,
  type ResourceRef,
  type Subscription,
  type Transform,
  type WatchScope,
} from './informer.js';

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

  subscribe<T>(ref: ResourceRef, scope: WatchScope, name: string, transform: Transform<T>): Subscription<T> {
    return this.hub.subscribe(ref, scope, name, transform);
  }

  get<T>(path: string, signal?: AbortSignal): Promise<T> {
    return this.client.request<T>('GET', path, signal ? { signal } : {});
  }

  async stop(): Promise<void> {
    await this.hub.stop();
  }
}
