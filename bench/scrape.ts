/**
 * One scrape benchmark in this process: N series of one 5-label gauge (the shape of user
 * balances), served by `pipeline` (our pull path, what /metrics runs, walking the state),
 * `cached` (the same with the users registered as objects: each user's lines are cached, and
 * every tenth user's balance changes between scrapes), `stock` (the SDK's
 * observable gauge and aggregation, then @opentelemetry/exporter-prometheus's serializer) or
 * `baseline` (a plain string builder over the same state). Prints one JSON line.
 */
import { resourceFromAttributes } from '@opentelemetry/resources';
import type { MetricDeclaration, MetricSink } from '../lib/instrument.js';
import type { Labels } from '../lib/telemetry/declaration.js';
import { formatValue } from '../lib/telemetry/exposition.js';
import { TelemetryPipeline } from '../lib/telemetry/pipeline.js';
import { stockExposition } from '../test/support/stock-otel.js';
import { sealosUser } from './world-objects.js';

const [mode = 'pipeline', seriesArg = '10000', iterationsArg = '5'] = process.argv.slice(2);
const series = Number(seriesArg);
const iterations = Number(iterationsArg);

const balance = {
  name: 'userbalance_balance',
  kind: 'gauge',
  unit: '{currency}',
  help: 'Sealos user balance.',
  labels: ['region', 'uuid', 'uid', 'owner', 'type', 'level'],
} as const satisfies MetricDeclaration;

interface User {
  readonly labels: Labels<typeof balance>;
  value: number;
}

const users: User[] = Array.from({ length: series }, (_, i) => ({
  labels: { ...sealosUser(i) },
  value: ((i * 37) % 100_000) / 100,
}));

function baselineScrape(): string {
  const out: string[] = [
    `# HELP sealos_userbalance_balance ${balance.help}`,
    '# TYPE sealos_userbalance_balance gauge',
  ];
  for (const user of users) {
    let labels = '';
    for (const name of balance.labels) labels += `${labels === '' ? '' : ','}${name}="${user.labels[name]}"`;
    out.push(`sealos_userbalance_balance{${labels}} ${formatValue(user.value)}`);
  }
  return `${out.join('\n')}\n`;
}

const pipeline = new TelemetryPipeline({ namespace: 'sealos', resource: resourceFromAttributes({}) });
const register = (sink: MetricSink) =>
  sink.observeEach(
    balance,
    () => users,
    (user, observe) => observe(user.value, user.labels),
  );
/** Users by key; a changed balance is a new object, as an informer or a poll delivers it. */
const byKey = new Map(users.map((user, i) => [String(i), user] as const));
let round = 0;
function changeTenth(): void {
  round += 1;
  for (let i = round % 10; i < series; i += 10) {
    const key = String(i);
    const user = byKey.get(key) as User;
    byKey.set(key, { labels: user.labels, value: user.value + 1 });
  }
}
if (mode === 'cached') {
  pipeline.sink.observeObjects(
    balance,
    () => byKey,
    (user, observe) => observe(user.value, user.labels),
  );
} else {
  register(pipeline.sink);
}

async function scrapeOnce(): Promise<number> {
  if (mode === 'baseline') return baselineScrape().length;
  if (mode === 'stock') return (await stockExposition(register)).length;
  if (mode === 'cached') changeTenth();
  // What /metrics writes: the chunks, never joined into one string.
  let length = 0;
  for (const chunk of (await pipeline.exposition()).chunks('text')) length += chunk.length;
  return length;
}

const rssBefore = process.memoryUsage().rss;
await scrapeOnce(); // warm-up
const times: number[] = [];
let bytes = 0;
let peakRss = 0;
for (let i = 0; i < iterations; i++) {
  const start = performance.now();
  bytes = await scrapeOnce();
  times.push(performance.now() - start);
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}
times.sort((a, b) => a - b);
process.stdout.write(
  `${JSON.stringify({
    mode,
    series,
    medianMs: times[Math.floor(times.length / 2)],
    maxMs: times.at(-1),
    bytes,
    rssMiB: peakRss / 2 ** 20,
    rssBeforeMiB: rssBefore / 2 ** 20,
  })}\n`,
);
await pipeline.shutdown();
