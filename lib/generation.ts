/**
 * A generation: one validated config, the MeterProvider with its readers, and the instruments
 * started from that config. Reload builds the next one beside it and swaps.
 */
import type { Resource } from '@opentelemetry/resources';
import { findInstrument, instruments } from '../instruments/index.js';
import type { LoadedConfig } from './config/load.js';
import { switchedOff } from './config/metric-switches.js';
import type { Clock, CollectionOutcome, Identity, Instrument, InstrumentHealth } from './instrument.js';
import type { Cluster } from './kube/cluster.js';
import { leaseNameFor } from './kube/lease.js';
import { type ShardSpec, shardName } from './kube/shard.js';
import { shardFromStatefulSet } from './kube/statefulset-shard.js';
import { LeaderGate } from './leader-gate.js';
import type { Logger, LogHub } from './log.js';
import type { MetricDeclaration } from './telemetry/declaration.js';
import { exportReporter } from './telemetry/export-report.js';
import { metricSelection } from './telemetry/metric-selection.js';
import type { RequestSender } from './telemetry/otlp-push.js';
import { otlpTargetUrl } from './telemetry/otlp-target.js';
import { TelemetryPipeline } from './telemetry/pipeline.js';
import { sampleNameOf } from './telemetry/sample-text.js';
import {
  CollectionRecords,
  type ExportRecord,
  observeSelfMetrics,
  type ReloadRecord,
  selfMetrics,
} from './telemetry/self-metrics.js';

/** The push's sender; its transport (gRPC or HTTP, some 250 modules) loads only for a config that pushes. */
async function otlpSender(otlp: LoadedConfig['config']['otlp']): Promise<RequestSender> {
  const settings = {
    protocol: otlp.protocol,
    endpoint: otlpTargetUrl(otlp),
    headers: otlp.headers,
    intervalMs: otlp.interval,
    timeoutMs: otlp.timeout,
    insecure: otlp.insecure,
    compression: otlp.compression,
    caFile: otlp.caFile,
    clientCertFile: otlp.clientCertFile,
    clientKeyFile: otlp.clientKeyFile,
  };
  return settings.protocol === 'grpc'
    ? (await import('./telemetry/otlp-grpc.js')).grpcSender(settings)
    : (await import('./telemetry/otlp-http.js')).httpSender(settings);
}

/**
 * How long a new generation waits for its instruments' first state before serving anyway. The
 * first generation counts it from the process's start (its config read included), so that a
 * process serves within this long of starting; a reload's, from when its instruments start (the
 * old generation serves meanwhile).
 */
export const READY_TIMEOUT_MS = 5000;

export interface GenerationDeps {
  readonly logs: LogHub;
  readonly identity: Identity;
  readonly resource: Resource;
  readonly reloads: ReloadRecord;
  readonly exports: ExportRecord;
  readonly clock: Clock;
  readonly cluster: Cluster | undefined;
  /** True once the process is exiting: leaders then give their leases up instead of keeping them for a reload. */
  readonly exiting: () => boolean;
}

interface RunningInstrument {
  readonly name: string;
  readonly instrument: Instrument;
}

function leaseSettings(config: LoadedConfig['config'], deps: GenerationDeps, instrument: string) {
  const election = config.leaderElection;
  return {
    namespace: election.namespace || deps.identity.podNamespace || 'default',
    name: leaseNameFor(election.leaseName, instrument),
    identity: deps.identity.instance,
    leaseDurationMs: election.leaseDuration,
    renewDeadlineMs: election.renewDeadline,
    retryPeriodMs: election.retryPeriod,
  };
}

async function waitReady(
  running: readonly RunningInstrument[],
  timeoutMs: number,
  logger: Logger,
): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  const waiting = new Set(running.map(({ name }) => name));
  const result = await Promise.race([
    Promise.allSettled(
      running.map(async ({ name, instrument }) => {
        await instrument.ready?.();
        waiting.delete(name);
      }),
    ).then(() => 'ready' as const),
    timedOut,
  ]);
  clearTimeout(timer);
  if (result === 'timeout')
    logger.info({ timeoutMs, waiting: [...waiting] }, 'serving before every collector has its first state');
}

/** The shard the config gives, or the one this pod's StatefulSet gives under `fromStatefulSet`. */
async function shardOfConfig(
  config: LoadedConfig['config'],
  deps: GenerationDeps,
): Promise<ShardSpec & { readonly statefulSet?: string }> {
  const { sharding } = config;
  if (!sharding.fromStatefulSet) return { shard: sharding.shard, totalShards: sharding.totalShards };
  if (!deps.cluster) throw new Error('sharding.fromStatefulSet: needs a Kubernetes cluster');
  return shardFromStatefulSet(deps.cluster, deps.identity.podNamespace, deps.identity.podName);
}

export class Generation {
  readonly loaded: LoadedConfig;
  readonly pipeline: TelemetryPipeline;
  readonly collections: CollectionRecords;
  readonly number: number;
  /** This replica's shard; the StatefulSet it came from under `sharding.fromStatefulSet`. */
  readonly shard: ShardSpec & { readonly statefulSet?: string };
  readonly #instruments: RunningInstrument[];
  readonly #logger: Logger;

