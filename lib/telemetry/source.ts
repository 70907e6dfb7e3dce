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
import { LineBlocks } from './line-blocks.js';

/** What an instrument observes for one item of a pass. */
export type SeriesOf = (item: unknown, observe: Observe) => void;

export interface SourcePass {
  readonly items: Iterable<unknown>;
  readonly each: SeriesOf;
}

export interface KeyedPass {
  readonly entries: Iterable<readonly [string, unknown]>;
  /** A pure function of the item. */
  readonly each: SeriesOf;
  readonly cache: ItemCache;
  /** The source's version when the pass was opened, when it has one (`observeObjects`). */
  readonly version?: number | undefined;
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

/** One object's cell in a cache; the registry adds its encoded series (registry.ts). */
export interface CachedItem {
  readonly key: string;
  /** The object the cell was encoded from: a different object under the key is encoded again. */
  readonly item: unknown;
}

/** How far ahead of its place a walk looks for a key before it asks the index (deletions). */
const LOOKAHEAD = 16;

/** The cells of one complete walk, in its order, and an index by key made when first needed. */
interface CachedWalk<Cell extends CachedItem> {
  readonly cells: readonly Cell[];
  /**
   * Each cell's object, in the same order: the next walk compares the objects it meets with
   * these pointers, without touching the cells (a cache miss each at 250k cells, most of a
   * quiet scrape's time).
   */
  readonly items: readonly unknown[];
  /** Each cell's number of series, in the same order (the same reason). */
  readonly counts: readonly number[];
  /** Whether the walk's cells gave no series twice (registry.ts checks it). */
  readonly repeatFree: boolean;
  /** The series the cells hold. */
  readonly series: number;
  index?: Map<string, number>;
}

/** A keyed metric's exposition as its cells gave it, kept while they stay as they are. */
export interface KeptExposition {
  /** The cells array it was written from (a quiet walk hands on the same array). */
  readonly cells: readonly unknown[];
  /** `LineBlocks.moves` when it was written: a move leaves it pointing at bytes let go of. */
  readonly moves: number;
  readonly chunks: readonly Buffer[];
}

/**
 * The encoded series of one keyed registration, as the last complete walk left them, in the
 * order it met the keys. The next walk meets them in about the same order (an informer's store
 * and a poll's map keep insertion order), so finding a key's cell is a comparison at a cursor,
 * not a hash lookup per object (0.3-0.5 µs each at 250k objects): a few deleted keys are skipped
 * by looking ahead, and only a reordering (a relist) builds an index. Each walk builds the cells
 * of its own view and publishes them when complete, so deleted objects leave with it, and two
 * walks at once (a scrape and an OTLP export) never drop each other's objects.
 */
export class ItemCache<Cell extends CachedItem = CachedItem> {
  /** Where the cells' sample lines are kept, as bytes (line-blocks.ts). */
  readonly lines = new LineBlocks();
  /** Where the cells' OTLP points are kept, once an export has encoded them. */
  readonly points = new LineBlocks();
  /** The exposition of the last cells a scrape wrote, for the next scrape of the same cells. */
  exposition: KeptExposition | undefined;
  #last: CachedWalk<Cell> = { cells: [], items: [], counts: [], repeatFree: true, series: 0 };
  /** The source's version the last complete walk started at. */
  #lastVersion: number | undefined;

  /** Starts a walk over the cache as the last complete walk left it, of the source at `version`. */
  walk(version?: number): CacheWalk<Cell> {
    return new CacheWalk(this.#last, (walk) => {
      this.#last = walk;
      this.#lastVersion = version;
    });
  }

  /**
   * The last complete walk, when it started at `version` of the source: nothing it walked has
   * changed since, so its cells are this walk's.
   */
  lastAt(
    version: number | undefined,
  ): Readonly<Pick<CachedWalk<Cell>, 'cells' | 'repeatFree' | 'series'>> | undefined {
    return version !== undefined && version === this.#lastVersion ? this.#last : undefined;
  }

  get size(): number {
    return this.#last.cells.length;
  }
}

export class CacheWalk<Cell extends CachedItem> {
  readonly #previous: CachedWalk<Cell>;
  readonly #publish: (walk: CachedWalk<Cell>) => void;
  /** This walk's cells and their objects; until one differs, the last walk's arrays are shared. */
  #cells: Cell[];
  #items: unknown[];
  #counts: number[];
  /** How many cells this walk has kept, and the series they hold. */
  #kept = 0;
  #series = 0;
  #copied = false;
  #cursor = 0;

