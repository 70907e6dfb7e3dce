/**
 * The runtime holds the serving generation and replaces it on config change: load, validate,
 * build the next generation beside the current one, swap, shut the old one down. Anything that
 * fails before the swap leaves the current generation serving.
 */
import type { Env, Override } from './config/env.js';
import { type LoadedConfig, loadConfig } from './config/load.js';
import { restartPaths } from './config/reference.js';
import { type Config, configSchema } from './config/schema.js';
import { FileWatch } from './file-watch.js';
import { Generation, type GenerationDeps, READY_TIMEOUT_MS } from './generation.js';
import { buildResource, resolveIdentity } from './identity.js';
import type { Clock, Identity } from './instrument.js';
import { Cluster } from './kube/cluster.js';
import type { Subscription } from './kube/informer.js';
import type { Logger, LogHub } from './log.js';
import { ExportRecord, ReloadRecord } from './telemetry/self-metrics.js';

export interface RuntimeOptions {
  readonly file?: string;
  readonly env: Env;
  readonly flags?: readonly Override[];
  readonly logs: LogHub;
  readonly clock?: Clock;
  /** Settle time for config file changes; 3 s as in the original. */
  readonly reloadDebounceMs?: number;
  /** Where the in-cluster service account's files are (tests and benchmarks move them). */
  readonly serviceAccountDir?: string;
}

/** The keys read once at start, from the schema's `restart` metadata. */
const RESTART_PATHS = restartPaths(configSchema);

/** Settings read once at start: changing them in the file is reported, not applied. */
export function restartOnlyChanges(running: Config, next: Config): string[] {
  const at = (config: Config, path: readonly string[]) =>
    path.reduce<unknown>((value, key) => (value as Record<string, unknown> | undefined)?.[key], config);
  return RESTART_PATHS.filter((path) => at(running, path) !== at(next, path)).map((path) => path.join('.'));
}

type GenerationListener = (generation: Generation) => void | Promise<void>;

export class Runtime {
  readonly reloads: ReloadRecord;
  /** The cluster connection, shared by every generation; undefined without a cluster. */
  readonly cluster: Cluster | undefined;
  readonly identity: Identity;
  /** The config the process started with; restart-only settings stay as it had them. */
  readonly startup: LoadedConfig;
  readonly #options: RuntimeOptions;
  readonly #logger: Logger;
  readonly #listeners: GenerationListener[] = [];
  readonly #deps: GenerationDeps;
  /** Set when the process stops (not on reload): leaders then release their leases. */
  readonly #exiting: { value: boolean };
  #current: Generation;
  #watch: FileWatch | undefined;
  /** The StatefulSet whose replicas are the shard count (`sharding.fromStatefulSet`), watched. */
  #statefulSet: { readonly name: string; readonly subscription: Subscription<number> } | undefined;
  /** Set when the shard count changed: the next reload rebuilds though the config did not change. */
  #reshard = false;
  /** The files the running config names (keys marked `file`), and their watch. */
  #namedFiles: { readonly paths: string; readonly watch: FileWatch } | undefined;
  #reloading: Promise<boolean> | undefined;
  #pendingReload = false;
  #stopped = false;

  private constructor(
    options: RuntimeOptions,
    startup: LoadedConfig,
    current: Generation,
    deps: GenerationDeps,
    exiting: { value: boolean },
  ) {
    this.#deps = deps;
    this.cluster = deps.cluster;
    this.identity = deps.identity;
    this.reloads = deps.reloads;
    this.#exiting = exiting;
    this.#options = options;
    this.startup = startup;
    this.#current = current;
    this.#logger = options.logs.child({ component: 'runtime' });
  }

  /** Loads the config and starts the first generation; throws ConfigError or the build error. */
  static async start(options: RuntimeOptions): Promise<Runtime> {
    const readyBy = performance.now() + READY_TIMEOUT_MS;
    // Watch before the first load, so a change made while starting is not taken as the baseline.
    let runtime: Runtime | undefined;
    let changedWhileStarting = false;
    let cluster: Cluster | undefined;
    const exiting = { value: false };
    const watch =
      options.file === undefined
        ? undefined
        : await FileWatch.start(
            [options.file],
            () => {
              if (runtime) void runtime.reload();
              else changedWhileStarting = true;
            },
            { debounceMs: options.reloadDebounceMs ?? 3000 },
          );
    try {
      const loaded = await loadConfig(Runtime.#sources(options));
      options.logs.configure(loaded.config.logging.level, loaded.config.logging.format);
      const identity = resolveIdentity(loaded.config, options.env);
      const reloads = new ReloadRecord();
      reloads.hash = loaded.hash;
      cluster = await Cluster.connect(
        loaded.config,
        options.env,
        options.logs.child({ component: 'kube' }),
        options.serviceAccountDir !== undefined ? { serviceAccountDir: options.serviceAccountDir } : {},
      );
      // What every generation is built with; none of it changes while the process runs.
      const deps = Runtime.#buildDeps(options, identity, reloads, cluster, exiting);
      const generation = await Generation.build(1, loaded, deps, readyBy);
      runtime = new Runtime(options, loaded, generation, deps, exiting);
    } catch (error) {
      watch?.close();
      await cluster?.stop();
      throw error;
    }
    runtime.#watch = watch;
    await runtime.#watchNamedFiles(runtime.#current.loaded.files);
    runtime.#followStatefulSet();
    if (changedWhileStarting) void runtime.reload();
    return runtime;
  }

  static #sources(options: RuntimeOptions) {
    return {
      ...(options.file !== undefined ? { file: options.file } : {}),
      env: options.env,
      ...(options.flags ? { flags: options.flags } : {}),
    };
  }

