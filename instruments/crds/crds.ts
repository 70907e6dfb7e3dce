/**
 * crds: metrics from any resource (custom or built-in), defined in configuration. One shared
 * informer per GVR and namespace; each object's series are computed when it changes and read
 * at scrape time. Cluster-wide: runs on the leader.
 */
import { createHash } from 'node:crypto';
import {
  defineInstrument,
  type InstrumentContext,
  type InstrumentHealth,
  type MetricDeclaration,
  type Subscription,
  type WatchScope,
} from '../../lib/instrument.js';
import { type CrdEntry, type CrdsConfig, crdsConfig, customResourceState } from './config.js';
import { ksmDeclarations, watchCustomResourceState } from './ksm-watch.js';
import { type CompiledEntry, compileEntry, type ObjectSeries, objectSeries } from './series.js';

/** How long an entry may go unlisted before it is reported (a CRD not installed, no RBAC). */
const SYNC_GRACE_MS = 30_000;

// The same parsed entry compiles to the same declarations: a new leadership term re-registers
// them, and the framework recognises a declaration by identity.
const compiledEntries = new WeakMap<CrdEntry, CompiledEntry>();

export function compiled(entry: CrdEntry): CompiledEntry {
  let result = compiledEntries.get(entry);
  if (!result) {
    result = compileEntry(entry);
    compiledEntries.set(entry, result);
  }
  return result;
}

const EMPTY: ObjectSeries = { samples: [], counted: [], problems: [] };

function createCrds(context: InstrumentContext, config: CrdsConfig) {
  const cluster = context.cluster;
  if (!cluster) throw new Error('the crds collector needs a cluster');
  const watches: { entry: CompiledEntry; subscriptions: Subscription<ObjectSeries>[] }[] = [];
  /** `<entry>/<object key>/<metric>` already reported, so a problem is logged once, not per change. */
  const reported = new Set<string>();

  for (const entry of config.crds) {
    const compiledEntry = compiled(entry);
    // The transform's name must always mean the same transform: it carries the entry's content.
    const digest = createHash('sha256').update(JSON.stringify(entry)).digest('hex').slice(0, 12);
    const transform = (object: Parameters<typeof objectSeries>[1]): ObjectSeries => {
      try {
        return objectSeries(compiledEntry, object);
      } catch (error) {
        context.logger.warn(
          { crd: entry.name, object: object.metadata?.name, err: (error as Error).message },
          'object skipped',
        );
        return EMPTY;
      }
    };
    const scopes: WatchScope[] =
      entry.namespaces.length === 0 ? [{}] : entry.namespaces.map((namespace) => ({ namespace }));
    const subscriptions = scopes.map((scope) =>
      cluster.subscribe(
        { group: entry.gvr.group, version: entry.gvr.version, resource: entry.gvr.resource },
        scope,
        `crds.${entry.name}.${digest}`,
        transform,
        { shardBy: 'uid' },
      ),
    );
    for (const subscription of subscriptions) {
      subscription.onChange((type, key) => {
        const prefix = `${entry.name}/${key}/`;
        if (type === 'delete') {
          for (const metric of entry.metrics) reported.delete(`${prefix}${metric.name}`);
          return;
        }
        const series = subscription.items.get(key);
        series?.problems.forEach((problem, index) => {
          const id = `${prefix}${entry.metrics[index]?.name}`;
          if (!problem) reported.delete(id);
          else if (!reported.has(id)) {
            reported.add(id);
            context.logger.warn({ crd: entry.name, object: key, problem }, 'field cannot be exported');
          }
        });
      });
    }
    watches.push({ entry: compiledEntry, subscriptions });
  }

  for (const { entry, subscriptions } of watches) {
    entry.metrics.forEach((metric, index) => {
      if (metric.config.type === 'count') {
        context.metrics.observe(metric.declaration, (observe) => {
          const counts = new Map<string, number>();
          for (const subscription of subscriptions) {
            for (const series of subscription.items.values()) {
              const value = series.counted[index];
              if (value !== undefined) counts.set(value, (counts.get(value) ?? 0) + 1);
            }
          }
          for (const [value, count] of counts) observe(count, { [metric.valueLabel]: value });
        });
        return;
      }
      context.metrics.observeObjects(
        metric.declaration,
        function* () {
          for (const subscription of subscriptions) yield* subscription.items;
        },
        (series, observe) => {
          for (const sample of series.samples[index] ?? []) observe(sample.value, sample.labels);
        },
        () => subscriptions.reduce((sum, subscription) => sum + subscription.version, 0),
      );
    });
  }

  const state = customResourceState(config);
  if (state.problems.length > 0)
    throw new Error(`collectors.crds.${state.key}: ${state.problems.join('; ')}`);
  if (state.ignored.length > 0)
    context.logger.warn(
      { keys: state.ignored },
      'keys kube-state-metrics does not know in the Custom Resource State config: ignored, as kube-state-metrics ignores them',
    );
  const ksm = state.document ? watchCustomResourceState(context, state.document) : undefined;

  const all = watches.flatMap((w) => w.subscriptions);
  const unsynced = new Set(watches.map((w) => w.entry.entry.name));
  const ready = Promise.all(
    watches.map(({ entry, subscriptions }) =>
      Promise.all(subscriptions.map((s) => s.synced())).then(() => unsynced.delete(entry.entry.name)),
    ),
  ).then(() => ksm?.ready());
  const started = context.clock.now();

  return {
    start: async () => {},
    stop: async () => {
      for (const subscription of all) subscription.close();
      ksm?.stop();
    },
    health: (): InstrumentHealth => {
      const ksmPending = ksm?.pending();
      if (unsynced.size === 0 && ksmPending === undefined) return { state: 'healthy' };
      if (context.clock.now() - started < SYNC_GRACE_MS) return { state: 'starting' };
      const names = [
        ...[...unsynced].map((name) => {
          const gvr = config.crds.find((entry) => entry.name === name)?.gvr;
          return `${name} (${gvr?.group || 'core'}/${gvr?.version}/${gvr?.resource})`;
        }),
        ...(ksmPending === undefined ? [] : [`customResourceState (${ksmPending})`]),
      ].join(', ');
      return {
        state: 'unhealthy',
        reason: `not listed yet: ${names}; is the resource served, and may this service account list and watch it?`,
      };
    },
    ready: () => ready,
  };
}

/** The metrics a configuration defines, for validation against every other metric name. */
export function configuredCrdMetrics(config: CrdsConfig): MetricDeclaration[] {
  const own = config.crds.flatMap((entry) => compiled(entry).metrics.map((metric) => metric.declaration));
  // A document with problems is reported by the config's own validation, and declares nothing.
  const { document } = customResourceState(config);
  return document ? [...own, ...ksmDeclarations(document)] : own;
}

export const crds = defineInstrument({
  name: 'crds',
  summary:
    'Metrics from any resource by configuration: info, gauge, count, string_state, map_state, map_gauge, conditions',
  leaderElection: true,
  sharded: true,
  needsCluster: true,
  configSchema: crdsConfig,
  // The metrics are defined by configuration; `configuredMetrics` names them for validation.
  metrics: [],
  configuredMetrics: configuredCrdMetrics,
  create: createCrds,
});
