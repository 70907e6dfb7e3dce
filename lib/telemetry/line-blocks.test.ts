/**
 * Cached sample lines as bytes in line blocks: a scrape hands them on uncopied, whatever the
 * cache's history the exposition is the one a fresh cache writes, and churn never lets the
 * blocks hold much more than what is live.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { MetricDeclaration } from './declaration.js';
import { SampleWriter } from './exposition.js';
import { LineBlocks, type PlacedLines } from './line-blocks.js';
import { registeredMetric, walkMetric } from './registry.js';
import { TimeSlicer } from './slicer.js';
import { ItemCache } from './source.js';

const phase = {
  name: 'blocks_pod_phase',
  kind: 'gauge',
  unit: '1',
  help: 'Pod phase.',
  labels: ['namespace', 'pod', 'phase'],
} as const satisfies MetricDeclaration;

interface Pod {
  readonly name: string;
  readonly phase: string;
  readonly restarts: number;
}

const eachPod = (item: unknown, observe: (value: number, attributes: Record<string, string>) => void) => {
  const pod = item as Pod;
  for (const p of ['Pending', 'Running', 'Failed']) {
    observe(pod.phase === p ? 1 : 0, { namespace: 'ns', pod: pod.name, phase: p });
  }
};

/** One keyed registration walked as a scrape walks it, with its cache kept between walks. */
function registration() {
  const pods = new Map<string, Pod>();
  const cache = new ItemCache();
  const metric = registeredMetric({ exposedName: 'sealos_blocks_pod_phase', declaration: phase });
  metric.opens.push(() => ({ entries: pods, each: eachPod, cache }));
  const scrape = async () => {
    const { visitor } = await walkMetric(metric, new TimeSlicer(), () => new SampleWriter(metric.exposed));
    return visitor.finish();
  };
  return { pods, cache, scrape };
}

const text = (chunks: readonly Buffer[]) => Buffer.concat(chunks).toString();

