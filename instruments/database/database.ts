/**
 * database: connectivity of KubeBlocks databases (MySQL, PostgreSQL, MongoDB, Redis). The
 * databases are the original's: each `<name>-conn-credential` Secret carrying its type's label
 * (discovery: secrets), or, by choice, KubeBlocks Cluster objects (discovery: clusters). Secrets,
 * Services, Endpoints (and Clusters) come from the shared informers; each interval every database
 * gets a preflight and a real connect + ping, with a concurrency limit per type. Cluster-wide:
 * runs on the leader.
 */
import pLimit from 'p-limit';
import {
  type ApiObject,
  defineInstrument,
  type InstrumentContext,
  type Subscription,
  type WatchScope,
} from '../../lib/instrument.js';
import { Poller } from '../../lib/poller.js';
import { resolverAddress } from '../../lib/probe/resolve.js';
import { type CheckResult, checkDatabase } from './check.js';
import { type DatabaseConfig, databaseConfig } from './config.js';
import { ConnectThread } from './connect-thread.js';
import {
  type Credentials,
  DATABASE_TYPES,
  type DatabaseType,
  databaseTarget,
  type LeanCluster,
  leanCluster,
  leanCredentials,
  secretNames,
} from './discovery.js';
import { CheckFailure } from './failure.js';
import {
  databaseAvailable,
  databaseCheckError,
  databaseConnectivity,
  databaseMetrics,
  databaseResponseTime,
  databaseTotal,
  databaseUnavailable,
} from './metrics.js';
import { AddressResolver, type ServiceRef, type ServiceState } from './preflight.js';
import { checkError, connectivity, countsByType, responseTime } from './series.js';

const SECRETS = { group: '', version: 'v1', resource: 'secrets' };
const SERVICES = { group: '', version: 'v1', resource: 'services' };
const ENDPOINTS = { group: '', version: 'v1', resource: 'endpoints' };
/** How long a run waits for the informers' first lists before it reports what is missing. */
const SYNC_WAIT_MS = 30_000;
const STOPPED_PHASES = new Set(['Stopped', 'Stopping']);

/** The original's Secret selector per type (pkg/collector/database/secret_cache.go). */
export const TYPE_SECRET_SELECTORS: Readonly<Record<DatabaseType, string>> = {
  mysql: 'apps.kubeblocks.io/cluster-type=mysql',
  postgresql: 'app.kubernetes.io/name=postgresql',
  mongodb: 'apps.kubeblocks.io/cluster-type=mongodb',
  redis: 'apps.kubeblocks.io/cluster-type=redis',
};

/** A database's own Secret in the original's discovery; the database is the name without it. */
const CREDENTIAL_SUFFIX = '-conn-credential';

type Identity = Pick<CheckResult, 'namespace' | 'name' | 'type'>;

function readyAddresses(object: ApiObject): number {
  if (!Array.isArray(object.subsets)) return 0;
  let ready = 0;
  for (const subset of object.subsets as { addresses?: unknown }[]) {
    if (Array.isArray(subset?.addresses)) ready += subset.addresses.length;
  }
  return ready;
}

type ResultEntry = readonly [string, CheckResult];

/** The results whose database still exists. */
export function currentEntries(
  results: ReadonlyMap<string, CheckResult>,
  stillThere: (result: CheckResult) => boolean,
): ResultEntry[] {
  const entries: ResultEntry[] = [];
  for (const entry of results) if (stillThere(entry[1])) entries.push(entry);
  return entries;
}

/** Looks a key up across the stores of the watched scopes (one per namespace, or one for all). */
function lookup<T>(subscriptions: readonly Subscription<T>[], key: string): T | undefined {
  for (const subscription of subscriptions) {
    const value = subscription.items.get(key);
    if (value !== undefined) return value;
  }
  return undefined;
}

