/**
 * Keyed passes (`observeObjects`): an object's series are encoded once and written from the
 * cache until its key holds a different object or is gone, in both exports.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { seriesMap } from '../../test/support/exposition-parse.js';
import type { Observe } from '../instrument.js';
import type { MetricDeclaration } from './declaration.js';
import { TelemetryPipeline } from './pipeline.js';
import { ItemCache } from './source.js';

const restarts = {
  name: 'cache_restarts',
  kind: 'gauge',
  unit: '{restart}',
  help: 'Restarts per container.',
  labels: ['pod', 'container', 'instance'],
  resourceLabels: ['instance'],
} as const satisfies MetricDeclaration;

interface Pod {
  readonly name: string;
  readonly containers: ReadonlyArray<{ readonly name: string; readonly restarts: number }>;
}

function world() {
  const pods = new Map<string, Pod>();
  const encoded: string[] = [];
  const p = new TelemetryPipeline({
    namespace: 'sealos',
    resource: resourceFromAttributes({}),
    inspect: true,
  });
  p.sink.observeObjects(
    restarts,
    () => pods,
    (pod, observe: Observe) => {
      encoded.push(pod.name);
      for (const c of pod.containers)
        observe(c.restarts, { pod: pod.name, container: c.name, instance: 'i-1' });
    },
  );
  const scrape = async () => seriesMap((await p.scrape('text')).body);
  const otlp = async () => {
    const { resourceMetrics } = await p.collectOtlp();
    return resourceMetrics.scopeMetrics.flatMap((scope) =>
      scope.metrics.flatMap((metric) =>
        metric.dataPoints.map((point) => ({ attributes: point.attributes, value: point.value as number })),
      ),
    );
  };
  return { p, pods, encoded, scrape, otlp };
}

/** A series key as seriesMap writes it (labels sorted by name). */
const series = (pod: string, container: string) =>
  JSON.stringify([
    'sealos_cache_restarts',
    [
      ['container', container],
      ['instance', 'i-1'],
      ['pod', pod],
    ],
  ]);

test('an object is encoded once for every scrape until it changes; a deleted one is gone', async () => {
  const w = world();
  w.pods.set('ns/a', { name: 'a', containers: [{ name: 'app', restarts: 3 }] });
  w.pods.set('ns/b', { name: 'b', containers: [] });
  assert.deepEqual(await w.scrape(), new Map([[series('a', 'app'), 3]]));
  await w.scrape();
  assert.deepEqual(w.encoded, ['a', 'b'], 'each object was encoded once for two scrapes');
  // An export observes again each object that has series, and leaves the cache as it was.
  await w.otlp();
  assert.deepEqual(w.encoded, ['a', 'b', 'a']);
  await w.scrape();
  assert.deepEqual(w.encoded, ['a', 'b', 'a']);
  w.encoded.length = 0;

  // A change is a new object under the key: that object alone is encoded again.
  w.pods.set('ns/a', {
    name: 'a',
    containers: [
      { name: 'app', restarts: 4 },
      { name: 'sidecar', restarts: 1 },
    ],
  });
  w.pods.set('ns/c', { name: 'c', containers: [{ name: 'app', restarts: 0 }] });
  w.pods.delete('ns/b');
  assert.deepEqual(
    await w.scrape(),
    new Map([
      [series('a', 'app'), 4],
      [series('a', 'sidecar'), 1],
      [series('c', 'app'), 0],
    ]),
  );
  assert.deepEqual(w.encoded, ['a', 'c']);

  // OTLP gives the same series; `instance` travels on the resource, not on the points.
  assert.deepEqual(await w.otlp(), [
    { attributes: { pod: 'a', container: 'app' }, value: 4 },
    { attributes: { pod: 'a', container: 'sidecar' }, value: 1 },
    { attributes: { pod: 'c', container: 'app' }, value: 0 },
  ]);

  w.pods.clear();
  assert.deepEqual(await w.scrape(), new Map());
  await w.p.shutdown();
});

