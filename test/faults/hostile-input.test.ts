/**
 * Hostile input found by trying to break the running collector (issue: eleven defects), one test
 * per defect. Each failed on the code before its fix.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { App } from '../../lib/app.js';
import { buildConfig, ConfigError } from '../../lib/config/load.js';
import { scrapeBudgetMs } from '../../lib/server/routes.js';
import { harnessLogs } from '../support/app.js';
import { get } from '../support/http.js';

const fixtureProc = fileURLToPath(new URL('../../instruments/zombie/testdata/proc', import.meta.url));

async function start(env: Record<string, string> = {}) {
  const logs = harnessLogs();
  const app = await App.start({
    env: { SERVER_ADDRESS: '127.0.0.1:0', COLLECTORS_ZOMBIE_PROC_PATH: fixtureProc, ...env },
    logs,
    reloadDebounceMs: 100,
  });
  return { app, logs, url: `http://127.0.0.1:${app.server.address().port}` };
}

test('3. any finite positive X-Prometheus-Scrape-Timeout-Seconds works; others are ignored', async (t) => {
  // Budgets: whole milliseconds, at least 1, none beyond what a timer holds.
  assert.equal(scrapeBudgetMs('1.1'), 990);
  assert.equal(scrapeBudgetMs('0.4'), 360);
  assert.equal(scrapeBudgetMs('1e-300'), 1);
  assert.equal(scrapeBudgetMs('2147484'), 2_147_483_500);
  assert.equal(scrapeBudgetMs('2147485'), undefined);
  for (const ignored of ['0', '-1', 'NaN', 'Infinity', '1e309', 'ten', ''])
    assert.equal(scrapeBudgetMs(ignored), undefined, ignored);

  const { app, url } = await start();
  t.after(() => app.stop());
  // What Prometheus sends for scrape_timeout 1100ms, 1300ms, 400ms, and values past a timer's range.
  for (const value of ['1.1', '1.3', '0.4', '2147484', '2147485', '1e12', '10']) {
    const response = await get(`${url}/metrics`, { 'x-prometheus-scrape-timeout-seconds': value });
    assert.equal(response.status, 200, `${value}: ${response.body.slice(0, 120)}`);
    assert.match(response.body, /^sealos_zombie_processes\{/m, value);
  }
  // A budget too small to walk anything may be cut (503), never fail (500).
  const tiny = await get(`${url}/metrics`, { 'x-prometheus-scrape-timeout-seconds': '1e-300' });
  assert.ok([200, 503].includes(tiny.status), `1e-300: ${tiny.status} ${tiny.body.slice(0, 120)}`);
});

const root = fileURLToPath(new URL('../..', import.meta.url));

/** `check-config` on a config text: its exit code and what it printed. */
async function checkConfig(yaml: string): Promise<{ status: number | null; output: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'ssm-hostile-'));
  const file = join(dir, 'config.yaml');
  await writeFile(file, yaml);
  const result = spawnSync(
    process.execPath,
    ['--import', 'tsx', join(root, 'cli/main.ts'), 'check-config', file],
    {
      cwd: root,
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '' },
    },
  );
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

function refusal(input: Record<string, unknown>): string {
  try {
    buildConfig(input, {});
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return error.message;
  }
  assert.fail(`accepted: ${JSON.stringify(input)}`);
}

test('8. check-config refuses what cannot start: a port out of range, TLS files that do not exist', async () => {
  const port = await checkConfig('server:\n  address: ":99999"\n');
  assert.equal(port.status, 1, port.output);
  assert.match(port.output, /server\.address: the port must be 0 to 65535 \(got ":99999"/);
  const tls = await checkConfig(
    'server:\n  tls:\n    enabled: true\n    certFile: /nonexistent/tls.crt\n    keyFile: /nonexistent/tls.key\n',
  );
  assert.equal(tls.status, 1, tls.output);
  assert.match(tls.output, /server\.tls\.certFile.*\/nonexistent\/tls\.crt/);
  assert.equal((await checkConfig('server:\n  address: ":9090"\n')).status, 0);
});

test('9. metricsPath may not be healthPath, /livez or /readyz; healthPath not /livez or /readyz', () => {
  assert.match(
    refusal({ server: { metricsPath: '/health' } }),
    /server\.metricsPath: must differ from healthPath/,
  );
  assert.match(
    refusal({ server: { metricsPath: '/livez' } }),
    /server\.metricsPath: must differ from \/livez/,
  );
  assert.match(
    refusal({ server: { metricsPath: '/readyz' } }),
    /server\.metricsPath: must differ from \/readyz/,
  );
  assert.match(
    refusal({ server: { metricsPath: '/m', healthPath: '/m' } }),
    /server\.metricsPath: must differ from healthPath/,
  );
  assert.match(refusal({ server: { healthPath: '/livez' } }), /server\.healthPath: must differ from \/livez/);
  assert.doesNotThrow(() => buildConfig({ server: { metricsPath: '/stats', healthPath: '/healthz' } }, {}));
});