function createDatabase(context: InstrumentContext, config: DatabaseConfig) {
  const cluster = context.cluster;
  if (!cluster) throw new Error('the database collector needs a cluster');
  const [group, version] = config.clusterApiVersion.split('/') as [string, string];
  const clustersRef = { group, version, resource: 'clusters' };
  const scopes: WatchScope[] =
    config.namespaces.length === 0 ? [{}] : config.namespaces.map((namespace) => ({ namespace }));
  const watched = new Set(config.namespaces);
  const secretScope = (scope: WatchScope): WatchScope =>
    config.secretLabelSelector ? { ...scope, labelSelector: config.secretLabelSelector } : scope;

  const byClusters = config.discovery === 'clusters';
  const clusters = byClusters
    ? scopes.map((scope) =>
        cluster.subscribe(clustersRef, scope, 'database.clusters', leanCluster, { shardBy: 'uid' }),
      )
    : [];
  const secrets = byClusters
    ? scopes.map((scope) =>
        cluster.subscribe<Credentials | null>(
          SECRETS,
          secretScope(scope),
          'database.credentials',
          leanCredentials,
        ),
      )
    : [];
  // The original's discovery: one watch per type, by the label the original selects it with.
  const typedSecrets = byClusters
    ? []
    : DATABASE_TYPES.flatMap((type) =>
        scopes.map((scope) => ({
          type,
          subscription: cluster.subscribe<Credentials | null>(
            SECRETS,
            {
              ...scope,
              labelSelector: [TYPE_SECRET_SELECTORS[type], config.secretLabelSelector]
                .filter(Boolean)
                .join(','),
            },
            'database.credentials',
            leanCredentials,
            // In the original's discovery each Secret is a database.
            { shardBy: 'uid' },
          ),
        })),
      );
  const services = scopes.map((scope) => cluster.subscribe(SERVICES, scope, 'database.services', () => true));
  const endpoints = scopes.map((scope) =>
    cluster.subscribe(ENDPOINTS, scope, 'database.ready-endpoints', readyAddresses),
  );
  const all = [
    ...clusters,
    ...secrets,
    ...typedSecrets.map((t) => t.subscription),
    ...services,
    ...endpoints,
  ];
  let synced = false;
  /** Whether a run has seen the process's informers listed (or waited its bound for them). */
  let everListed = false;
  const allSynced = Promise.all(all.map((s) => s.synced())).then(() => {
    synced = true;
  });

  const serviceState: ServiceState = {
    serviceExists: (service: ServiceRef) =>
      watched.size === 0 || watched.has(service.namespace)
        ? lookup(services, `${service.namespace}/${service.name}`) === true
        : undefined,
    readyEndpoints: (service: ServiceRef) => lookup(endpoints, `${service.namespace}/${service.name}`) ?? 0,
  };
  const server = config.resolver ? resolverAddress(config.resolver) : undefined;
  const limits = {
    mysql: pLimit(config.mysqlConcurrency),
    postgresql: pLimit(config.postgresqlConcurrency),
    mongodb: pLimit(config.mongodbConcurrency),
    redis: pLimit(config.redisConcurrency),
  } satisfies Record<DatabaseType, unknown>;

  const connectThread = new ConnectThread(context.logger);
  const connectors = {
    mysql: connectThread.connector('mysql'),
    postgresql: connectThread.connector('postgresql'),
    mongodb: connectThread.connector('mongodb'),
    redis: connectThread.connector('redis'),
  } satisfies Record<DatabaseType, unknown>;

  let results = new Map<string, CheckResult>();

  async function checkTarget(
    identity: Identity,
    credentials: Credentials,
    resolver: AddressResolver,
    signal: AbortSignal,
  ): Promise<CheckResult> {
    let target: ReturnType<typeof databaseTarget>;
    try {
      target = databaseTarget(identity, credentials);
    } catch (error) {
      if (!(error instanceof CheckFailure)) throw error;
      context.logger.debug({ ...identity, err: error.message }, 'database skipped');
      // The original times every database it found, also one whose Secret it cannot read.
      return { ...identity, connected: false, reason: error.reason, ...(byClusters ? {} : { seconds: 0 }) };
    }
    return checkDatabase(
      target,
      {
        resolver,
        services: serviceState,
        clusterDomain: config.clusterDomain,
        timeoutMs: config.checkTimeout,
        connect: connectors[identity.type],
        logger: context.logger,
      },
      signal,
    );
  }

  /** discovery: clusters. A stopped Cluster is not contacted; one without its Secret fails. */
  async function checkCluster(
    lean: LeanCluster & { type: DatabaseType },
    resolver: AddressResolver,
    signal: AbortSignal,
  ): Promise<CheckResult> {
    const identity = { namespace: lean.namespace, name: lean.name, type: lean.type };
    if (STOPPED_PHASES.has(lean.phase)) return { ...identity, connected: false, reason: 'stopped' };
    const credentials = secretNames(lean.name, lean.type)
      .map((name) => lookup(secrets, `${lean.namespace}/${name}`))
      .find((found) => found);
    if (!credentials) return { ...identity, connected: false, reason: 'secret_missing' };
    return checkTarget(identity, credentials, resolver, signal);
  }

  /** The checks of one run: every Cluster of a checked engine, or every credential Secret. */
  function runChecks(resolver: AddressResolver, signal: AbortSignal): Promise<CheckResult>[] {
    const checks: Promise<CheckResult>[] = [];
    if (byClusters) {
      for (const subscription of clusters) {
        for (const lean of subscription.items.values()) {
          if (!lean.type) continue;
          const typed = lean as LeanCluster & { type: DatabaseType };
          checks.push(limits[typed.type](() => checkCluster(typed, resolver, signal)));
        }
      }
      return checks;
    }
    // A Secret that carries two types' labels is one database, of the first type (the original
    // keys its results by namespace/name).
    const seen = new Set<string>();
    for (const { type, subscription } of typedSecrets) {
      for (const [key, credentials] of subscription.items) {
        if (!credentials || !key.endsWith(CREDENTIAL_SUFFIX)) continue;
        const slash = key.indexOf('/');
        const namespace = key.slice(0, slash);
        const name = key.slice(slash + 1, -CREDENTIAL_SUFFIX.length);
        const id = `${namespace}/${name}`;
        if (name === '' || seen.has(id)) continue;
        seen.add(id);
        const identity = { namespace, name, type };
        checks.push(limits[type](() => checkTarget(identity, credentials, resolver, signal)));
      }
    }
    return checks;
  }

  /** Whether the object a result came from still exists, so a deleted database's series go at once. */
  const stillThere = (result: CheckResult): boolean =>
    byClusters
      ? lookup(clusters, `${result.namespace}/${result.name}`) !== undefined
      : typedSecrets.some(
          ({ subscription }) =>
            subscription.items.get(`${result.namespace}/${result.name}${CREDENTIAL_SUFFIX}`) != null,
        );

  const poller = new Poller(context, {
    intervalMs: config.checkInterval,
    // Checks are each cut at checkTimeout; a run as a whole may take up to an interval.
    timeoutMs: config.checkInterval,
    run: async (signal) => {
      let timer: NodeJS.Timeout | undefined;
      const expired = new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), Math.min(SYNC_WAIT_MS, config.checkInterval / 2));
      });
      const waited = await Promise.race([allSynced.then(() => true as const), expired]);
      if (waited && !everListed) {
        // A round of thousands of checks would starve the other informers' first lists (at
        // 30k pods and 10k databases the pods listed 30 s later): they go first, within the
        // same bound, and a list the API refuses holds no round up past it.
        await Promise.race([cluster.listed(), expired]);
        everListed = true;
      }
      clearTimeout(timer);
      if (!waited) {
        throw new Error(
          byClusters
            ? `KubeBlocks clusters (${config.clusterApiVersion}), Secrets, Services or Endpoints not listed yet: ` +
                'is KubeBlocks installed and may this service account list and watch them?'
            : 'Secrets, Services or Endpoints not listed yet: may this service account list and watch them?',
        );
      }
      const resolver = new AddressResolver({
        server,
        clusterDomain: config.clusterDomain,
        checkTimeoutMs: config.checkTimeout,
      });
      const checks = runChecks(resolver, signal);
      const fresh = new Map<string, CheckResult>();
      for (const result of await Promise.all(checks)) fresh.set(`${result.namespace}/${result.name}`, result);
      results = fresh;
      forgetCurrent();
      const failed = [...fresh.values()].filter((r) => !r.connected).length;
      context.logger.info(
        { total: fresh.size, available: fresh.size - failed, unavailable: failed },
        'databases checked',
      );
      return undefined;
    },
  });

  // Six metrics read the current results on each collection; they change only with a run or
  // with the objects that discover databases (10k lookups six times a scrape cost ~60 ms at L).
  let currentCache: ResultEntry[] | undefined;
  /** Counts the times the current entries may have changed (the keyed metrics' source version). */
  let changes = 0;
  const forgetCurrent = () => {
    currentCache = undefined;
    changes += 1;
  };
  for (const subscription of byClusters ? clusters : typedSecrets.map((typed) => typed.subscription))
    subscription.onChange(forgetCurrent);
  /** Results of databases that still exist, by `namespace/name`. */
  const current = () => {
    currentCache ??= currentEntries(results, stillThere);
    return currentCache;
  };

  const resultsVersion = () => changes;
  context.metrics.observeObjects(databaseConnectivity, current, connectivity, resultsVersion);
  context.metrics.observeObjects(databaseResponseTime, current, responseTime, resultsVersion);
  context.metrics.observeObjects(databaseCheckError, current, checkError, resultsVersion);
  // The three counts read the same current entries: counted once per change of them.
  let counted:
    | { readonly of: readonly ResultEntry[]; readonly counts: ReturnType<typeof countsByType> }
    | undefined;
  const currentCounts = () => {
    const entries = current();
    if (counted?.of !== entries) counted = { of: entries, counts: countsByType(entries) };
    return counted.counts;
  };
  const observeCounts = (pick: (entry: { total: number; available: number }) => number) => {
    return (observe: (value: number, labels: { readonly type: string }) => void) => {
      if (results.size === 0 && !synced) return;
      for (const [type, entry] of currentCounts()) observe(pick(entry), { type });
    };
  };
  context.metrics.observe(
    databaseTotal,
    observeCounts((e) => e.total),
  );
  context.metrics.observe(
    databaseAvailable,
    observeCounts((e) => e.available),
  );
  context.metrics.observe(
    databaseUnavailable,
    observeCounts((e) => e.total - e.available),
  );

  const lifecycle = poller.asInstrument();
  return {
    ...lifecycle,
    stop: async () => {
      await lifecycle.stop();
      await connectThread.close();
      for (const subscription of all) subscription.close();
    },
  };
}

export const database = defineInstrument({
  name: 'database',
  summary:
    'Connectivity of KubeBlocks databases (MySQL, PostgreSQL, MongoDB, Redis): preflight, then connect + ping',
  leaderElection: true,
  sharded: true,
  needsCluster: true,
  configSchema: databaseConfig,
  metrics: databaseMetrics,
  create: createDatabase,
});