test('two objects with the same series: the last one seen counts, as in an uncached walk', async () => {
  const w = world();
  w.pods.set('ns/a', { name: 'same', containers: [{ name: 'app', restarts: 1 }] });
  w.pods.set('other/a', { name: 'same', containers: [{ name: 'app', restarts: 2 }] });
  const body = (await w.p.scrape('text')).body;
  assert.equal(body.match(/^sealos_cache_restarts\{/gm)?.length, 1, body);
  assert.deepEqual(await w.scrape(), new Map([[series('same', 'app'), 2]]));
  assert.deepEqual(await w.otlp(), [{ attributes: { pod: 'same', container: 'app' }, value: 2 }]);
  await w.p.shutdown();
});

test('a series repeated only after an object changed is still written once, with the last value', async () => {
  const w = world();
  w.pods.set('ns/a', { name: 'a', containers: [{ name: 'app', restarts: 1 }] });
  w.pods.set('ns/b', { name: 'b', containers: [{ name: 'app', restarts: 2 }] });
  assert.equal((await w.scrape()).size, 2);
  await w.scrape(); // unchanged: the cells are not checked again
  w.pods.set('ns/b', { name: 'a', containers: [{ name: 'app', restarts: 5 }] });
  for (let round = 0; round < 2; round++) {
    const body = (await w.p.scrape('text')).body;
    assert.equal(body.match(/^sealos_cache_restarts\{/gm)?.length, 1, `round ${round}: ${body}`);
    assert.deepEqual(await w.scrape(), new Map([[series('a', 'app'), 5]]), `round ${round}`);
    assert.deepEqual(await w.otlp(), [{ attributes: { pod: 'a', container: 'app' }, value: 5 }]);
  }
  w.pods.set('ns/b', { name: 'b', containers: [{ name: 'app', restarts: 6 }] });
  assert.deepEqual(
    await w.scrape(),
    new Map([
      [series('a', 'app'), 1],
      [series('b', 'app'), 6],
    ]),
  );
  await w.p.shutdown();
});

test('a large keyed pass written from the cache is walked in slices and writes every series', async () => {
  const w = world();
  for (let i = 0; i < 100_000; i++) {
    w.pods.set(`ns/p${i}`, { name: `p${i}`, containers: [{ name: 'app', restarts: i }] });
  }
  await w.scrape();
  let turns = 0;
  const ticker = setInterval(() => {
    turns += 1;
  }, 0);
  const { body } = await w.p.scrape('text');
  clearInterval(ticker);
  assert.equal(body.match(/^sealos_cache_restarts\{/gm)?.length, 100_000);
  assert.ok(turns >= 1, `timers ran ${turns} times during the cached scrape`);
  assert.equal(w.encoded.length, 100_000, 'the second scrape encoded again');
  await w.p.shutdown();
});

interface Cell {
  readonly key: string;
  readonly item: unknown;
  readonly encoded: string;
}

/**
 * Walks `keys` over the cache as the registry does (each key is its own object here): the cell
 * at the cursor if it holds the object, else the cell found by key, else a new one.
 */
function walkKeys(cache: ItemCache<Cell>, keys: readonly string[], generation: string): string[] {
  const walk = cache.walk();
  const found = keys.map((key) => {
    const cell = walk.same(key) ?? walk.find(key) ?? { key, item: key, encoded: `${key}@${generation}` };
    walk.keep(cell, key, 1);
    return cell.encoded;
  });
  walk.complete(true);
  return found;
}

const letters = (from: number, to: number) =>
  Array.from({ length: to - from }, (_, i) => `k${String(from + i).padStart(3, '0')}`);

test('ItemCache: every key finds its own cell, whatever the next walk did to the order', () => {
  const base = letters(0, 100);
  const cases: Array<[string, string[]]> = [
    ['the same order', base],
    ['a few keys deleted', base.filter((_, i) => i % 30 !== 7)],
    ['a run of 40 keys deleted (a namespace)', [...base.slice(0, 20), ...base.slice(60)]],
    ['keys added at the end and between', [...base.slice(0, 50), 'new-1', ...base.slice(50), 'new-2']],
    ['reversed (a relist in another order)', [...base].reverse()],
    ['a key twice', [...base.slice(0, 10), base[3] as string, ...base.slice(10)]],
    ['everything gone', []],
  ];
  for (const [name, keys] of cases) {
    const cache = new ItemCache<Cell>();
    walkKeys(cache, base, 'first');
    const found = walkKeys(cache, keys, 'second');
    assert.deepEqual(
      found,
      keys.map((key) => (key.startsWith('new') ? `${key}@second` : `${key}@first`)),
      name,
    );
    // What the walk saw is what the next one starts from: deleted keys are gone.
    assert.equal(cache.size, keys.length, name);
    assert.deepEqual(
      walkKeys(cache, base, 'third'),
      base.map((key) => `${key}@${keys.includes(key) ? 'first' : 'third'}`),
      name,
    );
  }
});

test('ItemCache: two walks at once both start from the last complete one; neither loses a key', () => {
  const cache = new ItemCache<Cell>();
  walkKeys(cache, ['a', 'b'], 'first');
  const exporting = cache.walk(); // an OTLP export starts
  const scraping = cache.walk(); // a scrape starts before it ends
  for (const walk of [exporting, scraping]) {
    for (const key of ['a', 'b', 'c'])
      walk.keep(walk.same(key) ?? walk.find(key) ?? { key, item: key, encoded: `${key}@new` }, key, 1);
  }
  scraping.complete(true);
  exporting.complete(true);
  assert.deepEqual(walkKeys(cache, ['a', 'b', 'c'], 'next'), ['a@first', 'b@first', 'c@new']);
  // A walk that does not complete (its scrape gave up) publishes nothing.
  const cut = cache.walk();
  cut.keep({ key: 'z', item: 'z', encoded: 'z@cut' }, 'z', 1);
  assert.equal(cache.size, 3);
});

test('pooled chunks: reused only after every writer released them; bytes stay right', async () => {
  const w = world();
  for (let i = 0; i < 20_000; i++) {
    w.pods.set(`ns/p${i}`, { name: `p${i}`, containers: [{ name: 'app', restarts: i }] });
  }
  const bytes = (exposition: { chunks(format: 'text'): Iterable<string | Buffer> }) =>
    Buffer.concat([...exposition.chunks('text')].map((chunk) => Buffer.from(chunk))).toString();
  const expected = (await w.p.scrape('text')).body;
  assert.ok(expected.length > 2 * 256 * 1024, 'the body spans several full-size chunks');

  // Two writers of one walk: the first release does not recycle what the second still writes.
  const [first, second] = await Promise.all([w.p.lease(), w.p.lease()]);
  assert.equal(first?.exposition, second?.exposition, 'concurrent leases share one walk');
  first?.release();
  first?.release(); // twice is once
  const meanwhile = await w.p.lease(); // a later walk must not get the chunks second still holds
  assert.equal(bytes(second?.exposition as never), expected);
  second?.release();
  assert.equal(bytes(meanwhile.exposition), expected);
  meanwhile.release();

  // Chunks given back are written over by the next walk, which still writes the right bytes.
  w.pods.set('ns/p0', { name: 'p0', containers: [{ name: 'app', restarts: 99 }] });
  const next = await w.p.lease();
  assert.equal(
    bytes(next.exposition),
    expected.replace(
      'pod="p0",container="app",instance="i-1"} 0',
      'pod="p0",container="app",instance="i-1"} 99',
    ),
  );
  next.release();

  // A plain exposition() caller never releases: a lease of the same walk must not recycle it.
  const [plain, leased] = await Promise.all([w.p.exposition(), w.p.lease()]);
  const before = bytes(plain);
  leased.release();
  await w.p.lease().then((later) => later.release());
  assert.equal(bytes(plain), before);
  await w.p.shutdown();
});
