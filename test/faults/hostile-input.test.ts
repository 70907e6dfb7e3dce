/**
 * Hostile input found by trying to break the running collector (issue: eleven defects), one test
 * per defect. Each failed on the code before its fix.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, truncate, writeFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { App } from '../../lib/app.js';
import { buildConfig, ConfigError, loadConfig, MAX_CONFIG_BYTES, parseYaml } from '../../lib/config/load.js';
import { LineSplitter, WatchEventTooLarge } from '../../lib/kube/client.js';
import { scrapeBudgetMs } from '../../lib/server/routes.js';
import { harnessLogs } from '../support/app.js';
import { eventually, get } from '../support/http.js';
import { TestApiServer } from '../support/kube/api-server.js';
import { readyNode } from '../support/kube/cluster.js';

const fixtureProc = fileURLToPath(new URL('../../instruments/zombie/testdata/proc', import.meta.url));

async function start(env: Record<string, string> = {}, idleSocketMs?: number) {
  const logs = harnessLogs();
  const app = await App.start({
    env: { SERVER_ADDRESS: '127.0.0.1:0', COLLECTORS_ZOMBIE_PROC_PATH: fixtureProc, ...env },
    logs,
    reloadDebounceMs: 100,
    ...(idleSocketMs ? { idleSocketMs } : {}),
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

function problemsOf(yaml: string, env: Record<string, string> = {}): string[] {
  try {
    buildConfig(parseYaml(yaml, 'config.yaml'), env);
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return [...error.problems];
  }
  assert.fail(`accepted: ${yaml}`);
}

test('10. bad input is reported, not ignored: __proto__ keys, ${env:} with no name, a header without =, a wrong-typed section under an override', () => {
  assert.deepEqual(problemsOf('__proto__:\n  polluted: true\n'), ['__proto__: unknown key']);
  assert.deepEqual(problemsOf('{"collectors": {"zombie": {"__proto__": {"x": 1}}}}'), [
    'collectors.zombie.__proto__: unknown key',
  ]);
  assert.equal(({} as Record<string, unknown>).polluted, undefined, 'no prototype was touched');
  assert.deepEqual(problemsOf('otlp:\n  endpoint: "${env:}"\n'), [
    'otlp.endpoint: "${env:}" does not name an environment variable',
  ]);
  assert.match(
    problemsOf('otlp:\n  endpoint: "${env:1BAD}"\n')[0] ?? '',
    /does not name an environment variable/,
  );
  for (const name of ['OTLP_HEADERS', 'OTEL_EXPORTER_OTLP_HEADERS', 'OTEL_EXPORTER_OTLP_METRICS_HEADERS']) {
    const [problem] = problemsOf('{}', { [name]: 'x-tenant=a,Bearer-SuperSecretToken' });
    assert.match(problem ?? '', new RegExp(`otlp\\.headers: must be key=value pairs.*from env ${name}`));
    assert.ok(!problem?.includes('SuperSecretToken'), problem);
  }
  assert.deepEqual(problemsOf('server: "yes"\n', { SERVER_ADDRESS: '127.0.0.1:0' }), [
    'server: must be a mapping (got "yes"); env SERVER_ADDRESS sets server.address inside it',
  ]);
});

test('11. clear messages: a config nested too deep names its file; an infinite number shows as itself', () => {
  const deep = `${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)}`;
  assert.deepEqual(problemsOf(deep), ['config.yaml: nests deeper than 64 levels']);
  assert.match(
    problemsOf(`${'['.repeat(50_000)}${']'.repeat(50_000)}`)[0] ?? '',
    /^config\.yaml:1:\d+: nests deeper than 64 levels$/,
  );
  assert.match(problemsOf('kubernetes:\n  qps: 1e309\n')[0] ?? '', /^kubernetes\.qps: .*\(got Infinity\)$/);
});

/** The node instrument against a test API server, with `kubernetes` settings added; stopped with the test. */
async function nodeApp(
  t: { after(fn: () => Promise<void>): void },
  kubernetesYaml = '',
  serverOptions: Parameters<typeof TestApiServer.start>[0] = {},
) {
  const server = await TestApiServer.start(serverOptions);
  server.create('nodes', readyNode('node-a'));
  const dir = await mkdtemp(join(tmpdir(), 'ssm-hostile-'));
  const file = join(dir, 'config.yaml');
  await writeFile(
    file,
    `server:\n  address: "127.0.0.1:0"\nenabledCollectors: [node]\nleaderElection:\n  enabled: false\n${kubernetesYaml}collectors:\n  node:\n    ignoreNewNodeDuration: 0s\n`,
  );
  const logs = harnessLogs();
  const app = await App.start({
    file,
    env: { KUBECONFIG: server.kubeconfigPath },
    logs,
    reloadDebounceMs: 100,
  });
  t.after(async () => {
    await app.stop();
    await server.stop();
  });
  return { server, logs, base: `http://127.0.0.1:${app.server.address().port}` };
}

