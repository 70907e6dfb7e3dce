/**
 * Shared informers: one list-then-watch per resource and scope (namespace, selectors), however
 * many consumers use it. Each consumer names a transform and gets its own store of transformed
 * objects (only the fields it uses), shared with any later consumer of the same name: a reloaded
 * generation that subscribes again finds its store filled, with no relist.
 *
 * The loop follows client-go's reflector: paginated list, watch from the list's resourceVersion
 * with bookmarks, re-watch from the last seen version when a stream ends, relist on 410 Gone,
 * capped exponential backoff with jitter on errors (Retry-After honoured).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../log.js';
import { KubeApiError, type KubeClient, WatchEventTooLarge } from './client.js';

export interface ResourceRef {
  readonly group: string;
  readonly version: string;
  readonly resource: string;
}

export interface WatchScope {
  readonly namespace?: string;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
}

export interface ApiObject {
  readonly metadata: {
    readonly name: string;
    readonly namespace?: string;
    readonly resourceVersion?: string;
    readonly uid?: string;
  };
  readonly [key: string]: unknown;
}

export type Transform<T> = (object: ApiObject) => T;
/** `resync` re-delivers a cached key every resync period, as client-go's informers do. */
export type ChangeListener = (type: 'upsert' | 'delete' | 'relist' | 'resync', key: string) => void;

export interface InformerOptions {
  readonly pageSize: number;
  readonly backoffInitialMs: number;
  readonly backoffMaxMs: number;
  /** `performance.informerResyncPeriod`; 0 turns resync off. */
  readonly resyncMs: number;
}

/**
 * A watch shorter than this that brought no event counts as a failed one for backoff (client-go's
 * "very short watch" rule).
 */
const MIN_HEALTHY_WATCH_MS = 1000;

export const DEFAULT_INFORMER_OPTIONS: InformerOptions = {
  pageSize: 500,
  backoffInitialMs: 200,
  backoffMaxMs: 30_000,
  resyncMs: 600_000,
};

export function objectKey(object: ApiObject): string {
  return object.metadata.namespace
    ? `${object.metadata.namespace}/${object.metadata.name}`
    : object.metadata.name;
}

/** The store key of an object the API server sent, or undefined when it has no usable name. */
function wellFormedKey(object: unknown): string | undefined {
  const metadata = (object as { metadata?: unknown } | null)?.metadata as
    | { name?: unknown; namespace?: unknown }
    | undefined;
  if (typeof metadata !== 'object' || metadata === null) return undefined;
  if (typeof metadata.name !== 'string' || metadata.name === '') return undefined;
  if (metadata.namespace !== undefined && typeof metadata.namespace !== 'string') return undefined;
  return objectKey(object as ApiObject);
}

export function resourcePath(ref: ResourceRef, namespace?: string): string {
  const base = ref.group === '' ? `/api/${ref.version}` : `/apis/${ref.group}/${ref.version}`;
  return namespace ? `${base}/namespaces/${namespace}/${ref.resource}` : `${base}/${ref.resource}`;
}

class Store<T> {
  readonly items = new Map<string, T>();
  readonly listeners = new Set<ChangeListener>();
  users = 0;
  /** Counts the changes to `items`, so that a reader can tell it has seen them all. */
  version = 0;
  constructor(
    readonly transform: Transform<T>,
    /** Which objects this store holds (a shard's); all without. */
    readonly keep?: (object: ApiObject) => boolean,
  ) {}
}

/** A consumer's view: its transformed objects and change notifications. */
export interface Subscription<T> {
  readonly items: ReadonlyMap<string, T>;
  /** Changes whenever `items` does (a number that only grows). */
  readonly version: number;
  onChange(listener: ChangeListener): void;
  /** Resolves after the first complete list. */
  synced(): Promise<void>;
  close(): void;
}

class Expired extends Error {}

/** A list page as it reads without its items (KubeClient.listPage hands those on one by one). */
interface ListEnvelope {
  readonly metadata: { resourceVersion: string; continue?: string };
  readonly items?: ApiObject[];
}

export class Informer {
  readonly ref: ResourceRef;
  readonly scope: WatchScope;
  /** Counters for tests and self-observation. */
  readonly stats = { lists: 0, watches: 0, errors: 0 };
  /** Events (bookmarks included) the current or last watch brought. */
  #watchEvents = 0;
  readonly #client: KubeClient;
  readonly #logger: Logger;
  readonly #options: InformerOptions;
  readonly #stores = new Map<string, Store<unknown>>();
  #resourceVersion = '';
  #needList = true;
  #abort = new AbortController();
  #running: Promise<void> | undefined;
  #stopping = false;
  #resync: NodeJS.Timeout | undefined;
  #synced: Promise<void>;
  #markSynced!: () => void;