  constructor(previous: CachedWalk<Cell>, publish: (walk: CachedWalk<Cell>) => void) {
    this.#previous = previous;
    this.#publish = publish;
    this.#cells = previous.cells as Cell[];
    this.#items = previous.items as unknown[];
    this.#counts = previous.counts as number[];
  }

  /**
   * The last walk's cell at the cursor when it was made from `item` itself: a pointer comparison.
   * Its key is not compared: the cell's series are a function of the object alone.
   */
  same(item: unknown): Cell | undefined {
    const at = this.#cursor;
    if (at >= this.#previous.items.length || this.#previous.items[at] !== item) return undefined;
    this.#cursor = at + 1;
    return this.#previous.cells[at];
  }

  /** The cell the last complete walk had for `key`. */
  find(key: string): Cell | undefined {
    const { cells } = this.#previous;
    const end = Math.min(cells.length, this.#cursor + LOOKAHEAD);
    for (let at = this.#cursor; at < end; at++) {
      if ((cells[at] as Cell).key === key) {
        this.#cursor = at + 1;
        return cells[at];
      }
    }
    // Past the last cell, and with no reordering seen, a key is new (an informer or a poll map
    // appends new keys); encoding it is always right, so only a miss in the middle pays for an
    // index (~30-60 ms to build at 250k cells, not time-sliced).
    if (this.#cursor >= cells.length && this.#previous.index === undefined) return undefined;
    this.#previous.index ??= new Map(cells.map((cell, at) => [cell.key, at]));
    const at = this.#previous.index.get(key);
    if (at === undefined) return undefined;
    if (at >= this.#cursor) this.#cursor = at + 1;
    return cells[at];
  }

  /**
   * Records the cell of the key this walk is at, made from `item`. A quiet walk keeps the last
   * walk's cells in their order, so no array is built for it (250k pushes a scrape at L).
   */
  keep(cell: Cell, item: unknown, count: number): void {
    this.#series += count;
    if (!this.#copied) {
      if (this.#cells[this.#kept] === cell) {
        this.#kept += 1;
        return;
      }
      this.#copy();
    }
    this.#cells.push(cell);
    this.#items.push(item);
    this.#counts.push(count);
    this.#kept += 1;
  }

  /** The series of the last walk's cell that `same` returned last (its count, without the cell). */
  get sameCount(): number {
    return this.#previous.counts[this.#cursor - 1] as number;
  }

  #copy(): void {
    this.#cells = this.#cells.slice(0, this.#kept);
    this.#items = this.#items.slice(0, this.#kept);
    this.#counts = this.#counts.slice(0, this.#kept);
    this.#copied = true;
  }

  /** The cells this walk kept, in its order. */
  get cells(): readonly Cell[] {
    if (!this.#copied && this.#kept < this.#cells.length) this.#copy();
    return this.#cells;
  }

  /**
   * Whether this walk kept exactly the cells of the last complete one, in their order: then
   * whatever held for those cells together (no series twice, their count) holds for this walk too.
   */
  get unchanged(): boolean {
    return !this.#copied && this.#kept === this.#previous.cells.length;
  }

  /** Whether the last complete walk's cells gave no series twice. */
  get previousRepeatFree(): boolean {
    return this.#previous.repeatFree;
  }

  /** The series of the cells kept so far. */
  get series(): number {
    return this.#series;
  }

  /** The walk saw every key: its cells are what the next walk starts from. */
  complete(repeatFree: boolean): void {
    const cells = this.cells;
    const walk = { cells, items: this.#items, counts: this.#counts, repeatFree, series: this.#series };
    const { index } = this.#previous;
    // The same cells in the same order: the last walk's index (if it built one) still holds.
    this.#publish(cells === this.#previous.cells && index !== undefined ? { ...walk, index } : walk);
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
        each: each as SeriesOf,
      }));
    },
    observeObjects: (declaration, entries, each, version) => {
      const cache = new ItemCache();
      observeSource(declaration, () => ({
        entries: entries(),
        each: each as SeriesOf,
        cache,
        version: version?.(),
      }));
    },
  };
}
