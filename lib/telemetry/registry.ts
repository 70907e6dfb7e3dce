/**
 * Series identity and the one walk both exports make over a metric's passes. A metric's series
 * are its declared labels written in declared order; a series observed twice in one collection
 * keeps its last value (as the SDK does), so both exports agree and the exposition never repeats
 * a series. The walk notices a repeat by fingerprints and only then walks again keyed by label
 * string, which keeps every label string alive; most collections never need it.
 */
import type { Attributes } from '@opentelemetry/api';
import type { Observe } from '../instrument.js';
import type { ExposedMetric } from './declaration.js';
import type { LineBlock, LineBlocks, PlacedLines } from './line-blocks.js';
import { escapeLabelValue, formatValue, sampleNameOf } from './sample-text.js';
import type { TimeSlicer } from './slicer.js';
import {
  type CachedItem,
  type ItemCache,
  isKeyed,
  type KeyedPass,
  type OpenPass,
  passItems,
} from './source.js';

export type { SeriesOf } from './source.js';

export type LabelFormatter = (attributes: Readonly<Record<string, unknown>>) => string;

/** A declared metric as the pipeline holds it: its exposed name, label writer and passes. */
export interface RegisteredMetric {
  readonly exposed: ExposedMetric;
  /** The sample name (`_total` added for a counter). */
  readonly sampleName: string;
  readonly labels: LabelFormatter;
  /** A point's OTLP attributes: its labels without those OTLP carries on the resource. */
  readonly pointAttributes: (attributes: Attributes) => Attributes;
  readonly opens: OpenPass[];
  /** Series of the last walk, to size the next one's fingerprint table. */
  lastSeries: number;
}

export function registeredMetric(exposed: ExposedMetric): RegisteredMetric {
  const onResource = exposed.declaration.resourceLabels ?? [];
  return {
    exposed,
    sampleName: sampleNameOf(exposed),
    labels: labelFormatter(exposed.declaration.labels),
    pointAttributes:
      onResource.length === 0
        ? (attributes) => attributes
        : (attributes) =>
            Object.fromEntries(Object.entries(attributes).filter(([name]) => !onResource.includes(name))),
    opens: [],
    lastSeries: 0,
  };
}

/**
 * The `{a="x",b="y"}` part for a declaration's labels, in declared order, every declared label
 * present (empty when the point lacks it). An attribute the declaration lacks is a bug in the
 * instrument; it is shown after the declared ones rather than hidden.
 */
export function labelFormatter(declared: readonly string[]): LabelFormatter {
  const openers = declared.map((name, index) => `${index === 0 ? '{' : ','}${name}="`);
  return (attributes) => {
    let out = '';
    let present = 0;
    for (let index = 0; index < declared.length; index++) {
      const value = attributes[declared[index] as string];
      if (value === undefined) {
        out += `${openers[index]}"`;
      } else {
        present += 1;
        out += `${openers[index]}${escapeLabelValue(String(value))}"`;
      }
    }
    let total = 0;
    for (const _name in attributes) total += 1;
    if (total > present) {
      for (const [name, value] of Object.entries(attributes)) {
        if (declared.includes(name)) continue;
        out += `${out === '' ? '{' : ','}${name}="${escapeLabelValue(String(value))}"`;
      }
    }
    return out === '' ? '' : `${out}}`;
  };
}

/** A 53-bit fingerprint of a label string (two 32-bit FNV-1a variants), never 0. */
export function fingerprint(labels: string): number {
  let a = 0x811c9dc5;
  let b = 0x01000193;
  for (let index = 0; index < labels.length; index++) {
    const code = labels.charCodeAt(index);
    a = Math.imul(a ^ code, 0x01000193);
    b = Math.imul(b ^ code, 0x5bd1e995);
  }
  return (a >>> 0) * 0x200000 + (b >>> 11) + 1;
}

/**
 * Notices a series observed twice in one walk without keeping every label string alive until the
 * walk ends: an open-addressing table of fingerprints in one Float64Array (a Set of 250k numbers
 * boxes each one). A repeat, or two series that share a fingerprint, sends the metric to an
 * exact, keyed walk.
 */
export class SeriesFingerprints {
  #table: Float64Array;
  #mask: number;
  #size = 0;
  #repeated = false;

  constructor(expected = 0) {
    let slots = 64;
    while (slots < expected * 2) slots *= 2;
    this.#table = new Float64Array(slots);
    this.#mask = slots - 1;
  }