test('11. watch events and list items without metadata are skipped with a warning, not a TypeError', async (t) => {
  const { server, logs, base } = await nodeApp(t);
  const url = `${base}/metrics`;
  await eventually(
    async () => ((await get(url)).body.includes('node="node-a"') ? true : undefined),
    5000,
    'node series',
  );
  assert.ok(server.openWatches > 0);
  for (const line of [
    '{"type":"ADDED","object":{"kind":"Node"}}\n',
    '{"type":"MODIFIED","object":{"metadata":{"name":7}}}\n',
    '{"type":"ADDED","object":null}\n',
    '{"type":"SURPRISE","object":{"metadata":{"name":"x"}}}\n',
  ])
    server.writeToWatches('nodes', line);
  // The watch goes on: a real change after the garbage still arrives.
  server.create('nodes', readyNode('node-b'));
  await eventually(
    async () => ((await get(url)).body.includes('node="node-b"') ? true : undefined),
    5000,
    'node-b',
  );
  const lines = logs.lines.join('\n');
  assert.match(lines, /watch event without metadata\.name skipped/);
  assert.match(lines, /watch event of an unknown type skipped/);
  assert.doesNotMatch(lines, /TypeError/);
});

test('6. a value from ${env:...} is never printed in a config error: the variable is named instead', () => {
  const secret = 'SuperSecretToken-4f9a';
  const cases: [string, RegExp][] = [
    ['otlp:\n  endpoint: "${env:TOKEN}"\n', /^otlp\.endpoint: .*\(got "\$\{env:TOKEN\}"\)$/],
    [
      'collectors:\n  domain:\n    domains: [{endpoint: "https://${env:TOKEN}/path"}]\n',
      /^collectors\.domain\.domains\.0\.endpoint: .*\(got "https:\/\/\$\{env:TOKEN\}\/path"\)$/,
    ],
    ['collectors:\n  zombie:\n    checkInterval: "${env:TOKEN}"\n', /\$\{env:TOKEN\}/],
  ];
  for (const [yaml, expected] of cases) {
    const problems = problemsOf(yaml, { TOKEN: secret });
    assert.ok(!problems.join('\n').includes(secret), problems.join('\n'));
    assert.match(problems[0] ?? '', expected);
  }
});

test('2. durations a timer cannot wait are refused with the field named, at start and by check-config', async () => {
  assert.match(
    problemsOf('collectors:\n  zombie:\n    checkInterval: 1000h\n')[0] ?? '',
    /^collectors\.zombie\.checkInterval: must be at most 596h31m23\.647s .*\(got "1000h"\)$/,
  );
  assert.match(
    problemsOf('kubernetes:\n  requestTimeout: 1000h\n')[0] ?? '',
    /^kubernetes\.requestTimeout: must be at most/,
  );
  const checked = await checkConfig('collectors:\n  zombie:\n    checkInterval: 1000h\n');
  assert.equal(checked.status, 1);
  assert.match(checked.output, /collectors\.zombie\.checkInterval: must be at most/);
  // The longest accepted works at its value: a timeout derived from it stays within a timer's range.
  assert.doesNotThrow(() =>
    buildConfig(parseYaml('collectors:\n  domain:\n    checkTimeout: 596h\n', 'c.yaml'), {}),
  );
});

test('7. a config file is a regular file of at most 32 MiB: /dev/zero, a pipe and a huge file are refused at once', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ssm-hostile-'));
  const refused = async (file: string) => {
    const started = performance.now();
    try {
      await loadConfig({ file, env: {} });
    } catch (error) {
      assert.ok(error instanceof ConfigError, String(error));
      assert.ok(performance.now() - started < 2000, `${file}: refused at once`);
      return error.message;
    }
    assert.fail(`${file}: accepted`);
  };
  assert.match(await refused('/dev/zero'), /^\/dev\/zero: not a regular file/);
  const fifo = join(dir, 'pipe.yaml');
  spawnSync('mkfifo', [fifo]);
  assert.match(await refused(fifo), /pipe\.yaml: not a regular file/);
  const huge = join(dir, 'huge.yaml');
  await writeFile(huge, '');
  await truncate(huge, MAX_CONFIG_BYTES + 1);
  assert.match(
    await refused(huge),
    /huge\.yaml: 33554433 bytes, more than the 32 MiB a config file may have/,
  );
  // What fits is read.
  const small = join(dir, 'ok.yaml');
  await writeFile(small, 'enabledCollectors: [zombie]\n');
  assert.deepEqual((await loadConfig({ file: small, env: {} })).config.enabledCollectors, ['zombie']);
});

/** A raw connection that sends `request` (if any), reads its first bytes, then stops reading. */
function rawClient(port: number, request?: string) {
  const socket: Socket = connect(port, '127.0.0.1');
  let received = 0;
  socket.on('error', () => {});
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  socket.on('connect', () => {
    if (request) socket.write(request);
  });
  let reading = false;
  socket.on('data', (chunk) => {
    received += chunk.length;
    if (!reading) socket.pause();
  });
  return {
    closed,
    /** Reads on until the connection ends: the bytes it got in all. */
    drain: () => {
      reading = true;
      socket.resume();
      return closed.then(() => received);
    },
  };
}

