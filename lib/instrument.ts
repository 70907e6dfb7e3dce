/**
 * The instrument contract: what an instrument declares and what the framework hands it.
 * Instruments import from lib/ only this module and shared machinery meant for them.
 */
import type { Logger } from 'pino';
import type { z } from 'zod';
import type { ApiObject, ResourceRef, Subscription, Transform, WatchScope } from './kube/informer.js';
import type { Labels, MetricDeclaration } from './telemetry/declaration.js';

export type { Logger } from 'pino';
export { KubeApiError } from './kube/client.js';
export type { ApiObject, ChangeListener, ResourceRef, Subscription, WatchScope } from './kube/informer.js';
export type { MetricDeclaration } from './telemetry/declaration.js';

export interface Identity {
  /** Instance id: config `identity`, else POD_NAME, else the hostname. */
  readonly instance: string;
  /** NODE_NAME, else the hostname. */
  readonly nodeName: string;
  readonly podName: string;
  readonly podNamespace: string;
}

export interface Clock {
  now(): number;
}

/**
 * The labels a point of `D` carries: exactly the declared names, so a misspelt or missing label
 * does not compile. A declaration typed only as MetricDeclaration (self-metrics built in a loop,
 * crds' configured metrics) takes any names.
 */
export type LabelsOf<D extends MetricDeclaration> = string extends D['labels'][number]
  ? Readonly<Record<string, string>>
  : Labels<D>;

/** One observation callback's sink: a value and the declared labels. */
export type Observe<D extends MetricDeclaration = MetricDeclaration> = (
  value: number,
  labels: LabelsOf<D>,
) => void;

export interface MetricSink {
  /**
   * Registers the callback that reports a declared metric's current points at collection time.
   * The callback must be cheap: it reads state the instrument already holds. It runs in one
   * piece, so use `observeEach` for a metric with more than a few thousand series.
   */
  observe<D extends MetricDeclaration>(declaration: D, callback: (observe: Observe<D>) => void): void;
  /**
   * The same for a metric with one or more series per item of a collection the instrument holds
   * (objects, users, databases): the framework walks `items()` in time slices and yields to the
   * event loop between them, so a scrape of 100k series never holds the process for long. Items
   * that change while a collection is walking them may be seen before or after the change.
   */
  observeEach<D extends MetricDeclaration, T>(
    declaration: D,
    items: () => Iterable<T>,
    each: (item: T, observe: Observe<D>) => void,
  ): void;
  /**
   * The same for a metric whose series are a pure function of one object of a keyed collection
   * (an informer's store, a probe's results by key), as kube-state-metrics' generators are: the
   * framework encodes an object's series once and keeps them until its key holds a different
   * object or is gone, so a scrape of a large cluster copies cached bytes. `each` must read
   * nothing but the object and fixed config (no clock, no other state): what else it reads is
   * not seen again until the object changes.
   */
  observeObjects<D extends MetricDeclaration, T>(
    declaration: D,
    entries: () => Iterable<readonly [string, T]>,
    each: (item: T, observe: Observe<D>) => void,
    /**
     * A number that changes whenever `entries` could give something else (an informer's
     * `Subscription.version`, a poll's count): while it stays, a walk takes the last walk's cells
     * without going over the entries. Without it every walk goes over them.
     */
    version?: () => number,
  ): void;
}

/** Outcome of one collection run, for the `state_metric_collector_*` self-metrics and /health. */
export interface CollectionOutcome {
  readonly durationSeconds: number;
  readonly error?: Error;
}

export interface SubscribeOptions {
  /**
   * What places an object in a shard (`uid`: its own UID, as kube-state-metrics shards): under
   * `sharding`, the subscription of a `sharded` instrument holds only this replica's shard of the
   * objects. Lookups every shard needs (Secrets, Services, CRDs) leave it unset.
   */
  readonly shardBy?: 'uid' | ((object: ApiObject) => string | undefined);
}

/** The cluster, for instruments that declare `needsCluster`. */
export interface ClusterAccess {
  /**
   * Subscribes to the shared informer of a resource and scope. `name` identifies the transform:
   * subscriptions with the same name share one store (use `<instrument>.<purpose>`).
   */
  subscribe<T>(
    ref: ResourceRef,
    scope: WatchScope,
    name: string,
    transform: Transform<T>,
    options?: SubscribeOptions,
  ): Subscription<T>;
  /** One GET against the API (e.g. metrics.k8s.io); throws KubeApiError on a non-2xx answer. */
  get<T>(path: string, signal?: AbortSignal): Promise<T>;
  /**
   * Resolves once every informer the process has at the call has listed once (never, for one
   * the API keeps refusing: bound the wait). A probe that loads the CPU waits for it, so the
   * first lists of a large cluster are not starved by its first round.
   */
  listed(): Promise<void>;
}

export interface InstrumentContext {
  readonly metrics: MetricSink;
  /** Present when a cluster is configured; instruments with `needsCluster` always get one. */
  readonly cluster: ClusterAccess | undefined;
  readonly logger: Logger;
  readonly identity: Identity;
  readonly clock: Clock;
  /** Records a finished collection run (pollers from lib/poller do this themselves). */
  recordCollection(outcome: CollectionOutcome): void;
}

/** `standby`: a leader-elected instrument on an instance that does not hold its lease. */
export type HealthState = 'healthy' | 'unhealthy' | 'starting' | 'standby';

export interface InstrumentHealth {
  readonly state: HealthState;
  /** Why the instrument is unhealthy; never contains secrets. */
  readonly reason?: string;
}

export interface Instrument {
  start(): Promise<void>;
  stop(): Promise<void>;
  health(): InstrumentHealth;
  /**
   * Resolves once the instrument holds its first state (or has failed to get it). A new
   * generation waits for this, within a bound, before it serves, so a reload leaves no gap.
   */
  ready?(): Promise<void>;
}

export interface InstrumentDefinition<
  Schema extends z.ZodType = z.ZodType,
  I extends Instrument = Instrument,
> {
  readonly name: string;
  readonly summary: string;
  /** Cluster-wide instruments run only on the elected leader by default. */
  readonly leaderElection: boolean;
  /** The framework refuses to start it without a cluster, with a message saying how to give one. */
  readonly needsCluster: boolean;
  /**
   * Its series are per object of watches it marks `shardBy`: under `sharding` with more than one
   * shard it runs on every replica, without leader election, each holding its shard's objects.
   */
  readonly sharded?: boolean;
  readonly configSchema: Schema;
  readonly metrics: readonly MetricDeclaration[];
  /**
   * Metrics a configuration defines at run time (crds). Config validation checks their names
   * against every declared metric and each other, so a clash is a config error with its path.
   */
  readonly configuredMetrics?: (config: z.output<Schema>) => readonly MetricDeclaration[];
  create(context: InstrumentContext, config: z.output<Schema>): I;
}

/**
 * Keeps the schema's output type and what `create` returns (a test calls its `collectNow`
 * without a cast) attached to the definition, while the list stays homogeneous.
 */
export function defineInstrument<Schema extends z.ZodType, I extends Instrument>(
  definition: InstrumentDefinition<Schema, I>,
): InstrumentDefinition<Schema, I> {
  return definition;
}
