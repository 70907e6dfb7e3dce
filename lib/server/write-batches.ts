/**
 * An exposition's pieces packed into writes of about BATCH_BYTES. After churn a scrape's cached
 * lines are many short slices (one per run of objects re-encoded since), and each `res.write` of
 * a chunked response is three buffers for the socket: at 30k pods one uncork handed writev
 * thousands of buffers, 20-40 ms in one piece (issue 15's L profile). Short pieces are copied
 * into a batch; a piece of a batch's size or more is written as it is.
 */
export const BATCH_BYTES = 64 * 1024;

export function* writeBatches(
  pieces: Iterable<string | Buffer>,
  batchBytes = BATCH_BYTES,
): Generator<string | Buffer> {
  let batch: Buffer | undefined;
  let used = 0;
  for (const piece of pieces) {
    const bytes = typeof piece === 'string' ? Buffer.byteLength(piece) : piece.length;
    if (bytes === 0) continue;
    if (batch && used + bytes > batchBytes) {
      // Each batch is a Buffer of its own: the socket may still hold the last one.
      yield batch.subarray(0, used);
      batch = undefined;
    }
    if (bytes >= batchBytes) {
      yield piece;
      continue;
    }
    if (!batch) {
      batch = Buffer.allocUnsafeSlow(batchBytes);
      used = 0;
    }
    if (typeof piece === 'string') batch.write(piece, used, 'utf8');
    else piece.copy(batch, used);
    used += bytes;
  }
  if (batch && used > 0) yield batch.subarray(0, used);
}