  private constructor(
    number: number,
    loaded: LoadedConfig,
    pipeline: TelemetryPipeline,
    collections: CollectionRecords,
    instruments: RunningInstrument[],
    logger: Logger,
    shard: ShardSpec & { readonly statefulSet?: string },
  ) {
    this.shard = shard;
    this.number = number;
    this.loaded = loaded;
    this.pipeline = pipeline;
    this.collections = collections;
    this.#instruments = instruments;
    this.#logger = logger;
  }

  /**
   * Builds and starts a generation; on any failure, what was started is stopped and the error
   * thrown. `readyBy`: the performance.now() by which it serves, ready or not (READY_TIMEOUT_MS
   * after its instruments start without it).
   */
  static async build(
    number: number,
    loaded: LoadedConfig,
    deps: GenerationDeps,
    readyBy?: number,
  ): Promise<Generation> {
    const { config } = loaded;
    const logger = deps.logs.child({ generation: number });
    const shard = await shardOfConfig(config, deps);
    const sender = config.otlp.enabled ? await otlpSender(config.otlp) : undefined;
    const exposed = metricSelection(config.metrics);
    const off = switchedOff(instruments, config.collectors as Record<string, unknown>);
    const pipeline = new TelemetryPipeline({
      namespace: config.metrics.namespace,
      resource: deps.resource,
      select: (name, declaration) =>
        !off.has(declaration) &&
        exposed(
          sampleNameOf({ exposedName: name, declaration }),
          (selfMetrics as readonly MetricDeclaration[]).includes(declaration),
        ),
      ...(sender
        ? {
            otlp: {
              intervalMs: config.otlp.interval,
              sender,
              report: exportReporter(
                deps.exports,
                logger.child({ component: 'otlp' }),
                deps.clock,
                Object.values(config.otlp.headers),
              ),
            },
          }
        : {}),
    });
    const collections = new CollectionRecords();
    observeSelfMetrics(
      pipeline.sink,
      deps.identity.instance,
      collections,
      deps.reloads,
      config.otlp.enabled ? deps.exports : undefined,
    );
    const running: RunningInstrument[] = [];
    try {
      for (const name of config.enabledCollectors) {
        const definition = findInstrument(name);
        if (!definition) throw new Error(`enabledCollectors: unknown collector "${name}"`);
        if (definition.needsCluster && !deps.cluster) {
          throw new Error(
            `collectors.${name}: needs a Kubernetes cluster: set kubernetes.kubeconfig or KUBECONFIG, or run in a pod with a service account`,
          );
        }
        const instrumentLogger = deps.logs.child({ generation: number, collector: name });
        // A sharded instrument runs on every replica, each with its shard of the objects.
        const shardedHere = definition.sharded === true && shard.totalShards > 1;
        const context = {
          metrics: pipeline.sink,
          cluster: shardedHere ? deps.cluster?.sharded(shard) : deps.cluster,
          logger: instrumentLogger,
          identity: deps.identity,
          clock: deps.clock,
          recordCollection: (outcome: CollectionOutcome) =>
            collections.record(name, outcome, deps.clock.now()),
        };
        const elected = !shardedHere && (config.leaderElection.collectors[name] ?? definition.leaderElection);
        const instrument =
          config.leaderElection.enabled && elected && deps.cluster
            ? new LeaderGate(
                definition,
                config.collectors[name],
                context,
                deps.cluster.client,
                leaseSettings(config, deps, name),
                deps.exiting,
              )
            : definition.create(context, config.collectors[name]);
        running.push({ name, instrument });
      }
      for (const { name, instrument } of running) {
        try {
          await instrument.start();
        } catch (error) {
          throw new Error(`collectors.${name}: failed to start: ${(error as Error).message}`);
        }
      }
      const deadline = readyBy ?? performance.now() + READY_TIMEOUT_MS;
      await waitReady(running, Math.max(0, deadline - performance.now()), logger);
    } catch (error) {
      await Promise.allSettled(running.map(({ instrument }) => instrument.stop()));
      await pipeline.shutdown().catch(() => undefined);
      throw error;
    }
    logger.info(
      {
        collectors: config.enabledCollectors,
        otlp: config.otlp.enabled,
        ...(shardName(shard) ? { shard: shardName(shard) } : {}),
      },
      'generation started',
    );
    return new Generation(number, loaded, pipeline, collections, running, logger, shard);
  }

  health(): Record<string, InstrumentHealth> {
    return Object.fromEntries(this.#instruments.map(({ name, instrument }) => [name, instrument.health()]));
  }

  /** Stops the instruments, then shuts the pipeline down (which pushes a last OTLP export). */
  async shutdown(): Promise<void> {
    const results = await Promise.allSettled(this.#instruments.map(({ instrument }) => instrument.stop()));
    for (const [index, result] of results.entries()) {
      if (result.status === 'rejected') {
        this.#logger.warn(
          { collector: this.#instruments[index]?.name, err: String(result.reason) },
          'stop failed',
        );
      }
    }
    await this.pipeline.shutdown().catch((error: unknown) => {
      this.#logger.warn({ err: String(error) }, 'telemetry shutdown failed');
    });
    this.#logger.info('generation stopped');
  }
}
