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

test('an object is encoded once for every scrape and export until it changes; a deleted one is gone', async () => {
  const w = world();
  w.pods.set('ns/a', { name: 'a', containers: [{ name: 'app', restarts: 3 }] });
  w.pods.set('ns/b', { name: 'b', containers: [] });
  assert.deepEqual(await w.scrape(), new Map([[series('a', 'app'), 3]]));
  await w.scrape();
  await w.otlp();
  assert.deepEqual(w.encoded, ['a', 'b'], 'each object was encoded once for two scrapes and an export');

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
  assert.deepEqual(w.encoded, ['a', 'b', 'a', 'c']);

  // OTLP reads the same cached points; `instance` travels on the resource, not on the points.
  assert.deepEqual(await w.otlp(), [
    { attributes: { pod: 'a', container: 'app' }, value: 4 },
    { attributes: { pod: 'a', container: 'sidecar' }, value: 1 },
    { attributes: { pod: 'c', container: 'app' }, value: 0 },
  ]);
  assert.deepEqual(w.encoded, ['a', 'b', 'a', 'c']);

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

test('ItemCache.sweep: a walk drops only the keys that no walk since its start has seen', () => {
  const cache = new ItemCache();
  const put = (key: string, seen: number) => cache.items.set(key, { item: key, encoded: undefined, seen });
  const first = cache.begin(); // an OTLP export starts
  put('old', 0); // seen by no running walk: its object was deleted
  put('both', first);
  const second = cache.begin(); // a scrape starts while the export runs
  put('both', second);
  put('new', second); // an object added after the export passed its place
  put('first-only', first);
  cache.sweep(first, 2); // the export ends having seen `both` and `first-only`
  assert.deepEqual([...cache.items.keys()].sort(), ['both', 'first-only', 'new']);
  cache.sweep(second, 2); // the scrape ends having seen `both` and `new`
  assert.deepEqual([...cache.items.keys()].sort(), ['both', 'new']);
  // A walk that saw every key it holds does not scan.
  cache.sweep(cache.begin(), cache.items.size);
  assert.equal(cache.items.size, 2);
});
