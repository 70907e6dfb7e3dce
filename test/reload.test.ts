/**
 * Hot reload through the real file watcher: valid changes applied after the debounce, invalid
 * ones rejected with the old generation serving, ConfigMap-style symlink swaps, restart-only
 * settings reported, and TLS certificates rotated without a restart.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rename, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { App } from '../lib/app.js';
import { harnessLogs } from './support/app.js';
import { localhostPair } from './support/certificates.js';
import { eventually, get } from './support/http.js';

const fixtureProc = fileURLToPath(new URL('../instruments/zombie/testdata/proc', import.meta.url));

function configYaml(extra: string): string {
  return `server:\n  address: "127.0.0.1:0"\ncollectors:\n  zombie:\n    procPath: ${fixtureProc}\n${extra}`;
}

async function startWithFile(file: string, debounceMs: number) {
  const logs = harnessLogs();
  const app = await App.start({ file, env: {}, logs, reloadDebounceMs: debounceMs });
  const url = `http://127.0.0.1:${app.server.address().port}`;
  return { app, logs, url, scrape: async () => (await get(`${url}/metrics`)).body };
}

/** Scrapes until the body matches, and returns it. */
function scrapeUntil(
  scrape: () => Promise<string>,
  accept: (body: string) => boolean,
  what: string,
): Promise<string> {
  return eventually(
    async () => {
      const body = await scrape();
      return accept(body) ? body : undefined;
    },
    5000,
    what,
  );
}

function sample(body: string, series: string): number | undefined {
  const line = body.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

test('a valid change is applied once the debounce has passed, without dropping the endpoint', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'ssm-reload-'));
  const file = join(dir, 'config.yaml');
  await writeFile(file, configYaml(''));
  const { app, scrape } = await startWithFile(file, 600);
  t.after(() => app.stop());
  assert.match(await scrape(), /^sealos_zombie_processes\{/m);

  await writeFile(file, configYaml('metrics:\n  namespace: acme\n'));
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.match(await scrape(), /^sealos_zombie_processes\{/m, 'applied before the debounce');
  const body = await scrapeUntil(scrape, (b) => /^acme_zombie_processes\{/m.test(b), 'the new namespace');
  assert.doesNotMatch(body, /^sealos_zombie_processes/m);
  assert.equal(sample(body, 'state_metric_config_reloads_total{result="success"}'), 1);
  assert.equal(app.runtime.current.number, 2);
});

test('an invalid change keeps the previous generation serving and is counted', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'ssm-reload-'));
  const file = join(dir, 'config.yaml');
  await writeFile(file, configYaml(''));
  const { app, logs, scrape } = await startWithFile(file, 100);
  t.after(() => app.stop());
  const hashBefore = sample(await scrape(), 'state_metric_config_hash');

  await writeFile(file, configYaml('    checkInterval: soon\n'));
  const failures = (b: string) => sample(b, 'state_metric_config_reloads_total{result="failure"}');
  const body = await scrapeUntil(scrape, (b) => failures(b) === 1, 'a counted failure');
  assert.equal(sample(body, 'state_metric_config_last_reload_successful'), 0);
  assert.equal(sample(body, 'state_metric_config_hash'), hashBefore);
  assert.match(body, /^sealos_zombie_processes\{/m);
  assert.equal(app.runtime.current.number, 1);
  assert.ok(
    logs.lines.some((line) => line.includes('collectors.zombie.checkInterval') && line.includes('soon')),
    'the log names the field and the value',
  );

  // Reverting to the running config clears the failed state without a new generation.
  await writeFile(file, configYaml(''));
  await scrapeUntil(
    scrape,
    (b) => sample(b, 'state_metric_config_last_reload_successful') === 1,
    'the revert',
  );
  assert.equal(app.runtime.current.number, 1);

  await writeFile(file, 'server: [unclosed\n');
  await scrapeUntil(scrape, (b) => failures(b) === 2, 'a YAML failure');

  await writeFile(file, configYaml('metrics:\n  namespace: fixed\n'));
  const fixed = await scrapeUntil(scrape, (b) => /^fixed_zombie_processes/m.test(b), 'the corrected config');
  assert.equal(sample(fixed, 'state_metric_config_last_reload_successful'), 1);
});