  add(key: number): void {
    const table = this.#table;
    let slot = (key >>> 0) & this.#mask;
    for (;;) {
      const held = table[slot] as number;
      if (held === 0) break;
      if (held === key) {
        this.#repeated = true;
        return;
      }
      slot = (slot + 1) & this.#mask;
    }
    table[slot] = key;
    this.#size += 1;
    if (this.#size * 2 > table.length) this.#grow();
  }

  #grow(): void {
    const old = this.#table;
    this.#table = new Float64Array(old.length * 2);
    this.#mask = this.#table.length - 1;
    this.#size = 0;
    for (const key of old) if (key !== 0) this.add(key);
  }

  get repeated(): boolean {
    return this.#repeated;
  }

  get size(): number {
    return this.#size;
  }
}

/**
 * One object's series for one metric, encoded at its last change and written by every scrape:
 * where its sample lines are (UTF-8, off the V8 heap: line-blocks.ts) and the fingerprints of
 * their label strings. Nothing else is kept: at 250k series the lines are ~200 bytes a series,
 * and keeping each point's OTLP attributes and value as well cost another ~330 (measured), more
 * than the L world's memory bar leaves. OTLP asks the object again (the same pure function, so
 * the same points) and takes the fingerprints, so it neither formats nor hashes a label string.
 */
export interface EncodedSeries extends CachedItem, PlacedLines {
  readonly count: number;
  /** Where the sample lines are, each newline-terminated (the same in both exposition formats). */
  block: LineBlock;
  offset: number;
  /** The UTF-8 length of the lines. */
  readonly bytes: number;
  /** One fingerprint per series (a lone number when there is one, as most objects have). */
  readonly prints: number | readonly number[];
  /**
   * The series as OTLP points, with room for their times (otlp-encoding.ts, `PointBodies`):
   * encoded by the first export that meets the object, in the cache's `points` blocks.
   */
  points: PlacedLines | undefined;
}

/** What a walk hands each export: cached series of a keyed object, or a series observed now. */
export interface SeriesVisitor {
  /** An object's series (`count` > 0), and the keyed pass it is cached for. */
  encoded(series: EncodedSeries, pass: KeyedPass): void;
  /**
   * Every cell of a metric's only pass, a keyed one, at once: for a visitor that can keep what
   * it makes of them while the cells stay the same (a scrape's exposition). Without it, each
   * cell is handed to `encoded`.
   */
  cells?(cells: readonly EncodedSeries[], pass: KeyedPass, slicer: TimeSlicer): Promise<void>;
  /** `labels` is the formatted label string, `attributes` the labels as observed. */
  point(labels: string, value: number, attributes: Attributes): void;
  /** The series this visitor was given are void: a series repeated and an exact walk follows. */
  abandon?(): void;
}

/**
 * Makes the visitor of one walk of a metric. `final` tells whether every series it will be
 * handed stands (no repeat is possible any more), so that it may pass them on at once; when not,
 * the walk either returns this visitor (the series stood) or abandons it.
 */
export type VisitorFactory<V extends SeriesVisitor> = (final: boolean) => V;

function encodeItem(
  metric: RegisteredMetric,
  pass: KeyedPass,
  blocks: LineBlocks,
  key: string,
  item: unknown,
): EncodedSeries {
  let text = '';
  const prints: number[] = [];
  pass.each(item, (value, observed) => {
    const labels = metric.labels(observed);
    text += `${metric.sampleName}${labels} ${formatValue(value)}\n`;
    prints.push(fingerprint(labels));
  });
  const bytes = Buffer.byteLength(text);
  const { block, offset } = blocks.place(text, bytes);
  return {
    key,
    item,
    count: prints.length,
    block,
    offset,
    bytes,
    prints: prints.length === 1 ? (prints[0] as number) : prints,
    points: undefined,
  };
}

function addPrints(series: SeriesFingerprints, cell: EncodedSeries): void {
  if (typeof cell.prints === 'number') series.add(cell.prints);
  else for (const print of cell.prints) series.add(print);
}

interface SettledKeyed {
  readonly cells: readonly EncodedSeries[];
  readonly repeated: boolean;
  readonly series: number;
}

/**
 * Brings a keyed pass's cells up to date, encoding only the objects that changed. A source that
 * has not changed since the last complete walk (its version says so) is not walked. An object met
 * at its place in the last walk is recognised by pointer, without touching its cell (its series
 * count is kept beside it). `series` collects fingerprints when the metric has other
 * passes; alone, the pass checks its own cells only if they changed since a walk that found no
 * series twice (probing a 4 MiB table for 250k series costs ~50 ms, mostly cache misses, and most
 * scrapes of a large cluster change few objects). Settling before visiting lets a lone keyed
 * pass, the large metrics, hand its visitor series that already stand.
 */
