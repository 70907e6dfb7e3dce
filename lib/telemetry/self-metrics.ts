/**
 * The framework's own metrics: per-collector run duration, success and last run time (the
 * original's `state_metric_collector_*`), and the config reload record.
 */
import type { CollectionOutcome, MetricDeclaration, MetricSink } from '../instrument.js';

const collectorLabels = ['collector', 'instance'] as const;

export const collectorDuration = {
  name: 'state_metric_collector_duration_seconds',
  kind: 'gauge',
  unit: 's',
  help: "Duration of the collector's last collection run in seconds.",
  labels: collectorLabels,
  prefixed: false,
  resourceLabels: ['instance'],
} as const satisfies MetricDeclaration;

export const collectorSuccess = {
  name: 'state_metric_collector_success',
  kind: 'gauge',
  unit: '{success}',
  help: "Whether the collector's last collection run succeeded (1) or failed (0).",
  labels: collectorLabels,
  prefixed: false,
  resourceLabels: ['instance'],
} as const satisfies MetricDeclaration;

export const collectorLastCollection = {
  name: 'state_metric_collector_last_collection_timestamp',
  kind: 'gauge',
  unit: '{timestamp}',
  help: "Unix time in seconds when the collector's last collection run finished.",
  labels: collectorLabels,
  prefixed: false,
  resourceLabels: ['instance'],
} as const satisfies MetricDeclaration;

export const configReloads = {
  name: 'state_metric_config_reloads',
  kind: 'counter',
  unit: '{reload}',
  help: 'Config reloads attempted since the process started, by result (success or failure).',
  labels: ['result'],
  prefixed: false,
} as const satisfies MetricDeclaration;

export const configLastReloadSuccessful = {
  name: 'state_metric_config_last_reload_successful',
  kind: 'gauge',
  unit: '{success}',
  help: 'Whether the last config load or reload was applied (1) or rejected and the previous config kept (0).',
  labels: [],
  prefixed: false,
} as const satisfies MetricDeclaration;

export const configHash = {
  name: 'state_metric_config_hash',
  kind: 'gauge',
  unit: '{hash}',
  help: 'The first 48 bits of the sha256 of the running config; compare across replicas to find drift.',
  labels: [],
  prefixed: false,
} as const satisfies MetricDeclaration;

export const configRestartRequired = {
  name: 'state_metric_config_restart_required',
  kind: 'gauge',
  unit: '{setting}',
  help: 'Settings changed in the config file that only take effect after a restart (server address, TLS on/off, auth).',
  labels: [],
  prefixed: false,
} as const satisfies MetricDeclaration;

export const otlpExports = {
  name: 'state_metric_otlp_exports',
  kind: 'counter',
  unit: '{export}',
  help: 'OTLP export requests since the process started, by result (success or failure); only with OTLP push on.',
  labels: ['result'],
  prefixed: false,
} as const satisfies MetricDeclaration;

export const selfMetrics = [
  collectorDuration,
  collectorSuccess,
  collectorLastCollection,
  configReloads,
  configLastReloadSuccessful,
  configHash,
  configRestartRequired,
  otlpExports,
] as const;

interface CollectorRecord {
  readonly durationSeconds: number;
  readonly success: boolean;
  readonly finishedAtSeconds: number;
  readonly error?: string;
}

/** The latest run of each collector in one generation. */
export class CollectionRecords {
  readonly #records = new Map<string, CollectorRecord>();

  record(collector: string, outcome: CollectionOutcome, nowMs: number): void {
    this.#records.set(collector, {
      durationSeconds: outcome.durationSeconds,
      success: outcome.error === undefined,
      finishedAtSeconds: nowMs / 1000,
      ...(outcome.error ? { error: outcome.error.message } : {}),
    });
  }

  get(collector: string): CollectorRecord | undefined {
    return this.#records.get(collector);
  }

  entries(): IterableIterator<[string, CollectorRecord]> {
    return this.#records.entries();
  }
}

/** Reload history; it outlives generations. */
export class ReloadRecord {
  successes = 0;
  failures = 0;
  lastSuccessful = true;
  hash = '';
  restartRequired: readonly string[] = [];
}

/** OTLP export outcomes; like the reload history, it outlives generations. */
export class ExportRecord {
  successes = 0;
  failures = 0;
  failuresInARow = 0;
  lastFailureLogMs = 0;
}

export function hashValue(hash: string): number {
  return hash === '' ? 0 : Number.parseInt(hash.slice(0, 12), 16);
}

export function observeSelfMetrics(
  sink: MetricSink,
  instance: string,
  collections: CollectionRecords,
  reloads: ReloadRecord,
  exports?: ExportRecord,
): void {
  const perCollector = (declaration: MetricDeclaration, pick: (record: CollectorRecord) => number) =>
    sink.observe(declaration, (observe) => {
      for (const [collector, record] of collections.entries()) observe(pick(record), { collector, instance });
    });
  perCollector(collectorDuration, (record) => record.durationSeconds);
  perCollector(collectorSuccess, (record) => (record.success ? 1 : 0));
  perCollector(collectorLastCollection, (record) => record.finishedAtSeconds);
  sink.observe(configReloads, (observe) => {
    observe(reloads.successes, { result: 'success' });
    observe(reloads.failures, { result: 'failure' });
  });
  sink.observe(configLastReloadSuccessful, (observe) => observe(reloads.lastSuccessful ? 1 : 0, {}));
  sink.observe(configHash, (observe) => observe(hashValue(reloads.hash), {}));
  sink.observe(configRestartRequired, (observe) => observe(reloads.restartRequired.length, {}));
  if (exports) {
    sink.observe(otlpExports, (observe) => {
      observe(exports.successes, { result: 'success' });
      observe(exports.failures, { result: 'failure' });
    });
  }
}