  constructor(
    client: KubeClient,
    ref: ResourceRef,
    scope: WatchScope,
    logger: Logger,
    options = DEFAULT_INFORMER_OPTIONS,
  ) {
    this.#client = client;
    this.ref = ref;
    this.scope = scope;
    this.#logger = logger;
    this.#options = options;
    this.#synced = new Promise((resolve) => {
      this.#markSynced = resolve;
    });
  }

  get resourceVersion(): string {
    return this.#resourceVersion;
  }

  /** Resolves at the end of the first complete list. */
  listed(): Promise<void> {
    return this.#synced;
  }

  get hasSynced(): boolean {
    return this.#resourceVersion !== '';
  }

  /** Subscribes under a transform name; the same name shares one store. */
  subscribe<T>(
    name: string,
    transform: Transform<T>,
    keep?: (object: ApiObject) => boolean,
  ): Subscription<T> {
    let store = this.#stores.get(name) as Store<T> | undefined;
    if (!store) {
      store = new Store(transform, keep);
      this.#stores.set(name, store as Store<unknown>);
      // A store born after the list has nothing in it: list again to fill it.
      if (this.hasSynced) this.#relistSoon();
    }
    store.users += 1;
    const own = store;
    const listeners: ChangeListener[] = [];
    return {
      items: own.items,
      get version() {
        return own.version;
      },
      onChange: (listener) => {
        listeners.push(listener);
        own.listeners.add(listener);
      },
      synced: () => this.#synced,
      close: () => {
        for (const listener of listeners) own.listeners.delete(listener);
        own.users -= 1;
        if (own.users === 0) this.#stores.delete(name);
      },
    };
  }

  get subscribers(): number {
    let users = 0;
    for (const store of this.#stores.values()) users += store.users;
    return users;
  }

  start(): void {
    this.#running ??= this.#run();
    if (this.#options.resyncMs > 0 && !this.#resync) {
      this.#resync = setInterval(() => this.#redeliver(), this.#options.resyncMs);
      this.#resync.unref();
    }
  }

  #redeliver(): void {
    for (const store of this.#stores.values()) {
      if (store.listeners.size === 0) continue;
      for (const key of store.items.keys()) for (const listener of store.listeners) listener('resync', key);
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.#resync);
    this.#stopping = true;
    this.#abort.abort();
    await this.#running;
  }

  #relistSoon(): void {
    this.#needList = true;
    // Ending the current watch makes the loop list at once.
    const previous = this.#abort;
    this.#abort = new AbortController();
    previous.abort();
  }

  async #run(): Promise<void> {
    const { backoffInitialMs, backoffMaxMs } = this.#options;
    let backoffMs = backoffInitialMs;
    /** Relists since the last healthy watch that a 410 asked for. */
    let expiredInARow = 0;
    /** The next wait: capped exponential with jitter, or longer if the server asked for it. */
    const nextWaitMs = (atLeastMs = 0): number => {
      const waitMs = Math.max(atLeastMs, backoffMs * (0.5 + Math.random() / 2));
      backoffMs = Math.min(backoffMs * 2, backoffMaxMs);
      return waitMs;
    };
    const pause = (ms: number) => sleep(ms, undefined, { signal: this.#abort.signal }).catch(() => undefined);
    while (!this.#stopping) {
      const signal = this.#abort.signal;
      let watchStarted: number | undefined;
      // A watch that stayed open a while or brought events means the server was healthy, however
      // the watch ended: earlier failures no longer count toward the backoff.
      const afterWatch = () => {
        if (watchStarted === undefined) return false;
        if (this.#watchEvents === 0 && Date.now() - watchStarted < MIN_HEALTHY_WATCH_MS) return false;
        backoffMs = backoffInitialMs;
        expiredInARow = 0;
        return true;
      };
      try {
        if (this.#needList) {
          await this.#list(signal);
          if (this.#needList) continue;
        }
        watchStarted = Date.now();
        await this.#watch(signal);
        // A watch the server (or a proxy) ends at once would otherwise be reopened in a tight
        // loop: back off as for an error.
        if (!afterWatch() && !this.#stopping && !signal.aborted) await pause(nextWaitMs());
      } catch (error) {
        if (this.#stopping) break;
        if (signal.aborted) continue; // a relist was asked for
        afterWatch();
        if (error instanceof WatchEventTooLarge) {
          // What the watch would bring again from the same resourceVersion: list instead.
          this.#logger.warn({ resource: this.ref.resource, err: error.message }, 'watch dropped, relisting');
          this.stats.errors += 1;
          this.#needList = true;
          await pause(nextWaitMs());
          continue;
        }
        if (error instanceof Expired || (error instanceof KubeApiError && error.code === 410)) {
          this.#logger.info({ resource: this.ref.resource }, 'resourceVersion expired, relisting');
          this.#needList = true;
          // The first 410 relists at once; a server that keeps answering 410 to fresh lists is
          // not relisted in a tight loop.
          expiredInARow += 1;
          if (expiredInARow > 1) await pause(nextWaitMs());
          continue;
        }
        this.stats.errors += 1;
        const retryAfterMs =
          error instanceof KubeApiError && error.retryAfterSeconds ? error.retryAfterSeconds * 1000 : 0;
        const waitMs = nextWaitMs(retryAfterMs);
        this.#logger.warn(
          { resource: this.ref.resource, err: (error as Error).message, retryInMs: Math.round(waitMs) },
          'list/watch failed',
        );
        await pause(waitMs);
      }
    }
  }

  async #list(signal: AbortSignal): Promise<void> {
    this.stats.lists += 1;
    const path = resourcePath(this.ref, this.scope.namespace);
    // Transform item by item as the bytes arrive (KubeClient.listPage): each raw object is garbage
    // once it is transformed, so the peak is an item plus the lean stores, not a raw page.
    const stores = [...this.#stores.values()];
    const fresh = stores.map(() => new Map<string, unknown>());
    let resourceVersion = '';
    // The next page is asked for as soon as this one's head names it: the API server writes it
    // while this process reads this one (at 30k pods against kube-apiserver, about a third of
    // the sync). The requests are client-go's, only earlier.
    const listing = new AbortController();
    const both = AbortSignal.any([signal, listing.signal]);
    let malformed = 0;
    const take = (item: unknown) => {
      const key = wellFormedKey(item);
      if (key === undefined) {
        malformed += 1;
        return;
      }
      for (const [index, store] of stores.entries()) {
        if (store.keep && !store.keep(item as ApiObject)) continue;
        fresh[index]?.set(key, store.transform(item as ApiObject));
      }
    };
    // Items go into the fresh stores as they arrive, those of a page asked for ahead too: the
    // stores are keyed, and a list that fails anywhere is dropped whole and listed again.
    const ask = (token: string | undefined) => {
      const asked = this.#client.listPage<ListEnvelope>(
        path,
        {
          query: {
            limit: this.#options.pageSize,
            continue: token,
            labelSelector: this.scope.labelSelector,
            fieldSelector: this.scope.fieldSelector,
          },
          signal: both,
        },
        take,
      );
      // Awaited below, or aborted in `finally`: never an unhandled rejection.
      asked.page.catch(() => {});
      return asked;
    };
    try {
      let current = ask(undefined);
      for (;;) {
        const early = await current.next;
        const ahead = typeof early === 'string' ? ask(early) : undefined;
        const page = await current.page;
        for (const item of page.items ?? []) take(item);
        resourceVersion = page.metadata.resourceVersion;
        const token = page.metadata.continue || undefined;
        if (ahead !== undefined && early !== token) {
          throw new Error(
            `a list page's head named continue token ${String(early).slice(0, 40)}, its metadata ${String(token).slice(0, 40)}`,
          );
        }
        if (token === undefined) break;
        current = ahead ?? ask(token);
      }
    } finally {
      listing.abort();
    }
    if (malformed > 0) {
      this.#logger.warn(
        { resource: this.ref.resource, skipped: malformed },
        'list items without metadata.name skipped',
      );
    }
    for (const [index, store] of stores.entries()) {
      store.items.clear();
      for (const [key, value] of fresh[index] ?? []) store.items.set(key, value);
      store.version += 1;
      for (const listener of store.listeners) listener('relist', '');
    }
    this.#resourceVersion = resourceVersion;
    // A consumer that subscribed while this list ran has an empty store: list once more for it.
    this.#needList = [...this.#stores.values()].some((store) => !stores.includes(store));
    if (!this.#needList) this.#markSynced();
  }

  async #watch(signal: AbortSignal): Promise<void> {
    this.stats.watches += 1;
    this.#watchEvents = 0;
    const outcome = await this.#client.watch(
      resourcePath(this.ref, this.scope.namespace),
      {
        resourceVersion: this.#resourceVersion,
        allowWatchBookmarks: true,
        labelSelector: this.scope.labelSelector,
        fieldSelector: this.scope.fieldSelector,
        // As client-go: a random 5-10 minute server-side timeout spreads reconnects.
        timeoutSeconds: 300 + Math.floor(Math.random() * 300),
      },
      (event) => {
        this.#watchEvents += 1;
        this.#apply(event.type, event.object);
      },
      signal,
    );
    if (outcome === 'idle') {
      this.#logger.info({ resource: this.ref.resource }, 'watch brought nothing, reopening it');
    }
  }

  #apply(type: string, object: Record<string, unknown>): void {
    if (type === 'ERROR') {
      const code = (object as { code?: number }).code;
      if (code === 410) throw new Expired(String((object as { message?: string }).message));
      throw new KubeApiError(
        code ?? 500,
        String((object as { reason?: string }).reason),
        String((object as { message?: string }).message),
      );
    }
    const item = object as unknown as ApiObject;
    const version =
      typeof item?.metadata?.resourceVersion === 'string' ? item.metadata.resourceVersion : undefined;
    if (type === 'BOOKMARK') {
      if (version) this.#resourceVersion = version;
      return;
    }
    const key = wellFormedKey(item);
    if (key === undefined || !['ADDED', 'MODIFIED', 'DELETED'].includes(type)) {
      this.#logger.warn(
        { resource: this.ref.resource, type: String(type).slice(0, 40) },
        key === undefined
          ? 'watch event without metadata.name skipped'
          : 'watch event of an unknown type skipped',
      );
      return;
    }
    for (const store of this.#stores.values()) {
      // Another shard's object: this store never held it (its UID, and so its shard, is fixed).
      if (store.keep && !store.keep(item)) continue;
      if (type === 'DELETED') store.items.delete(key);
      else store.items.set(key, store.transform(item));
      store.version += 1;
      for (const listener of store.listeners) listener(type === 'DELETED' ? 'delete' : 'upsert', key);
    }
    if (version) this.#resourceVersion = version;
  }
}

