/**
 * The shipped dashboards against a real Prometheus (Debian's, the package promtool comes from).
 * It scrapes two targets as the chart's ServiceMonitor would (honor_labels): a running instance
 * (self-metrics, the zombie instrument, OTLP push, a config reload) and a target serving every
 * instrument's golden exposition, which each instrument's own golden test proves it writes.
 * Every query of both dashboards, Grafana's variables set to "All", must return data.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { App } from '../../lib/app.js';
import { harnessLogs } from '../support/app.js';
import { dashboardQueries } from '../support/dashboard-queries.js';
import { MEASURED } from '../support/harness.js';
import { eventually, get } from '../support/http.js';
import { OtlpReceiver } from '../support/otlp-receiver.js';
import { freePorts, startProcess, stopProcess, waitFor } from '../support/peer-process.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const fixtureProc = join(root, 'instruments/zombie/testdata/proc');
/** Goldens of the same instrument under another config: their series would be scraped twice. */
const VARIANTS = new Set(['databases-secrets.prom']);

let dir = '';
let prometheusUrl = '';
/** Stopped last first, once every test has run. */
const teardown: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const step of teardown.reverse()) await step();
});

/** Every instrument's golden exposition, one body (each golden holds its own metrics' samples). */
async function goldenExposition(): Promise<string> {
  const bodies: string[] = [];
  for (const instrument of (await readdir(join(root, 'instruments'), { withFileTypes: true })).filter(
    (entry) => entry.isDirectory(),
  )) {
    const testdata = join(root, 'instruments', instrument.name, 'testdata');
    const files = await readdir(testdata).catch(() => [] as string[]);
    for (const file of files.filter((name) => name.endsWith('.prom') && !VARIANTS.has(name)).sort()) {
      // A measured value (a duration, seconds to a certificate's end) stands as a plausible one.
      bodies.push((await readFile(join(testdata, file), 'utf8')).replaceAll(MEASURED, '0.042'));
    }
  }
  return bodies.join('');
}

async function query(
  expr: string,
): Promise<{ status: string; resultType: string; result: unknown[]; error?: string }> {
  const response = await get(`${prometheusUrl}/api/v1/query?query=${encodeURIComponent(expr)}`);
  const answer = JSON.parse(response.body) as {
    status: string;
    error?: string;
    data?: { resultType: string; result: unknown[] | [number, string] };
  };
  const data = answer.data ?? { resultType: '', result: [] };
  // A scalar is one value, not a list of series.
  const result = data.resultType === 'scalar' ? [data.result] : (data.result as unknown[]);
  return {
    status: answer.status,
    resultType: data.resultType,
    result,
    ...(answer.error ? { error: answer.error } : {}),
  };
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ssm-dashboards-'));
  const receiver = await OtlpReceiver.start();
  teardown.push(() => receiver.stop());
  const configFile = join(dir, 'config.yaml');
  await writeFile(configFile, 'enabledCollectors: [zombie]\n');
  const app = await App.start({
    file: configFile,
    env: {
      SERVER_ADDRESS: '127.0.0.1:0',
      COLLECTORS_ZOMBIE_PROC_PATH: fixtureProc,
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${receiver.port}`,
      OTEL_METRIC_EXPORT_INTERVAL: '500',
      POD_NAME: 'ssm-0',
      POD_NAMESPACE: 'monitoring',
      NODE_NAME: 'node-a',
    },
    logs: harnessLogs(),
    reloadDebounceMs: 50,
  });
  teardown.push(() => app.stop());
  const appMetrics = (await get(`http://127.0.0.1:${app.server.address().port}/metrics`)).body;
  // One reload applied, so the reload counter has its success series.
  await writeFile(configFile, 'enabledCollectors: [zombie]\nlogging:\n  level: warn\n');
  await eventually(
    async () =>
      /state_metric_config_reloads_total\{result="success"\} 1/.test(
        (await get(`http://127.0.0.1:${app.server.address().port}/metrics`)).body,
      ) || undefined,
    10_000,
    'a config reload',
  );
  assert.match(appMetrics, /sealos_zombie_processes/);

  const goldens = await goldenExposition();
  const target = createServer((_, response) => {
    response.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
    response.end(goldens);
  });
  await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
  teardown.push(() => new Promise((resolve) => target.close(resolve)));

  const [port] = await freePorts(1);
  prometheusUrl = `http://127.0.0.1:${port}`;
  const scrape = (job: string, address: string) => ({
    job_name: job,
    honor_labels: true,
    scrape_interval: '1s',
    scrape_timeout: '1s',
    static_configs: [{ targets: [address] }],
  });
  const configPath = join(dir, 'prometheus.yml');
  await writeFile(
    configPath,
    stringify({
      global: { scrape_interval: '1s', evaluation_interval: '1s' },
      scrape_configs: [
        scrape('sealos-state-metrics', `127.0.0.1:${app.server.address().port}`),
        scrape('goldens', `127.0.0.1:${(target.address() as AddressInfo).port}`),
      ],
    }),
  );
  const child = startProcess(dir, 'prometheus', 'prometheus', [
    `--config.file=${configPath}`,
    `--storage.tsdb.path=${join(dir, 'tsdb')}`,
    `--web.listen-address=127.0.0.1:${port}`,
  ]);
  teardown.push(async () => {
    await stopProcess(child);
    await rm(dir, { recursive: true, force: true });
  });
  await waitFor(
    dir,
    'prometheus',
    child,
    30_000,
    async () => (await get(`${prometheusUrl}/-/ready`)).status === 200,
  );
  // Three scrapes of both targets, so rates and increases over them have points to work with.
  await eventually(
    async () => {
      const scrapes = await query('count_over_time(up[1m]) >= 3 and up == 1');
      return scrapes.result.length === 2 || undefined;
    },
    30_000,
    'three good scrapes of both targets',
  );
});

/** Grafana's part: variables at "All" (their allValue, `.*`), interval macros at one minute. */
function asGrafanaSends(expr: string): string {
  return expr
    .replace(/\$__(rate_interval|interval|range)\b/g, '1m')
    .replace(/\$\{?[a-zA-Z_][a-zA-Z0-9_]*\}?/g, '.*');
}

for (const file of ['grafana-dashboard.json', 'grafana-dashboard-reasons.json']) {
  test(`a real Prometheus answers every query of ${file} with data`, async () => {
    const dashboard = JSON.parse(await readFile(join(root, 'deploy', file), 'utf8'));
    const queries = dashboardQueries(dashboard);
    assert.ok(queries.length > 10, `${queries.length} queries`);
    const problems: string[] = [];
    for (const { panel, expr } of queries) {
      const sent = asGrafanaSends(expr);
      const variable = /^label_values\(\s*([a-z0-9_]+)\s*,\s*([a-zA-Z0-9_]+)\s*\)$/.exec(sent.trim());
      if (variable) {
        const [, metric, label] = variable;
        const values = JSON.parse(
          (
            await get(
              `${prometheusUrl}/api/v1/label/${label}/values?match[]=${encodeURIComponent(metric ?? '')}`,
            )
          ).body,
        ) as { data: string[] };
        if (values.data.length === 0) problems.push(`${panel}: ${expr}: no values`);
        continue;
      }
      const answer = await query(sent);
      if (answer.status !== 'success') problems.push(`${panel}: ${expr}: ${answer.error}`);
      else if (answer.result.length === 0) problems.push(`${panel}: ${expr}: no data`);
    }
    assert.deepEqual(problems, []);
  });
}
