/**
 * One scrape benchmark in this process: N series of one 5-label gauge (the shape of user
 * balances), served by `pipeline` (our MeterProvider + exposition, the real path), `stock` (the
 * same collection through @opentelemetry/exporter-prometheus's serializer) or `baseline` (a plain
 * string builder over the same state). Prints one JSON line.
 */
import { PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { resourceFromAttributes } from '@opentelemetry/resources';
import type { MetricDeclaration } from '../lib/instrument.js';
import { formatValue } from '../lib/telemetry/exposition.js';
import { TelemetryPipeline } from '../lib/telemetry/pipeline.js';

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
  readonly labels: Record<string, string>;
  readonly value: number;
}

const users: User[] = Array.from({ length: series }, (_, i) => ({
  labels: {
    region: `region-${i % 4}`,
    uuid: `550e8400-e29b-41d4-a716-${String(i).padStart(12, '0')}`,
    uid: `user${i}`,
    owner: `owner${i}@example.com`,
    type: i % 3 === 0 ? 'enterprise' : 'standard',
    level: ['silver', 'gold', 'platinum'][i % 3] as string,
  },
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
pipeline.sink.observe(balance, (observe) => {
  for (const user of users) observe(user.value, user.labels);
});
const stock = new PrometheusSerializer(undefined, false, undefined, true, true);

async function scrapeOnce(): Promise<number> {
  if (mode === 'baseline') return baselineScrape().length;
  if (mode === 'stock') return stock.serialize((await pipeline.collect()).resourceMetrics).length;
  return (await pipeline.scrape('text')).body.length;
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