/** A deterministic stream of numbers in [0, 1), so a failing run can be replayed. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state / 2 ** 32;
  };
}

test('a scrape of unchanged objects hands on the cached bytes themselves, not a copy', async () => {
  const r = registration();
  for (let i = 0; i < 5000; i++) r.pods.set(`ns/p${i}`, { name: `p${i}`, phase: 'Running', restarts: 0 });
  const first = await r.scrape();
  const second = await r.scrape();
  assert.equal(text(second), text(first));
  assert.ok(text(first).length > 256 * 1024, 'the lines fill more than one block');
  const memoryOf = (chunks: readonly Buffer[]) => new Set(chunks.map((chunk) => chunk.buffer));
  assert.deepEqual(memoryOf(second), memoryOf(first), 'the second scrape wrote from the same memory');
  assert.ok(second.length < 40, `${second.length} slices for 5000 objects: runs are long`);
});

test('churn (changes, deletions, insertions, a relist): the lines are those of a fresh cache', async () => {
  const r = registration();
  const next = random(7);
  let serial = 0;
  const add = () => {
    serial += 1;
    r.pods.set(`ns/p${serial}`, { name: `p${serial}`, phase: 'Pending', restarts: 0 });
  };
  for (let i = 0; i < 3000; i++) add();
  for (let round = 0; round < 60; round++) {
    const keys = [...r.pods.keys()];
    for (let n = 0; n < 150; n++) {
      const key = keys[Math.floor(next() * keys.length)] as string;
      const pod = r.pods.get(key);
      const roll = next();
      if (pod === undefined) continue;
      if (roll < 0.6)
        r.pods.set(key, { ...pod, phase: next() < 0.5 ? 'Running' : 'Failed', restarts: round });
      else if (roll < 0.8) r.pods.delete(key);
      else add();
    }
    if (round === 30) {
      // A relist: the same objects in another order.
      const relisted = [...r.pods].reverse();
      r.pods.clear();
      for (const [key, pod] of relisted) r.pods.set(key, pod);
    }
    const fresh = registration();
    for (const [key, pod] of r.pods) fresh.pods.set(key, pod);
    assert.equal(text(await r.scrape()), text(await fresh.scrape()), `round ${round}`);
    const { held, live } = r.cache.lines.held;
    // Sparse blocks are emptied at the next walk, so what is held stays near what is live: below
    // live / 0.75 plus the block still being filled (256 KiB at most) and the last walk's moves.
    assert.ok(held <= live / 0.75 + 2 * 256 * 1024, `round ${round}: ${held} bytes held for ${live} live`);
  }
});

test('LineBlocks: a block mostly dead bytes has its cells moved out at the next walk, bytes intact', () => {
  const blocks = new LineBlocks();
  const line = (i: number) => `sample{pod="p${String(i).padStart(5, '0')}"} ${i}\n`;
  const cells: PlacedLines[] = [];
  for (let i = 0; i < 20_000; i++) {
    const bytes = Buffer.byteLength(line(i));
    cells.push({ ...blocks.place(line(i), bytes), bytes });
  }
  const read = (cell: PlacedLines) =>
    cell.block.buffer.toString('utf8', cell.offset, cell.offset + cell.bytes);
  const walk = (kept: readonly PlacedLines[]) => {
    const stamp = blocks.beginWalk();
    for (const cell of kept) blocks.keep(stamp, cell);
    blocks.endWalk(stamp, true);
  };
  walk(cells);
  const whole = blocks.held;
  assert.ok(whole.held < whole.live * 1.5, `${whole.held} held for ${whole.live}`);
  // Every other cell's object changed or went away: the blocks are half dead bytes.
  const survivors = cells.filter((_, i) => i % 2 === 0);
  // The block still being filled is never emptied into itself.
  const filling = (cells.at(-1) as PlacedLines).block;
  const oldBlocks = new Set(survivors.map((cell) => cell.block).filter((block) => block !== filling));
  walk(survivors);
  assert.ok(blocks.held.held > 1.8 * blocks.held.live, 'before the move, the blocks hold the dead bytes');
  walk(survivors); // this walk moves the survivors out of their sparse blocks
  walk(survivors); // and this one counts where they are now
  const after = blocks.held;
  assert.ok(after.held <= after.live / 0.75 + 256 * 1024, `${after.held} held for ${after.live}`);
  assert.ok(
    survivors.every((cell) => !oldBlocks.has(cell.block)),
    'the survivors left the sparse blocks',
  );
  survivors.forEach((cell, n) => {
    assert.equal(read(cell), line(n * 2));
  });

  // A walk interleaved with a counting one counts nothing and does not spoil its counts.
  const counting = blocks.beginWalk();
  const other = blocks.beginWalk();
  assert.equal(other, 0);
  for (const cell of survivors) blocks.keep(counting, cell);
  for (const cell of survivors) blocks.keep(other, cell);
  blocks.endWalk(other, true);
  blocks.endWalk(counting, true);
  assert.equal(blocks.held.live, after.live);
  // A cut-off walk marks nothing: the next counting walk starts afresh.
  const cut = blocks.beginWalk();
  blocks.keep(cut, survivors[0] as PlacedLines);
  blocks.endWalk(cut, false);
  assert.equal(blocks.held.live, after.live);
  assert.notEqual(blocks.beginWalk(), 0, 'the cut walk let go of the count');
});

test('a source whose version has not moved is not walked again; one that moved is', async () => {
  const pods = new Map<string, Pod>([['ns/a', { name: 'a', phase: 'Running', restarts: 0 }]]);
  let version = 1;
  let walked = 0;
  const cache = new ItemCache();
  const metric = registeredMetric({ exposedName: 'sealos_blocks_pod_phase', declaration: phase });
  metric.opens.push(() => ({
    entries: {
      *[Symbol.iterator]() {
        walked += 1;
        yield* pods;
      },
    },
    each: eachPod,
    cache,
    version,
  }));
  const scrape = async () => {
    const { visitor } = await walkMetric(metric, new TimeSlicer(), () => new SampleWriter(metric.exposed));
    return text(visitor.finish());
  };
  const first = await scrape();
  assert.match(first, /pod="a",phase="Running"} 1/);
  assert.equal(await scrape(), first);
  assert.equal(await scrape(), first);
  assert.equal(walked, 1, 'two scrapes at the same version took the cells as they were');
  pods.set('ns/b', { name: 'b', phase: 'Failed', restarts: 0 });
  version += 1;
  const second = await scrape();
  assert.equal(walked, 2);
  assert.match(second, /pod="b",phase="Failed"} 1/);
  assert.match(second, /pod="a",phase="Running"} 1/);
});
