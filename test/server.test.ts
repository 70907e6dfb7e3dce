/**
 * The HTTP surface: /metrics negotiation, /health as the original shaped it (503 when a collector
 * is unhealthy), liveness and readiness, methods, the loopback debug page (secrets redacted) and
 * the profiling endpoints.
 */
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { App } from '../lib/app.js';
import { harnessLogs } from './support/app.js';
import { eventually, get } from './support/http.js';

const fixtureProc = fileURLToPath(new URL('../instruments/zombie/testdata/proc', import.meta.url));

async function start(env: Record<string, string>, file?: string) {
  const logs = harnessLogs();
  const app = await App.start({
    env: { SERVER_ADDRESS: '127.0.0.1:0', COLLECTORS_ZOMBIE_PROC_PATH: fixtureProc, ...env },
    logs,
    reloadDebounceMs: 100,
    ...(file ? { file } : {}),
  });
  return { app, logs, url: `http://127.0.0.1:${app.server.address().port}` };
}

test('/metrics answers in the text format, or OpenMetrics when asked', async (t) => {
  const { app, url } = await start({});
  t.after(() => app.stop());
  const text = await get(`${url}/metrics`);
  assert.equal(text.status, 200);
  assert.equal(text.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
  assert.match(
    text.body,
    /^sealos_zombie_processes\{node="[^"]+",namespace="",pod="",container_id="3f4e5d6c7b8a"\} 3$/m,
  );
  const om = await get(`${url}/metrics`, {
    accept: 'application/openmetrics-text;version=1.0.0,text/plain;q=0.5',
  });
  assert.equal(om.headers['content-type'], 'application/openmetrics-text; version=1.0.0; charset=utf-8');
  assert.match(om.body, /# EOF\n$/);
  const head = await get(`${url}/metrics`, {}, 'HEAD');
  assert.equal(head.status, 200);
  assert.equal(head.body, '');
});

test('/health is the original document; 503 with reasons when a collector is unhealthy', async (t) => {
  const healthy = await start({});
  t.after(() => healthy.app.stop());
  const ok = await get(`${healthy.url}/health`);
  assert.equal(ok.status, 200);
  assert.deepEqual(JSON.parse(ok.body), { status: 'ok', collectors: { zombie: 'healthy' } });

  const broken = await start({
    COLLECTORS_ZOMBIE_PROC_PATH: '/nonexistent/proc',
    SERVER_HEALTH_PATH: '/healthz',
  });
  t.after(() => broken.app.stop());
  const bad = await get(`${broken.url}/healthz`);
  assert.equal(bad.status, 503);
  const report = JSON.parse(bad.body);
  assert.equal(report.status, 'unhealthy');
  assert.equal(report.collectors.zombie, 'unhealthy');
  assert.match(report.errors.zombie, /procPath "\/nonexistent\/proc"/);
  // Liveness and readiness do not follow probe targets: a bad target must not restart the pod.
  assert.equal((await get(`${broken.url}/livez`)).status, 200);
  assert.equal((await get(`${broken.url}/readyz`)).status, 200);
});

test('unknown paths are 404 and other methods 405', async (t) => {
  const { app, url } = await start({ SERVER_METRICS_PATH: '/custom/metrics' });
  t.after(() => app.stop());
  assert.equal((await get(`${url}/metrics`)).status, 404);
  assert.equal((await get(`${url}/custom/metrics`)).status, 200);
  const post = await get(`${url}/custom/metrics`, {}, 'POST');
  assert.equal(post.status, 405);
  assert.equal(post.headers.allow, 'GET, HEAD');
});

test('the debug server follows reloads, lists collectors and never shows a secret', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'ssm-debug-'));
  const file = join(dir, 'config.yaml');
  const yaml = (enabled: boolean) =>
    `debugServer:\n  enabled: ${enabled}\n  address: "127.0.0.1:0"\notlp:\n  enabled: false\n  headers:\n    authorization: "Bearer planted-t0ken"\n  endpoint: "https://user:planted-pw@gw.example:4317"\n`;
  await writeFile(file, yaml(true));
  const { app, logs } = await start({}, file);
  t.after(() => app.stop());
  const address = app.loopbackAddress('debugServer');
  assert.ok(address, 'debug server running');
  assert.equal(address.address, '127.0.0.1');
  const page = await get(`http://127.0.0.1:${address.port}/`);
  assert.equal(page.status, 200);
  assert.match(page.body, /<td>zombie<\/td><td>healthy<\/td>/);
  const state = await get(`http://127.0.0.1:${address.port}/state.json`);
  assert.equal(JSON.parse(state.body).collectors[0].name, 'zombie');
  assert.equal((await get(`http://127.0.0.1:${address.port}/metrics`)).status, 200);
  for (const body of [page.body, state.body, logs.lines.join('')]) {
    assert.ok(!body.includes('planted-t0ken') && !body.includes('planted-pw'), 'a planted secret leaked');
  }
  await writeFile(file, yaml(false));
  await eventually(
    async () => (app.loopbackAddress('debugServer') === undefined ? true : undefined),
    5000,
    'debug server stopped',
  );
});

test('the profiling server takes a CPU profile and a heap snapshot on loopback', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'ssm-pprof-'));
  const file = join(dir, 'config.yaml');
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  await writeFile(file, `pprof:\n  enabled: true\n  port: ${port}\n`);
  const { app } = await start({}, file);
  t.after(() => app.stop());
  assert.equal(app.loopbackAddress('pprof')?.port, port);
  const profile = await get(`http://127.0.0.1:${port}/debug/pprof/profile?seconds=0.2`);
  assert.equal(profile.status, 200);
  const parsed = JSON.parse(profile.body) as { nodes: unknown[]; startTime: number; endTime: number };
  assert.ok(parsed.nodes.length > 0 && parsed.endTime > parsed.startTime);
  assert.equal((await get(`http://127.0.0.1:${port}/debug/pprof/profile?seconds=-1`)).status, 400);
  const heap = await get(`http://127.0.0.1:${port}/debug/pprof/heap`);
  assert.equal(heap.status, 200);
  assert.ok((JSON.parse(heap.body) as { snapshot: unknown }).snapshot, 'a V8 heap snapshot');
});

test("a scrape is cut with a 503 at the scraper's timeout header, and the next one is whole", async (t) => {
  const { app, url } = await start({});
  t.after(() => app.stop());
  const slow = {
    name: 'test_slow_objects',
    kind: 'gauge',
    unit: '{object}',
    help: 'A metric whose walk takes about 1.5 s.',
    labels: ['name'],
  } as const;
  const items = Array.from({ length: 3000 }, (_, i) => i);
  app.runtime.current.pipeline.sink.observeEach(
    slow,
    () => items,
    (i, observe) => {
      const until = performance.now() + 0.5;
      while (performance.now() < until) {} // a slow source
      observe(i, { name: `object-${i}` });
    },
  );
  // The walk needs about 1.5 s; a 503 means it was cut at the budget rather than finished.
  const cut = await get(`${url}/metrics`, { 'x-prometheus-scrape-timeout-seconds': '0.5' });
  assert.equal(cut.status, 503);
  assert.match(cut.body, /did not finish within 450 ms/);

  const whole = await get(`${url}/metrics`, { 'x-prometheus-scrape-timeout-seconds': '10' });
  assert.equal(whole.status, 200);
  assert.equal(whole.headers['transfer-encoding'], 'chunked');
  assert.equal(whole.body.match(/^sealos_test_slow_objects\{/gm)?.length, 3000);
  assert.match(whole.body, /^sealos_zombie_processes\{/m);
});
