import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nextTurn, TimeSlicer } from './slicer.js';

test('pieces of work waiting for a turn are resumed one per turn of the event loop, none lost', async () => {
  let turn = 0;
  let counting = true;
  const count = () => {
    turn += 1;
    if (counting) setImmediate(count);
  };
  setImmediate(count);
  const resumedIn: number[] = [];
  const work = async () => {
    for (let i = 0; i < 5; i++) {
      await nextTurn();
      resumedIn.push(turn);
    }
  };
  await Promise.all([work(), work(), work()]);
  counting = false;
  assert.equal(resumedIn.length, 15);
  assert.equal(new Set(resumedIn).size, 15, `turns ${resumedIn}`);
});

test('a walk visits every item in order and stops when its signal aborts', async () => {
  const seen: number[] = [];
  await new TimeSlicer().walk([1, 2, 3], (n) => seen.push(n));
  assert.deepEqual(seen, [1, 2, 3]);
  const controller = new AbortController();
  const slicer = new TimeSlicer(controller.signal);
  const items = Array.from({ length: 1_000_000 }, (_, i) => i);
  let visited = 0;
  const walking = slicer.walk(items, () => {
    visited += 1;
    if (visited === 1) setImmediate(() => controller.abort());
    // Enough work per item that a slice ends long before the million.
    for (let spin = 0; spin < 200; spin++) Math.sqrt(spin);
  });
  await assert.rejects(walking, { name: 'AbortError' });
  assert.ok(visited < items.length, `${visited} visited`);
});
