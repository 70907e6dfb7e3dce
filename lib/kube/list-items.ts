/**
 * A List body split into its items as its bytes arrive. Each item is parsed on its own as soon
 * as its last byte is in, so its object tree is garbage while still young, where one JSON.parse
 * of a page (500 pods: a 3.7 MB string, a ~15 MB tree) outlived the 1 MiB young generation that
 * `--optimize-for-size` pins and was promoted and marked. What is not an item (kind, apiVersion,
 * metadata) is parsed at the end as the same object with `items` empty.
 *
 * The scan is JSON's own structure (strings with their escapes, nesting): an `items` key of the
 * top-level object followed by an array. Anything the scan cannot place is left to JSON.parse,
 * whose error is the answer's, as it was when the page was parsed whole.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const ITEMS = Buffer.from('items');

const isSpace = (b: number) => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;

/** A Buffer over the same bytes, not a copy. */
const view = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

export class ListItemSplitter {
  readonly #onItem: (item: unknown) => void;
  /** Open objects and arrays. */
  #depth = 0;
  #inString = false;
  #escaped = false;
  /** In the top-level object's `items` array (its elements are at depth 2). */
  #inItems = false;
  /** The element being read: its bytes so far; undefined between elements. */
  #element: Uint8Array[] | undefined;
  /** A scalar element ends at the first comma, bracket or space after it. */
  #scalar = false;
  /** What may come next between elements: the first, a comma, or an element after a comma. */
  #expect: 'first' | 'comma' | 'element' = 'first';
  readonly #envelope: Uint8Array[] = [];
  /** A string at depth 1 is being read: its first bytes, and how many it has. */
  #key: number[] | undefined;
  #keyLength = 0;
  #lastKeyIsItems = false;
  /** The last byte at depth 1 was the colon after an `items` key. */
  #itemsNext = false;
  #count = 0;

  constructor(onItem: (item: unknown) => void) {
    this.#onItem = onItem;
  }

  push(chunk: Uint8Array): void {
    const bytes = view(chunk);
    const n = bytes.length;
    // Nothing to read, and an escape carried from the last chunk must wait for a byte.
    if (n === 0) return;
    // The hot state in locals, written back at the end.
    let depth = this.#depth;
    let inString = this.#inString;
    // `from`: where the current run (of the envelope or of an element) began in this chunk.
    let from = 0;
    let i = 0;
    if (inString && this.#escaped) {
      // The last chunk ended on a backslash: this byte is the escaped one.
      this.#escaped = false;
      // An escaped byte in a top-level key: not the plain `items` the scan looks for.
      this.#keyLength += 2;
      i = 1;
    }
    for (; i < n; i++) {
      let b = bytes[i] as number;
      if (inString) {
        if (this.#key === undefined) {
          // The bulk of a body: on to the closing quote, over escapes. A plain loop: a native
          // indexOf per string cost more than it skipped (~4M strings in 29 MB of pods).
          while (b !== QUOTE) {
            if (b === BACKSLASH) {
              if (i + 1 >= n) {
                // The escaped byte opens the next chunk.
                this.#escaped = true;
                break;
              }
              i += 2;
            } else i += 1;
            if (i >= n) break;
            b = bytes[i] as number;
          }
          if (b !== QUOTE || i >= n) {
            i = n;
            break;
          }
        } else {
          // A string of the top-level object (a key, maybe `items`), byte by byte.
          if (b === BACKSLASH) {
            if (i + 1 === n) {
              this.#escaped = true;
              break;
            }
            i += 1;
            b = bytes[i] as number;
            this.#keyLength += 2;
            continue;
          }
          if (b !== QUOTE) {
            if (this.#keyLength < ITEMS.length) this.#key.push(b);
            this.#keyLength += 1;
            continue;
          }
          const key = this.#key;
          this.#lastKeyIsItems = this.#keyLength === ITEMS.length && key.every((c, k) => c === ITEMS[k]);
          this.#key = undefined;
        }
        inString = false;
        if (this.#element !== undefined && depth === 2) {
          this.#emit(bytes, from, i + 1);
          from = i + 1;
        }
        continue;
      }
      if (this.#scalar) {
        if (b !== COMMA && b !== CLOSE_ARRAY && !isSpace(b)) continue;
        this.#emit(bytes, from, i);
        from = i;
      }
      if (this.#inItems && depth === 2 && this.#element === undefined) {
        // Between elements: commas and spaces belong to neither the envelope nor an element.
        if (isSpace(b)) {
          from = i + 1;
        } else if (b === COMMA) {
          if (this.#expect !== 'comma') {
            throw new SyntaxError(`a comma out of place in the list's items, after ${this.#count}`);
          }
          this.#expect = 'element';
          from = i + 1;
        } else if (b === CLOSE_ARRAY) {
          if (this.#expect === 'element') {
            throw new SyntaxError(`the list's items end in a comma, after ${this.#count}`);
          }
          depth = 1;
          this.#inItems = false;
          from = i;
        } else {
          if (this.#expect === 'comma') {
            throw new SyntaxError(`a comma missing between the list's items, after ${this.#count}`);
          }
          this.#element = [];
          from = i;
          if (b === QUOTE) inString = true;
          else if (b === OPEN_OBJECT || b === OPEN_ARRAY) depth += 1;
          else this.#scalar = true;
        }
        continue;
      }
      if (isSpace(b)) continue;
      const itemsNext = this.#itemsNext;
      this.#itemsNext = false;
      switch (b) {
        case QUOTE:
          inString = true;
          if (depth === 1) {
            this.#key = [];
            this.#keyLength = 0;
          }
          break;
        case COLON:
          if (depth === 1) this.#itemsNext = this.#lastKeyIsItems;
          break;
        case OPEN_ARRAY:
          depth += 1;
          if (depth === 2 && itemsNext) {
            this.#inItems = true;
            this.#expect = 'first';
            this.#envelope.push(bytes.subarray(from, i + 1));
            from = i + 1;
          }
          break;
        case OPEN_OBJECT:
          depth += 1;
          break;
        case CLOSE_OBJECT:
        case CLOSE_ARRAY:
          depth -= 1;
          if (this.#element !== undefined && depth === 2) {
            this.#emit(bytes, from, i + 1);
            from = i + 1;
          }
          break;
      }
    }
    this.#depth = depth;
    this.#inString = inString;
    if (from < n) {
      if (this.#element !== undefined) this.#element.push(bytes.subarray(from));
      else if (!(this.#inItems && depth === 2)) this.#envelope.push(bytes.subarray(from));
    }
  }

  /**
   * The body without the items handed on, parsed, once the last byte is in. A body the scan
   * found no `items` array in comes back whole, its items in it.
   */
  end<T>(): T {
    if (this.#element !== undefined || this.#inItems) {
      throw new SyntaxError(`the list body ended inside its items, after ${this.#count} of them`);
    }
    return JSON.parse(Buffer.concat(this.#envelope).toString('utf8')) as T;
  }

  #emit(chunk: Uint8Array, from: number, to: number): void {
    const pieces = this.#element ?? [];
    pieces.push(chunk.subarray(from, to));
    this.#element = undefined;
    this.#scalar = false;
    this.#expect = 'comma';
    const bytes = pieces.length === 1 ? view(pieces[0] as Uint8Array) : Buffer.concat(pieces);
    this.#count += 1;
    this.#onItem(JSON.parse(bytes.toString('utf8')));
  }
}