  static #buildDeps(
    options: RuntimeOptions,
    identity: Identity,
    reloads: ReloadRecord,
    cluster: Cluster | undefined,
    exiting: { value: boolean },
  ) {
    return {
      cluster,
      exiting: () => exiting.value,
      logs: options.logs,
      identity,
      resource: buildResource(identity, options.env),
      reloads,
      exports: new ExportRecord(),
      clock: options.clock ?? { now: () => Date.now() },
    };
  }

  get current(): Generation {
    return this.#current;
  }

  /** Called after each swap (and not for the first generation). */
  onGeneration(listener: GenerationListener): void {
    this.#listeners.push(listener);
  }

  /** Reloads now; resolves true when a new generation is serving. Reloads never overlap. */
  reload(): Promise<boolean> {
    if (this.#reloading) {
      this.#pendingReload = true;
      return this.#reloading;
    }
    this.#reloading = this.#reloadOnce().finally(() => {
      this.#reloading = undefined;
      if (this.#pendingReload && !this.#stopped) {
        this.#pendingReload = false;
        void this.reload();
      }
    });
    return this.#reloading;
  }

  async #reloadOnce(): Promise<boolean> {
    if (this.#stopped) return false;
    let loaded: LoadedConfig;
    try {
      loaded = await loadConfig(Runtime.#sources(this.#options));
    } catch (error) {
      return this.#rejected(error, 'config rejected, previous config keeps serving');
    }
    const reshard = this.#reshard;
    this.#reshard = false;
    if (loaded.hash === this.#current.loaded.hash && !reshard) {
      // E.g. a rejected edit was reverted: the file and the running config agree again.
      this.reloads.lastSuccessful = true;
      this.#logger.info('config file changed but the effective config did not');
      return false;
    }
    let next: Generation;
    try {
      next = await Generation.build(this.#current.number + 1, loaded, this.#deps);
    } catch (error) {
      return this.#rejected(error, 'new generation failed to start, previous config keeps serving');
    }
    const restart = restartOnlyChanges(this.startup.config, loaded.config);
    this.reloads.restartRequired = restart;
    if (restart.length > 0)
      this.#logger.warn({ settings: restart }, 'these settings need a restart to take effect');
    const previous = this.#current;
    this.#current = next;
    this.#options.logs.configure(loaded.config.logging.level, loaded.config.logging.format);
    this.reloads.successes += 1;
    this.reloads.lastSuccessful = true;
    this.reloads.hash = loaded.hash;
    this.#logger.info({ generation: next.number, hash: loaded.hash.slice(0, 12) }, 'config reloaded');
    for (const listener of this.#listeners) {
      try {
        await listener(next);
      } catch (error) {
        this.#logger.error({ err: (error as Error).message }, 'applying the reloaded config failed');
      }
    }
    await previous.shutdown();
    await this.#watchNamedFiles(loaded.files);
    this.#followStatefulSet();
    return true;
  }

  /** Under `sharding.fromStatefulSet`, a scale of the StatefulSet rebuilds with the new count. */
  #followStatefulSet(): void {
    const name = this.#current.shard.statefulSet;
    if (this.#statefulSet?.name === name) return;
    this.#statefulSet?.subscription.close();
    this.#statefulSet = undefined;
    if (!name || !this.cluster || this.#stopped) return;
    const subscription = this.cluster.subscribe(
      { group: 'apps', version: 'v1', resource: 'statefulsets' },
      { namespace: this.identity.podNamespace, fieldSelector: `metadata.name=${name}` },
      'runtime.sharding',
      (object) => {
        const replicas = (object.spec as { replicas?: unknown } | undefined)?.replicas;
        return typeof replicas === 'number' && Number.isInteger(replicas) && replicas >= 1 ? replicas : 1;
      },
    );
    subscription.onChange(() => {
      const [replicas] = subscription.items.values();
      if (replicas === undefined || replicas === this.#current.shard.totalShards) return;
      this.#logger.info(
        { statefulSet: name, from: this.#current.shard.totalShards, to: replicas },
        'StatefulSet scaled: sharding again',
      );
      this.#reshard = true;
      void this.reload();
    });
    this.#statefulSet = { name, subscription };
  }

  /** Watches the files a config names for their content, as the config file is watched. */
  async #watchNamedFiles(files: readonly string[]): Promise<void> {
    const paths = files.join('\0');
    if (this.#stopped || paths === (this.#namedFiles?.paths ?? '')) return;
    this.#namedFiles?.watch.close();
    this.#namedFiles = undefined;
    if (files.length === 0) return;
    const watch = await FileWatch.start(files, () => void this.reload(), {
      debounceMs: this.#options.reloadDebounceMs ?? 3000,
    });
    this.#namedFiles = { paths, watch };
  }

  #rejected(error: unknown, message: string): false {
    this.reloads.failures += 1;
    this.reloads.lastSuccessful = false;
    const problems = (error as { problems?: readonly string[] }).problems ?? [(error as Error).message];
    this.#logger.error({ problems }, message);
    return false;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#exiting.value = true;
    this.#watch?.close();
    this.#namedFiles?.watch.close();
    this.#namedFiles = undefined;
    this.#statefulSet?.subscription.close();
    this.#statefulSet = undefined;
    await this.#reloading;
    await this.#current.shutdown();
    await this.cluster?.stop();
  }
}
