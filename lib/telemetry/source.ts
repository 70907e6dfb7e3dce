/**
 * What an instrument registers for a metric, in one shape for every kind of callback: a pass is
 * the items to walk and what to observe for each. Both exports (the Prometheus pull path and the
 * OTLP producer) walk the same passes, in time slices (registry.ts).
 *
 * A keyed pass is the kube-state-metrics form: its series are a pure function of one object of
 * a keyed collection (an informer's store, a probe's results), so they are encoded once per
 * object and kept, in its `cache`, until the key holds a different object or is gone.
 */
import type { MetricDeclaration, MetricSink, Observe } from '../instrument.js';

export interface SourcePass {
  readonly items: Iterable<unknown>;
  each(item: unknown, observe: Observe): void;
}

export interface KeyedPass {
  readonly entries: Iterable<readonly [string, unknown]>;
  each(item: unknown, observe: Observe): void;
  readonly cache: ItemCache;
}

export type Pass = SourcePass | KeyedPass;

/** Opens one pass over the instrument's current state; called once per collection. */
export type OpenPass = () => Pass;

export type ObserveSource = (declaration: MetricDeclaration, open: OpenPass) => void;

export const EMPTY_PASS: SourcePass = { items: [], each: () => {} };

export function isKeyed(pass: Pass): pass is KeyedPass {
  return 'cache' in pass;
}

/** The objects a pass walks, keyed or not (for walks that do not use the cache). */
export function* passItems(pass: Pass): Iterable<unknown> {
  if (!isKeyed(pass)) {
    yield* pass.items;
    return;
  }
  for (const [, item] of pass.entries) yield item;
}

/** One object's encoded series, as the registry made them for the metric of its cache. */
export interface CachedItem<Encoded = unknown> {
  /** The object they were encoded from: a different object under the key is encoded again. */
  readonly item: unknown;
  readonly encoded: Encoded;
  /** The last walk that saw the key (see ItemCache.sweep). */
  seen: number;
}

/**
 * The encoded series of one keyed registration, per key. Walks are numbered; a complete walk
 * drops the keys it did not see (deleted objects), but never one that a walk started after it
 * has seen, so concurrent walks (a scrape and an OTLP export) do not drop each other's keys.
 */
export class ItemCache {
  readonly items = new Map<string, CachedItem>();
  #walks = 0;

  /** Starts a walk; returns its number. */
  begin(): number {
    this.#walks += 1;
    return this.#walks;
  }

  /** After a complete walk numbered `walk` that saw `seen` keys: drops what no later walk saw. */
  sweep(walk: number, seen: number): void {
    if (this.items.size <= seen) return;
    for (const [key, cached] of this.items) if (cached.seen < walk) this.items.delete(key);
  }
}

const ONE_ITEM = [0] as const;

/** The instrument-facing sink over a function that registers passes. */
export function sinkOver(observeSource: ObserveSource): MetricSink {
  return {
    observe: (declaration, callback) => {
      const pass: SourcePass = { items: ONE_ITEM, each: (_item, observe) => callback(observe) };
      observeSource(declaration, () => pass);
    },
    observeEach: (declaration, items, each) => {
      observeSource(declaration, () => ({
        items: items(),
        each: each as (item: unknown, observe: Observe) => void,
      }));
    },
    observeObjects: (declaration, entries, each) => {
      const cache = new ItemCache();
      observeSource(declaration, () => ({
        entries: entries(),
        each: each as (item: unknown, observe: Observe) => void,
        cache,
      }));
    },
  };
}