test('4 and idle sockets: a connection that never sends a byte, or stops reading its scrape, is closed', async (t) => {
  const { app } = await start({}, 1000);
  t.after(() => app.stop());
  // An exposition larger than the socket buffers on the way, so a reader that stops holds it up.
  const big = {
    name: 'test_big_objects',
    kind: 'gauge',
    unit: '{object}',
    help: 'Many series.',
    labels: ['name'],
  } as const;
  const items = Array.from({ length: 150_000 }, (_, i) => i);
  app.runtime.current.pipeline.sink.observeEach(
    big,
    () => items,
    (i, observe) => observe(i, { name: `object-${i}-${'x'.repeat(60)}` }),
  );
  const port = app.server.address().port;
  const whole = await get(`http://127.0.0.1:${port}/metrics`);
  assert.equal(whole.status, 200);
  assert.equal(whole.body.match(/^sealos_test_big_objects\{/gm)?.length, 150_000);
  const size = Buffer.byteLength(whole.body);

  const silent = Array.from({ length: 10 }, () => rawClient(port));
  const stalled = Array.from({ length: 10 }, () =>
    rawClient(port, 'GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'),
  );
  const outcome = await Promise.race([
    Promise.all(silent.map((client) => client.closed)).then(() => 'closed'),
    new Promise((resolve) => setTimeout(() => resolve('still open'), 8000)),
  ]);
  assert.equal(outcome, 'closed', 'connections that never sent a byte were closed');
  // The stalled readers were given up on: reading on now, each gets less than the exposition.
  await new Promise((resolve) => setTimeout(resolve, 2500));
  for (const got of await Promise.all(stalled.map((client) => client.drain())))
    assert.ok(got < size, `a stalled reader got ${got} of ${size} bytes: the server dropped it`);
  // A scraper that reads is served whole after them.
  const after = await get(`http://127.0.0.1:${port}/metrics`);
  assert.equal(after.body.match(/^sealos_test_big_objects\{/gm)?.length, 150_000);
});

test('5. watch lines are split in one pass per chunk, and a line past the cap is refused', () => {
  const splitter = new LineSplitter(32);
  const out = (chunk: string) => [...splitter.push(Buffer.from(chunk))].map((line) => line.toString());
  assert.deepEqual(out('{"a":1}\n{"b"'), ['{"a":1}']);
  assert.deepEqual(out(':2}'), []);
  assert.deepEqual(out('\n\n{"c":"é'), ['{"b":2}', '']);
  assert.deepEqual(out('"}\n'), ['{"c":"é"}']);
  // A line that never ends is cut at the cap, however it arrives.
  const capped = new LineSplitter(32);
  assert.throws(() => {
    for (let i = 0; i < 10; i += 1) [...capped.push(Buffer.from('x'.repeat(5)))];
  }, WatchEventTooLarge);
  assert.throws(() => [...new LineSplitter(32).push(Buffer.from(`${'y'.repeat(40)}\n`))], WatchEventTooLarge);
});

test('5. a watch event without end is dropped and relisted; a trickle does not keep a dead watch open', async (t) => {
  // Bookmarks (whole events) rarer than the idle timeout, so only the trickle could keep a watch open.
  const { server, logs, base } = await nodeApp(t, 'kubernetes:\n  watchIdleTimeout: 1500ms\n', {
    bookmarkIntervalMs: 60_000,
  });
  await eventually(
    async () => ((await get(`${base}/metrics`)).body.includes('node="node-a"') ? true : undefined),
    5000,
    'node series',
  );
  const lists = () =>
    server.requests.filter((r) => r.startsWith('GET /api/v1/nodes') && !r.includes('watch=true')).length;
  const listsBefore = lists();
  // 20 MiB of one event that never ends, in 1 MiB writes; /livez keeps answering meanwhile.
  const slice = `{"type":"ADDED","object":{"metadata":{"name":"${'z'.repeat(1024 * 1024)}`;
  for (let i = 0; i < 20; i += 1) {
    server.writeToWatches('nodes', slice);
    assert.equal((await get(`${base}/livez`)).status, 200);
  }
  await eventually(
    async () => (lists() > listsBefore ? true : undefined),
    5000,
    'relisted after the oversized event',
  );
  assert.match(logs.lines.join('\n'), /watch event passed 16777216 bytes without ending/);
  // The watch is open again and brings changes.
  server.create('nodes', readyNode('node-b'));
  await eventually(
    async () => ((await get(`${base}/metrics`)).body.includes('node="node-b"') ? true : undefined),
    5000,
    'node-b',
  );

  // A trickle of bytes that never make an event: the watch counts as silent and is reopened.
  const watchesBefore = server.requests.filter(
    (r) => r.startsWith('GET /api/v1/nodes') && r.includes('watch=true'),
  ).length;
  const trickle = setInterval(() => server.writeToWatches('nodes', ' '), 200);
  t.after(() => clearInterval(trickle));
  await eventually(
    async () =>
      server.requests.filter((r) => r.startsWith('GET /api/v1/nodes') && r.includes('watch=true')).length >
      watchesBefore
        ? true
        : undefined,
    6000,
    'the trickling watch was reopened',
  );
  clearInterval(trickle);
});
