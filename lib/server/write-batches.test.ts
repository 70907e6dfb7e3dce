import assert from 'node:assert/strict';
import { test } from 'node:test';
import { writeBatches } from './write-batches.js';

const text = (pieces: Iterable<string | Buffer>) => [...pieces].map(String).join('');

test('short pieces are packed into batches; long ones pass as they are; the bytes stay the same', () => {
  const pieces: Array<string | Buffer> = [
    '# HELP a x\n',
    Buffer.from('a{k="1"} 1\n'),
    Buffer.from('a{k="2"} 2\n'),
    '',
    Buffer.alloc(0),
    'é€\n',
    Buffer.from('x'.repeat(40)),
    Buffer.from('y'.repeat(100)),
    Buffer.from('z\n'),
  ];
  const batches = [...writeBatches(pieces, 48)];
  assert.equal(text(batches), text(pieces));
  // 11 + 11 + 11 + 6 bytes fill the first batch; 40 starts a second; 100 passes whole; 2 ends.
  assert.deepEqual(
    batches.map((b) => (typeof b === 'string' ? Buffer.byteLength(b) : b.length)),
    [39, 40, 100, 2],
  );
});

test('every batch is a buffer of its own, so one being written is never written over', () => {
  const batches = [...writeBatches(['aaaa', 'bbbb', 'cccc', 'dddd'], 8)];
  assert.deepEqual(batches.map(String), ['aaaabbbb', 'ccccdddd']);
  assert.notEqual((batches[0] as Buffer).buffer, (batches[1] as Buffer).buffer);
});

test('nothing in, nothing out', () => {
  assert.deepEqual([...writeBatches([])], []);
  assert.deepEqual([...writeBatches(['', Buffer.alloc(0)])], []);
});
