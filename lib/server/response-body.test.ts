import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { writeBody } from './response-body.js';

/** A stream that takes every write at once, as a socket does when the kernel keeps up. */
function fastSink() {
  const received: Buffer[] = [];
  let bytes = 0;
  const out = new Writable({
    highWaterMark: 64 * 1024,
    write(chunk: Buffer, _encoding, callback) {
      received.push(chunk);
      bytes += chunk.length;
      callback();
    },
  });
  return { out, received, written: () => bytes };
}

test('a body the stream takes at once still gives the event loop a turn every yieldBytes', async () => {
  const pieces = Array.from({ length: 64 }, (_, i) => Buffer.alloc(64 * 1024, 97 + (i % 26)));
  const sink = fastSink();
  const seenByTurns: number[] = [];
  // Once per turn of the loop (a timer would need a millisecond to pass).
  let counting = true;
  const count = () => {
    seenByTurns.push(sink.written());
    if (counting) setImmediate(count);
  };
  setImmediate(count);
  const whole = await writeBody(sink.out, pieces, 512 * 1024);
  counting = false;
  assert.equal(whole, true);
  assert.deepEqual(Buffer.concat(sink.received), Buffer.concat(pieces));
  // 4 MiB in 512 KiB steps: other work ran while the body was half written, not only before or after.
  const midway = seenByTurns.filter((n) => n > 0 && n < 4 * 1024 * 1024);
  assert.ok(midway.length >= 3, `turns saw ${JSON.stringify(seenByTurns)}`);
});

test('a stream destroyed midway stops the writing and says so', async () => {
  const sink = fastSink();
  const pieces = (function* () {
    yield Buffer.alloc(100 * 1024);
    sink.out.destroy();
    yield Buffer.alloc(100 * 1024);
  })();
  assert.equal(await writeBody(sink.out, pieces), false);
  assert.equal(sink.written(), 100 * 1024);
});
