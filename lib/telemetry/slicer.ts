/**
 * Cutting a long walk into slices, so that a collection of 100k series never holds the event
 * loop for long: other requests, watch events and timers run between the slices.
 */

/**
 * Long pieces of work waiting for a turn of the event loop, one resumed per turn. Resumed all
 * in the same turn (each with its own `setImmediate`), a scrape's walk, an OTLP export's walk and
 * a response being written held the loop for the sum of their slices: 8 + 8 + a few ms, past the
 * 20 ms budget, at L where they overlap.
 */
const waiting: (() => void)[] = [];
let turnScheduled = false;

function resumeOne(): void {
  turnScheduled = false;
  waiting.shift()?.();
  // Queued from the check phase, the next immediate runs in the loop's next turn.
  if (waiting.length > 0) scheduleTurn();
}

function scheduleTurn(): void {
  if (turnScheduled) return;
  turnScheduled = true;
  setImmediate(resumeOne);
}

/** Resolves in a later turn of the event loop, the only long piece of work resumed in it. */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => {
    waiting.push(resolve);
    scheduleTurn();
  });
}

/**
 * How long one slice of a walk may hold the event loop. Small against the 20 ms stall budget so
 * that a garbage collection (up to ~14 ms at L) and the other work of the same turn (a request
 * parsed, a watch event) landing in a slice still fit; at 8 ms the L profile showed 22-26 ms.
 */
export const SLICE_MS = 5;

/** Checking the clock every item would cost more than the work; every 32 items is ~0.1 ms. */
const CLOCK_EVERY = 32;

/**
 * Cuts a long piece of work into slices of SLICE_MS, yielding to the event loop between them
 * and stopping when its signal aborts.
 */
export class TimeSlicer {
  readonly #signal: AbortSignal | undefined;
  #sliceEnd = performance.now() + SLICE_MS;
  #count = 0;
  #hold: Promise<unknown> | undefined;

  constructor(signal?: AbortSignal) {
    this.#signal = signal;
  }

  /**
   * Makes the walk wait for `promise` at its next tick or pause: a consumer of what the walk
   * produces (an OTLP request being sent) holds it back rather than let its output pile up.
   */
  holdUntil(promise: Promise<unknown>): void {
    this.#hold = promise;
  }

  /** Yields if the current slice is used up, or waits for what holds the walk. */
  async pause(): Promise<void> {
    if (this.#hold !== undefined) return this.#waitForHold();
    if (performance.now() < this.#sliceEnd) return;
    await nextTurn();
    this.#signal?.throwIfAborted();
    this.#sliceEnd = performance.now() + SLICE_MS;
  }

  async #waitForHold(): Promise<void> {
    const hold = this.#hold;
    this.#hold = undefined;
    await hold;
    this.#signal?.throwIfAborted();
    this.#sliceEnd = performance.now() + SLICE_MS;
  }

  /** Counts one unit of work and, every CLOCK_EVERY units, yields if the slice is used up. */
  tick(): Promise<void> | undefined {
    if (this.#hold !== undefined) return this.#waitForHold();
    this.#count += 1;
    return this.#count % CLOCK_EVERY === 0 ? this.pause() : undefined;
  }

  async walk<T>(items: Iterable<T>, visit: (item: T) => void): Promise<void> {
    for (const item of items) {
      visit(item);
      const paused = this.tick();
      if (paused) await paused;
    }
  }
}
