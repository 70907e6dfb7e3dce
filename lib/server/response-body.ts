/**
 * A large response body written without holding the event loop. When the kernel takes each write
 * at once (a scraper on loopback, a fast network), `write` → uncork → 'drain' → the next write all
 * run on the tick and microtask queues: the whole 21 MB of an L exposition went out in one turn of
 * the loop, 30-70 ms in which no timer, health check or watch event ran (issue 15's profile). A
 * turn is given back after every YIELD_BYTES.
 */
import type { Writable } from 'node:stream';
import { nextTurn } from '../telemetry/slicer.js';
import { writeBatches } from './write-batches.js';

/** About 1 ms of writing on loopback; a turn of the loop costs microseconds. */
export const YIELD_BYTES = 1024 * 1024;

/** Resolves when the stream can take more, or is gone. */
function drained(out: Writable): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      out.off('drain', done);
      out.off('close', done);
      resolve();
    };
    out.on('drain', done);
    out.on('close', done);
  });
}

/**
 * Writes the pieces, short ones packed into batches; false when the stream was destroyed first
 * (the pieces may then still be held by the socket, so not to be reused).
 */
export async function writeBody(
  out: Writable,
  pieces: Iterable<string | Buffer>,
  yieldBytes = YIELD_BYTES,
): Promise<boolean> {
  let sinceTurn = 0;
  for (const batch of writeBatches(pieces)) {
    if (out.destroyed) return false;
    if (!out.write(batch)) await drained(out);
    sinceTurn += batch.length;
    if (sinceTurn >= yieldBytes) {
      sinceTurn = 0;
      await nextTurn();
    }
  }
  return !out.destroyed;
}
