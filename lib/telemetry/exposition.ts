/**
 * Prometheus exposition in the text format 0.0.4 and OpenMetrics 1.0, built straight from what
 * instruments observe. Names, label order and help come from the metric declarations, so the
 * output is exactly the contract (no scope labels, no unit suffixes the declaration did not ask
 * for). Sample lines are the same in both formats; only the family headers differ, so one
 * collection serves scrapes of either format.
 */
import type { ExposedMetric } from './declaration.js';
import type { LineBlock } from './line-blocks.js';
import type { EncodedSeries, SeriesVisitor } from './registry.js';
import { formatValue, sampleNameOf } from './sample-text.js';
import type { TimeSlicer } from './slicer.js';
import type { KeyedPass } from './source.js';

export { formatValue } from './sample-text.js';

export type ExpositionFormat = 'text' | 'openmetrics';

export const CONTENT_TYPES: Record<ExpositionFormat, string> = {
  text: 'text/plain; version=0.0.4; charset=utf-8',
  openmetrics: 'application/openmetrics-text; version=1.0.0; charset=utf-8',
};

/** Picks OpenMetrics when the scraper's Accept header lists it (Prometheus does, first). */
export function negotiateFormat(accept: string | undefined): ExpositionFormat {
  return accept?.includes('application/openmetrics-text') ? 'openmetrics' : 'text';
}

function escapeHelp(text: string): string {
  return text.replaceAll('\\', '\\\\').replaceAll('\n', '\\n');
}

const UNIT_WORDS: Record<string, string> = { s: 'seconds', By: 'bytes' };

/** The OpenMetrics UNIT of a declaration, only when the name carries it as its suffix. */
function openMetricsUnit(name: string, unit: string): string | undefined {
  const word = UNIT_WORDS[unit];
  return word !== undefined && name.endsWith(`_${word}`) ? word : undefined;
}

/** The first chunk of a block is small (most metrics have a few series); later ones double. */
const FIRST_CHUNK_BYTES = 4 * 1024;
/** Large enough that writes are few, small enough that none is a big copy. */
const MAX_CHUNK_BYTES = 256 * 1024;
/** Lines are gathered into a string of about this size before one copy into the chunk. */
const PENDING_BYTES = 16 * 1024;

/**
 * Full-size chunks kept from one scrape for the next. A scrape of a large cluster writes ~40 MiB;
 * allocated anew each time, that much external memory made V8 start a full collection of the
 * whole heap at nearly every scrape. The pool keeps at most as many as the last exposition used.
 */
export class ChunkPool {
  readonly #free: Buffer[] = [];
  #keep = 0;

  take(): Buffer {
    return this.#free.pop() ?? Buffer.allocUnsafeSlow(MAX_CHUNK_BYTES);
  }

  /** Gives back the chunks of an exposition whose bytes nobody reads any more. */
  give(chunks: readonly Buffer[]): void {
    this.#keep = chunks.length;
    for (const chunk of chunks) if (this.#free.length < this.#keep) this.#free.push(chunk);
    this.#free.length = Math.min(this.#free.length, this.#keep);
  }
}

/** A run of cached lines at least this long is sent as a slice of its block, shorter ones copied. */
const SHARED_RUN_BYTES = 4 * 1024;

/**
 * One metric's sample lines, as Buffers: off the V8 heap, so a walk of 250k series leaves only
 * short-lived strings behind (holding every line until the walk ended made each young-generation
 * collection copy them: 30-40 ms pauses). Keyed objects' cached lines are already bytes in line
 * blocks (line-blocks.ts), and consecutive objects are mostly consecutive bytes there: a long run
 * of them is handed on as a slice of its block, uncopied; a short run is copied into the chunk
 * being written. Lines observed now are gathered into a string and written a few hundred at a time.
 */
export class SampleWriter implements SeriesVisitor {
  readonly #exposed: ExposedMetric;
  readonly #sampleName: string;
  readonly #pool: ChunkPool | undefined;
  readonly #chunks: Buffer[] = [];
  /** The full-size chunks taken from the pool, to give back when the exposition is done. */
  readonly pooled: Buffer[] = [];
  #chunk: Buffer | undefined;
  /** The part of the chunk before this offset is already in `#chunks`. */
  #start = 0;
  #used = 0;
  #pending = '';
  #pendingBytes = 0;
  #run: LineBlock | undefined;
  #runStart = 0;
  #runEnd = 0;