/** The shared informers of a process: one per resource and scope, kept while anyone uses it. */
export class InformerHub {
  readonly #client: KubeClient;
  readonly #logger: Logger;
  readonly #options: InformerOptions;
  readonly #informers = new Map<string, Informer>();

  constructor(client: KubeClient, logger: Logger, options = DEFAULT_INFORMER_OPTIONS) {
    this.#client = client;
    this.#logger = logger;
    this.#options = options;
  }

  subscribe<T>(
    ref: ResourceRef,
    scope: WatchScope,
    name: string,
    transform: Transform<T>,
    keep?: (object: ApiObject) => boolean,
  ): Subscription<T> {
    const key = JSON.stringify([
      ref.group,
      ref.version,
      ref.resource,
      scope.namespace ?? '',
      scope.labelSelector ?? '',
      scope.fieldSelector ?? '',
    ]);
    let informer = this.#informers.get(key);
    const created = !informer;
    if (!informer) {
      informer = new Informer(this.#client, ref, scope, this.#logger, this.#options);
      this.#informers.set(key, informer);
    }
    // Subscribe before starting, so the first list already fills this consumer's store.
    const subscription = informer.subscribe(name, transform, keep);
    if (created) informer.start();
    const owner = informer;
    return {
      items: subscription.items,
      // Read through: a spread would copy the version once.
      get version() {
        return subscription.version;
      },
      onChange: subscription.onChange,
      synced: subscription.synced,
      close: () => {
        subscription.close();
        if (owner.subscribers === 0) {
          this.#informers.delete(key);
          void owner.stop();
        }
      },
    };
  }

  /** Every informer there is now has listed once. */
  async listed(): Promise<void> {
    await Promise.all([...this.#informers.values()].map((informer) => informer.listed()));
  }

  get informers(): readonly Informer[] {
    return [...this.#informers.values()];
  }

  async stop(): Promise<void> {
    await Promise.all([...this.#informers.values()].map((informer) => informer.stop()));
    this.#informers.clear();
  }
}