test('a ConfigMap-style ..data symlink swap is detected', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'ssm-configmap-'));
  // The kubelet's layout: config.yaml -> ..data/config.yaml, ..data -> ..<timestamp>/
  await mkdir(join(dir, '..2026_11_25_01'));
  await writeFile(join(dir, '..2026_11_25_01', 'config.yaml'), configYaml(''));
  await symlink('..2026_11_25_01', join(dir, '..data'));
  await symlink('..data/config.yaml', join(dir, 'config.yaml'));
  const { app, scrape } = await startWithFile(join(dir, 'config.yaml'), 100);
  t.after(() => app.stop());

  await mkdir(join(dir, '..2026_11_25_02'));
  await writeFile(
    join(dir, '..2026_11_25_02', 'config.yaml'),
    configYaml('metrics:\n  namespace: swapped\n'),
  );
  await symlink('..2026_11_25_02', join(dir, '..data_tmp'));
  await rename(join(dir, '..data_tmp'), join(dir, '..data'));
  await scrapeUntil(scrape, (b) => /^swapped_zombie_processes/m.test(b), 'the swapped config');
});

test('restart-only settings are reported, not applied; the rest of the change is', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'ssm-reload-'));
  const file = join(dir, 'config.yaml');
  await writeFile(file, configYaml(''));
  const { app, url, scrape } = await startWithFile(file, 100);
  t.after(() => app.stop());
  await writeFile(file, configYaml('metrics:\n  namespace: moved\n').replace('127.0.0.1:0', '127.0.0.1:1'));
  const body = await scrapeUntil(scrape, (b) => /^moved_zombie_processes/m.test(b), 'the reload');
  assert.equal(sample(body, 'state_metric_config_restart_required'), 1);
  assert.deepEqual(app.runtime.reloads.restartRequired, ['server.address']);
  assert.equal((await get(`${url}/health`)).status, 200, 'still serving on the original address');
});

async function writePair(dir: string, cn: string) {
  const pair = await localhostPair(cn);
  await writeFile(join(dir, 'tls.crt'), pair.cert);
  await writeFile(join(dir, 'tls.key'), pair.key);
}

test('a rotated certificate is served without a restart; a broken one is refused', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'ssm-tls-'));
  await writePair(dir, 'first.example');
  const logs = harnessLogs();
  const app = await App.start({
    env: {
      SERVER_ADDRESS: '127.0.0.1:0',
      SERVER_TLS_ENABLED: 'true',
      SERVER_TLS_CERT_FILE: join(dir, 'tls.crt'),
      SERVER_TLS_KEY_FILE: join(dir, 'tls.key'),
      COLLECTORS_ZOMBIE_PROC_PATH: fixtureProc,
    },
    logs,
    certDebounceMs: 100,
  });
  t.after(() => app.stop());
  const url = `https://127.0.0.1:${app.server.address().port}/health`;
  const first = await get(url);
  assert.equal(first.status, 200);
  assert.match(app.server.certificate?.subject ?? '', /CN=first\.example/);

  await writePair(dir, 'second.example');
  const rotated = await eventually(
    async () => {
      const response = await get(url);
      return response.certificateFingerprint !== first.certificateFingerprint ? response : undefined;
    },
    5000,
    'the rotated certificate',
  );
  assert.equal(rotated.status, 200);
  assert.match(app.server.certificate?.subject ?? '', /CN=second\.example/);

  await writeFile(join(dir, 'tls.crt'), 'not a certificate\n');
  await eventually(
    async () => (logs.lines.some((l) => l.includes('rotation rejected')) ? true : undefined),
    5000,
    'the rejection',
  );
  const after = await get(url);
  assert.equal(after.status, 200);
  assert.equal(after.certificateFingerprint, rotated.certificateFingerprint);
});

test('an unreadable certificate at start is a clear error naming the field', async () => {
  await assert.rejects(
    App.start({
      env: {
        SERVER_ADDRESS: '127.0.0.1:0',
        SERVER_TLS_ENABLED: 'true',
        SERVER_TLS_CERT_FILE: '/nonexistent/tls.crt',
        SERVER_TLS_KEY_FILE: '/nonexistent/tls.key',
      },
      logs: harnessLogs(),
    }),
    /^Error: server\.tls\.certFile "\/nonexistent\/tls\.crt": cannot read: ENOENT/,
  );
});