  constructor(exposed: ExposedMetric, pool?: ChunkPool) {
    this.#exposed = exposed;
    this.#sampleName = sampleNameOf(exposed);
    this.#pool = pool;
  }

  /**
   * A metric that is one keyed pass: its exposition is made of its cells alone, so it is kept
   * with them (slices of line blocks, which are never written over, and short runs copied into
   * chunks of its own) and handed on again while the walk keeps the same cells array and no
   * cell moved. A quiet scrape of such a metric touches none of its cells.
   */
  async cells(cells: readonly EncodedSeries[], pass: KeyedPass, slicer: TimeSlicer): Promise<void> {
    const cache = pass.cache;
    let kept = cache.exposition;
    if (kept === undefined || kept.cells !== cells || kept.moves !== cache.lines.moves) {
      const moves = cache.lines.moves;
      const own = new SampleWriter(this.#exposed);
      await slicer.walk(cells, (cell) => {
        if (cell.count > 0) own.encoded(cell);
      });
      kept = { cells, moves, chunks: own.finish() };
      cache.exposition = kept;
    }
    this.#endRun();
    this.#writePending();
    this.#flush();
    this.#chunks.push(...kept.chunks);
  }

  encoded(series: EncodedSeries): void {
    if (series.block === this.#run && series.offset === this.#runEnd) {
      this.#runEnd += series.bytes;
      return;
    }
    this.#endRun();
    this.#run = series.block;
    this.#runStart = series.offset;
    this.#runEnd = series.offset + series.bytes;
  }

  point(labels: string, value: number): void {
    this.#endRun();
    const line = `${this.#sampleName}${labels} ${formatValue(value)}\n`;
    // Three bytes per UTF-16 unit bound its UTF-8 length without measuring it first.
    if (this.#pendingBytes + line.length * 3 > PENDING_BYTES) this.#writePending();
    this.#pending += line;
    this.#pendingBytes += line.length * 3;
  }

  #endRun(): void {
    const run = this.#run;
    if (run === undefined) return;
    this.#run = undefined;
    this.#writePending();
    const length = this.#runEnd - this.#runStart;
    if (length >= SHARED_RUN_BYTES) {
      this.#emitChunk();
      this.#chunks.push(run.buffer.subarray(this.#runStart, this.#runEnd));
      return;
    }
    const chunk = this.#room(length);
    if (chunk === undefined)
      this.#chunks.push(Buffer.from(run.buffer.subarray(this.#runStart, this.#runEnd)));
    else this.#used += run.buffer.copy(chunk, this.#used, this.#runStart, this.#runEnd);
  }

  /** Joining lines is a pointer operation for V8; one copy per 16 KiB beats one per line. */
  #writePending(): void {
    if (this.#pendingBytes === 0) return;
    const chunk = this.#room(this.#pendingBytes);
    if (chunk === undefined) this.#chunks.push(Buffer.from(this.#pending));
    else this.#used += chunk.write(this.#pending, this.#used);
    this.#pending = '';
    this.#pendingBytes = 0;
  }

  /** The chunk to write `maxBytes` into, or undefined when they are more than a chunk holds. */
  #room(maxBytes: number): Buffer | undefined {
    const chunk = this.#chunk;
    if (chunk !== undefined && this.#used + maxBytes <= chunk.length) return chunk;
    const grown = chunk === undefined ? FIRST_CHUNK_BYTES : Math.min(chunk.length * 2, MAX_CHUNK_BYTES);
    this.#flush();
    if (maxBytes > MAX_CHUNK_BYTES) return undefined;
    const size = Math.max(grown, maxBytes);
    let next: Buffer;
    if (size === MAX_CHUNK_BYTES && this.#pool !== undefined) {
      next = this.#pool.take();
      this.pooled.push(next);
    } else {
      next = Buffer.allocUnsafe(size);
    }
    this.#chunk = next;
    return next;
  }

  /** Hands on what the chunk holds so far and keeps writing into the rest of it. */
  #emitChunk(): void {
    const chunk = this.#chunk;
    if (chunk === undefined || this.#used === this.#start) return;
    this.#chunks.push(chunk.subarray(this.#start, this.#used));
    this.#start = this.#used;
  }

  #flush(): void {
    const chunk = this.#chunk;
    if (chunk !== undefined && this.#used > this.#start) {
      const used = chunk.subarray(this.#start, this.#used);
      // A mostly empty chunk is copied out, so that the block does not hold its unused part.
      this.#chunks.push(this.#start === 0 && this.#used * 2 < chunk.length ? Buffer.from(used) : used);
    }
    this.#chunk = undefined;
    this.#start = 0;
    this.#used = 0;
  }

  finish(): Buffer[] {
    this.#endRun();
    this.#writePending();
    this.#flush();
    return this.#chunks;
  }
}

/** One metric's samples, as newline-terminated chunks of lines (off the V8 heap). */
export interface MetricBlock {
  readonly exposed: ExposedMetric;
  readonly chunks: readonly Buffer[];
  readonly series: number;
  /** Chunks of a ChunkPool the block's bytes live in. */
  readonly pooled?: readonly Buffer[];
}

function familyHeader(exposed: ExposedMetric, format: ExpositionFormat): string {
  const { declaration } = exposed;
  const family = exposed.exposedName;
  const type = declaration.kind === 'counter' ? 'counter' : 'gauge';
  const help = escapeHelp(declaration.help);
  if (format === 'text') {
    const sampleName = sampleNameOf(exposed);
    return `# HELP ${sampleName} ${help}\n# TYPE ${sampleName} ${type}\n`;
  }
  const unit = openMetricsUnit(family, declaration.unit);
  return `# TYPE ${family} ${type}\n${unit ? `# UNIT ${family} ${unit}\n` : ''}# HELP ${family} ${help}\n`;
}

/** One collection's samples, written in either format. Metrics without points are left out. */
export class Exposition {
  readonly blocks: readonly MetricBlock[];
  readonly errors: readonly unknown[];

  readonly #pool: ChunkPool | undefined;
  #recycled = false;

  constructor(blocks: readonly MetricBlock[], errors: readonly unknown[], pool?: ChunkPool) {
    this.blocks = blocks.filter((block) => block.series > 0);
    this.errors = errors;
    this.#pool = pool;
  }

  /**
   * Gives the pooled chunks back: only when nothing reads this exposition's bytes any more (the
   * responses that wrote it have been handed to the kernel). Chunks are never given back twice.
   */
  recycle(): void {
    if (this.#recycled || this.#pool === undefined) return;
    this.#recycled = true;
    this.#pool.give(this.blocks.flatMap((block) => block.pooled ?? []));
  }

  get series(): number {
    return this.blocks.reduce((sum, block) => sum + block.series, 0);
  }

  *chunks(format: ExpositionFormat): Generator<string | Buffer> {
    for (const block of this.blocks) {
      yield familyHeader(block.exposed, format);
      yield* block.chunks;
    }
    if (format === 'openmetrics') yield '# EOF\n';
  }

  /** The whole body as one string (tests and small outputs; the server writes chunks). */
  text(format: ExpositionFormat): string {
    return [...this.chunks(format)].map(String).join('');
  }
}
