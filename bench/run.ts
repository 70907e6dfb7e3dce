/**
 * `npm run bench`: scrape latency and memory at 10k and 100k series, each mode in a fresh
 * process so memory figures do not mix. Figures, not pass/fail.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const script = fileURLToPath(new URL('./scrape.ts', import.meta.url));
const sizes = (process.env.BENCH_SERIES ?? '10000,100000').split(',').map(Number);
const modes = ['baseline', 'pipeline', 'cached', 'stock'] as const;

interface Result {
  mode: string;
  series: number;
  medianMs: number;
  maxMs: number;
  bytes: number;
  rssMiB: number;
}

const rows: Result[] = [];
for (const series of sizes) {
  for (const mode of modes) {
    const child = spawnSync(process.execPath, ['--import', 'tsx', script, mode, String(series), '5'], {
      encoding: 'utf8',
      maxBuffer: 1 << 20,
    });
    if (child.status !== 0) {
      console.error(`${mode} ${series} failed:\n${child.stderr}`);
      process.exitCode = 1;
      continue;
    }
    rows.push(JSON.parse(child.stdout.trim().split('\n').at(-1) as string) as Result);
  }
}

console.log(`node ${process.version}, ${new Date().toISOString()}`);
console.log('series   mode       median ms   max ms   body MiB   peak RSS MiB');
for (const r of rows) {
  console.log(
    `${String(r.series).padStart(6)}   ${r.mode.padEnd(9)} ${r.medianMs.toFixed(1).padStart(10)} ${r.maxMs
      .toFixed(1)
      .padStart(8)} ${(r.bytes / 2 ** 20).toFixed(1).padStart(10)} ${r.rssMiB.toFixed(0).padStart(14)}`,
  );
}
console.log(
  'baseline: plain string builder over the same state; pipeline: our pull path (what /metrics runs);\n' +
    'cached: the same state as objects whose lines are cached, a tenth of them changed before each scrape;\n' +
    'stock: the SDK observable gauge + @opentelemetry/exporter-prometheus serializer (scope and target_info off).',
);