async function settleKeyed(
  metric: RegisteredMetric,
  pass: KeyedPass,
  slicer: TimeSlicer,
  series: SeriesFingerprints | undefined,
): Promise<SettledKeyed> {
  // The cache of a keyed pass holds only what this function put in it.
  const cache = pass.cache as unknown as ItemCache<EncodedSeries>;
  const { lines, points } = pass.cache;
  const last = series === undefined && !lines.due && !points.due ? cache.lastAt(pass.version) : undefined;
  if (last !== undefined) return { cells: last.cells, repeated: !last.repeatFree, series: last.series };
  const walk = cache.walk(pass.version);
  for (const [key, item] of pass.entries) {
    const same = walk.same(item);
    if (same !== undefined) {
      walk.keep(same, item, walk.sameCount);
      if (series !== undefined) addPrints(series, same);
    } else {
      let cell = walk.find(key);
      if (cell === undefined || cell.item !== item) cell = encodeItem(metric, pass, lines, key, item);
      walk.keep(cell, item, cell.count);
      if (series !== undefined) addPrints(series, cell);
    }
    const paused = slicer.tick();
    if (paused) await paused;
  }
  const cells = walk.cells;
  // Live bytes are counted (and sparse blocks emptied) once enough was placed since the last
  // count to matter, not on every walk that changed an object.
  if (lines.due || points.due) {
    const lineStamp = lines.beginWalk();
    const pointStamp = points.beginWalk();
    let complete = false;
    try {
      await slicer.walk(cells, (cell) => {
        lines.keep(lineStamp, cell);
        if (cell.points !== undefined) points.keep(pointStamp, cell.points);
      });
      complete = true;
    } finally {
      lines.endWalk(lineStamp, complete);
      points.endWalk(pointStamp, complete);
    }
  }
  const count = walk.series;
  let repeated = false;
  if (series === undefined && !(walk.unchanged && walk.previousRepeatFree)) {
    const own = new SeriesFingerprints(count);
    await slicer.walk(cells, (cell) => addPrints(own, cell));
    repeated = own.repeated;
  }
  walk.complete(series === undefined ? !repeated : !series.repeated);
  return { cells, repeated, series: count };
}

function visitCells(
  settled: SettledKeyed,
  pass: KeyedPass,
  slicer: TimeSlicer,
  visitor: SeriesVisitor,
): Promise<void> {
  return slicer.walk(settled.cells, (cell) => {
    if (cell.count > 0) visitor.encoded(cell, pass);
  });
}

/**
 * Walks a metric's passes once, handing a visitor every series; if one repeated, abandons that
 * visitor, walks again keyed by label string and hands a fresh one each series once, with its
 * last value. Returns the visitor that saw the collection and the number of series.
 */
export async function walkMetric<V extends SeriesVisitor>(
  metric: RegisteredMetric,
  slicer: TimeSlicer,
  makeVisitor: VisitorFactory<V>,
): Promise<{ visitor: V; series: number }> {
  const passes = metric.opens.map((open) => open());
  const only = passes.length === 1 ? passes[0] : undefined;
  if (only !== undefined && isKeyed(only)) {
    const settled = await settleKeyed(metric, only, slicer, undefined);
    if (!settled.repeated) {
      const visitor = makeVisitor(true);
      if (visitor.cells) await visitor.cells(settled.cells, only, slicer);
      else await visitCells(settled, only, slicer, visitor);
      return { visitor, series: settled.series };
    }
  } else {
    const visitor = makeVisitor(false);
    const series = new SeriesFingerprints(metric.lastSeries);
    const observe: Observe = (value, attributes) => {
      const labels = metric.labels(attributes);
      series.add(fingerprint(labels));
      visitor.point(labels, value, attributes);
    };
    for (const pass of passes) {
      if (isKeyed(pass))
        await visitCells(await settleKeyed(metric, pass, slicer, series), pass, slicer, visitor);
      else await slicer.walk(pass.items, (item) => pass.each(item, observe));
    }
    metric.lastSeries = series.size;
    if (!series.repeated) return { visitor, series: series.size };
    visitor.abandon?.();
  }

  const exact = new Map<string, { value: number; attributes: Attributes }>();
  const observeExact: Observe = (value, attributes) => {
    exact.set(metric.labels(attributes), { value, attributes });
  };
  for (const open of metric.opens) {
    const pass = open();
    await slicer.walk(passItems(pass), (item) => pass.each(item, observeExact));
  }
  const last = makeVisitor(true);
  await slicer.walk(exact, ([labels, { value, attributes }]) => last.point(labels, value, attributes));
  return { visitor: last, series: exact.size };
}
