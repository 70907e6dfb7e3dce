/**
 * Where a keyed pass keeps its objects' sample lines: as UTF-8 bytes in append-only Buffers
 * (blocks), not as strings on the V8 heap. A scrape hands out slices of these blocks as they
 * are, so writing 250k cached objects is a few hundred slices, not 37 MiB encoded again, and the
 * heap the garbage collector marks no longer holds the exposition. Objects encoded in one walk
 * are placed in the order it met them, so consecutive cells are consecutive bytes.
 *
 * A block is never written over: bytes a scrape still sends stay valid however the cells move.
 * A cell whose object changed is encoded again elsewhere, leaving dead bytes behind; a block
 * whose live bytes fell below LIVE_SHARE has its remaining cells copied out (a memcpy, not an
 * encoding) at the next counting walk (`due`), so the blocks hold at most about 1 / LIVE_SHARE
 * (and an eighth) of what is live.
 */

const FIRST_BLOCK_BYTES = 4 * 1024;
const MAX_BLOCK_BYTES = 256 * 1024;
/** Below this share of live bytes, a block's cells are moved out and the block let go. */
const LIVE_SHARE = 0.75;

export class LineBlock {
  readonly buffer: Buffer;
  used = 0;
  /** Live bytes counted by the walk stamped in `seen`. */
  live = 0;
  seen = 0;
  /** Its cells are moved to the open block when the next walk meets them. */
  sparse = false;

  constructor(size: number) {
    this.buffer = Buffer.allocUnsafeSlow(size);
  }
}

/** Where one cell's lines are: `bytes` bytes at `offset` of `block`. */
export interface PlacedLines {
  block: LineBlock;
  offset: number;
  readonly bytes: number;
}

export class LineBlocks {
  #open: LineBlock | undefined;
  #stamps = 0;
  #counting = 0;
  #seen: LineBlock[] = [];
  #held = { held: 0, live: 0 };
  #moves = 0;
  #sparse = false;
  /** Bytes placed since the last complete count. */
  #placed = 0;

  /** Places `text` (`bytes` long in UTF-8) and returns where. */
  place(text: string, bytes: number): { block: LineBlock; offset: number } {
    const at = this.#reserve(bytes);
    at.block.buffer.write(text, at.offset);
    return at;
  }

  /** Places a copy of `source` and returns where. */
  placeBytes(source: Uint8Array): { block: LineBlock; offset: number } {
    const at = this.#reserve(source.length);
    at.block.buffer.set(source, at.offset);
    return at;
  }

  /** Room for `bytes` newly encoded bytes: they count toward the next count being due. */
  #reserve(bytes: number): { block: LineBlock; offset: number } {
    this.#placed += bytes;
    const block = this.#room(bytes);
    const offset = block.used;
    block.used += bytes;
    return { block, offset };
  }

  /** Copies a cell's bytes out of a sparse block into the open one. */
  move(cell: PlacedLines): void {
    this.#moves += 1;
    const block = this.#room(cell.bytes);
    cell.block.buffer.copy(block.buffer, block.used, cell.offset, cell.offset + cell.bytes);
    cell.block = block;
    cell.offset = block.used;
    block.used += cell.bytes;
  }

  #room(bytes: number): LineBlock {
    const open = this.#open;
    if (open !== undefined && open.used + bytes <= open.buffer.length) return open;
    if (bytes > MAX_BLOCK_BYTES) return new LineBlock(bytes);
    const size = open === undefined ? FIRST_BLOCK_BYTES : Math.min(open.buffer.length * 2, MAX_BLOCK_BYTES);
    const block = new LineBlock(Math.max(size, bytes));
    this.#open = block;
    return block;
  }

  /**
   * Starts counting a walk's live bytes; 0 when another walk is counting (two walks
   * interleaved would reset each other's counts), and such a walk counts nothing.
   */
  beginWalk(): number {
    if (this.#counting !== 0) return 0;
    this.#stamps += 1;
    this.#counting = this.#stamps;
    this.#seen = [];
    return this.#counting;
  }

  /** Counts a kept cell toward its block's live bytes, and moves it out of a sparse block. */
  keep(stamp: number, cell: PlacedLines): void {
    if (cell.block.sparse) this.move(cell);
    if (stamp === 0) return;
    const block = cell.block;
    if (block.seen !== stamp) {
      block.seen = stamp;
      block.live = 0;
      this.#seen.push(block);
    }
    block.live += cell.bytes;
  }

  /** Ends a walk; after a complete counting walk, marks the blocks that are mostly dead bytes. */
  endWalk(stamp: number, complete: boolean): void {
    if (stamp === 0 || stamp !== this.#counting) return;
    this.#counting = 0;
    const seen = this.#seen;
    this.#seen = [];
    if (!complete) return;
    let held = 0;
    let live = 0;
    this.#sparse = false;
    this.#placed = 0;
    for (const block of seen) {
      held += block.buffer.length;
      live += block.live;
      if (block !== this.#open && block.live < block.used * LIVE_SHARE) {
        block.sparse = true;
        this.#sparse = true;
      }
    }
    this.#held = { held, live };
  }

  /** How many cells have been moved so far: a change means bytes are elsewhere now. */
  get moves(): number {
    return this.#moves;
  }

  /**
   * Whether a walk should count live bytes: the last count marked blocks whose cells must be
   * moved, or what was placed since could have left dead bytes worth an eighth of what is live
   * (each placed byte replaces at most one). Between counts the blocks hold at most about
   * 1 / LIVE_SHARE + 1/8 of what is live.
   */
  get due(): boolean {
    return this.#sparse || this.#placed * 8 > this.#held.live;
  }

  /** The bytes of the blocks the last complete counting walk met, and how many were live. */
  get held(): { readonly held: number; readonly live: number } {
    return this.#held;
  }
}
