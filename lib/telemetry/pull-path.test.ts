import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { seriesMap } from '../../test/support/exposition-parse.js';
import { promtoolProblems } from '../../test/support/promtool.js';
import { stockExposition, stockSerializer } from '../../test/support/stock-otel.js';
import type { MetricSink, Observe } from '../instrument.js';
import type { MetricDeclaration } from './declaration.js';
import { TelemetryPipeline } from './pipeline.js';

const objects = {
  name: 'corpus_object_info',
  kind: 'gauge',
  unit: '{object}',
  help: 'Objects with awkward label values.',
  labels: ['namespace', 'name', 'note'],
} as const satisfies MetricDeclaration;

const values = {
  name: 'corpus_value',
  kind: 'gauge',
  unit: '{value}',
  help: 'Special and extreme values.',
  labels: ['case'],
} as const satisfies MetricDeclaration;

const events = {
  name: 'corpus_events',
  kind: 'counter',
  unit: '{event}',
  help: 'A counter.',
  labels: ['kind'],
} as const satisfies MetricDeclaration;

const unlabelled = {
  name: 'corpus_up',
  kind: 'gauge',
  unit: '{up}',
  help: 'No labels at all.',
  labels: [],
} as const satisfies MetricDeclaration;

const awkward = [
  'plain',
  '',
  'with "quotes"',
  'back\\slash',
  'trailing backslash \\',
  'new\nline',
  '\\n literally',
  'tab\there',
  'ünïcödé ✓',
  '日本語のラベル',
  'emoji 🚀 and ZWJ 👩‍💻',
  'comma, equals= and {braces}',
  ' leading and trailing spaces ',
  '#not a comment',
];

const specials: Array<[string, number]> = [
  ['nan', Number.NaN],
  ['inf', Number.POSITIVE_INFINITY],
  ['neg_inf', Number.NEGATIVE_INFINITY],
  ['zero', 0],
  ['negative_zero', -0],
  ['tiny', 5e-324],
  ['huge', 1.7976931348623157e308],
  ['exponent', 1e21],
  ['fraction', 0.1 + 0.2],
  ['negative', -42.5],
  ['max_safe_plus', 2 ** 53 + 2],
];

type CorpusItem = { namespace: string; name: string; i: number; j: number };
const corpusItems: CorpusItem[] = awkward.flatMap((namespace, i) =>
  awkward.map((name, j) => ({ namespace, name, i, j })),
);
const corpusEntries = corpusItems.map((item) => [`${item.i}/${item.j}`, item] as const);
const corpusObject = (item: CorpusItem, observe: Observe<typeof objects>) =>
  observe(item.i * 100 + item.j, { namespace: item.namespace, name: item.name, note: '' });

/** The corpus; `keyed` registers the objects as a keyed pass (cached per object). */
function registerCorpus(sink: MetricSink, keyed = false): void {
  if (keyed) sink.observeObjects(objects, () => corpusEntries, corpusObject);
  else sink.observeEach(objects, () => corpusItems, corpusObject);
  sink.observe(values, (observe) => {
    for (const [name, value] of specials) observe(value, { case: name });
    // The same series twice: the last value counts, in both exports.
    observe(1, { case: 'repeated' });
    observe(2, { case: 'repeated' });
  });
  sink.observe(events, (observe) => {
    observe(3, { kind: 'a' });
    observe(0, { kind: '' });
  });
  sink.observe(unlabelled, (observe) => observe(1, {}));
}

for (const keyed of [false, true]) {
  test(`the exposition and the OTLP collection carry the series and values of the stock OTel path${keyed ? ' (objects cached per key)' : ''}`, async () => {
    await compareWithStock(keyed);
  });
}

async function compareWithStock(keyed: boolean) {
  const p = new TelemetryPipeline({
    namespace: 'sealos',
    resource: resourceFromAttributes({}),
    inspect: true,
  });
  registerCorpus(p.sink, keyed);
  const ours = (await p.scrape('text')).body;
  const oursSeries = seriesMap(ours);
  const stockSeries = seriesMap(await stockExposition(registerCorpus));
  assert.equal(oursSeries.size, awkward.length ** 2 + specials.length + 1 + 2 + 1);
  assert.deepEqual(oursSeries, stockSeries);
  assert.equal(oursSeries.get(JSON.stringify(['sealos_corpus_value', [['case', 'repeated']]])), 2);
  assert.deepEqual(promtoolProblems(ours), []);
  // OpenMetrics carries the same samples under different family headers.
  assert.deepEqual(seriesMap((await p.scrape('openmetrics')).body), oursSeries);
  // What our OTLP reader exports, written by the stock serializer.
  const otlp = stockSerializer().serialize((await p.collectOtlp()).resourceMetrics);
  assert.deepEqual(seriesMap(otlp), stockSeries);
  // A second collection of each export writes the same from what the first one cached.
  assert.equal((await p.scrape('text')).body, ours);
  assert.deepEqual(
    seriesMap(stockSerializer().serialize((await p.collectOtlp()).resourceMetrics)),
    stockSeries,
  );
  await p.shutdown();
}

test('a big pass is walked in slices: the event loop turns while a scrape runs', async () => {
  const p = new TelemetryPipeline({ namespace: 'sealos', resource: resourceFromAttributes({}) });
  const items = Array.from({ length: 200_000 }, (_, i) => i);
  p.sink.observeEach(
    objects,
    () => items,
    (i, observe) => observe(i, { namespace: `ns${i % 100}`, name: `object-${i}`, note: 'n' }),
  );
  let turns = 0;
  const ticker = setInterval(() => {
    turns += 1;
  }, 0);
  const { body } = await p.scrape('text');
  clearInterval(ticker);
  assert.equal(body.match(/^sealos_corpus_object_info\{/gm)?.length, 200_000);
  assert.ok(turns >= 2, `timers ran ${turns} times during the scrape; the walk held the event loop`);
  await p.shutdown();
});

test('a scrape that gives up stops the walk; one that still waits gets the whole exposition', async () => {
  const p = new TelemetryPipeline({ namespace: 'sealos', resource: resourceFromAttributes({}) });
  let visited = 0;
  const items = Array.from({ length: 300_000 }, (_, i) => i);
  p.sink.observeEach(
    objects,
    () => items,
    (i, observe) => {
      visited += 1;
      observe(i, { namespace: 'ns', name: `object-${i}`, note: '' });
    },
  );

  // Alone: it gives up, and the walk stops soon after instead of running on for nobody.
  const alone = new AbortController();
  const cut = p.exposition(alone.signal);
  setImmediate(() => alone.abort(new Error('scrape timeout')));
  await assert.rejects(cut, /scrape timeout/);
  const visitedAtCut = visited;
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.ok(visitedAtCut < items.length, 'the walk had finished before the cut');
  assert.ok(
    visited - visitedAtCut < 50_000,
    `the walk ran on after the cut: ${visited - visitedAtCut} items`,
  );

  // Shared: one scrape gives up, the other still receives every series from the same walk.
  visited = 0;
  const impatient = new AbortController();
  const first = p.exposition(impatient.signal);
  const second = p.exposition();
  setImmediate(() => impatient.abort(new Error('scrape timeout')));
  await assert.rejects(first, /scrape timeout/);
  const exposition = await second;
  assert.equal(exposition.series, items.length);
  assert.equal(visited, items.length, 'the walk was not shared');
  await p.shutdown();
});
