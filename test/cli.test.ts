/**
 * End to end: the CLI as a child process, exactly as `npm start` runs it.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { catalogMarkdown, metricCatalog } from '../lib/telemetry/catalog.js';
import { get } from './support/http.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = ['--import', 'tsx', join(root, 'cli/main.ts')];
const fixtureProc = join(root, 'instruments/zombie/testdata/proc');

function runSync(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [...cli, ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });
}

/** Starts the CLI and resolves with its port once it logs that it serves. */
async function startCli(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [...cli, ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no "serving metrics" line within 20 s:\n${stderr}`)),
      20_000,
    );
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const match = /"port":(\d+).*"msg":"serving metrics"/.exec(stderr);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    child.once('exit', (code) => reject(new Error(`exited ${code} before serving:\n${stderr}`)));
  });
  return { child, port, stderr: () => stderr };
}

function exitOf(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

test('with no config file it serves zombie and self metrics at once, and SIGTERM exits 0', async () => {
  const started = Date.now();
  const { child, port } = await startCli(['--address', '127.0.0.1:0'], {
    COLLECTORS_ZOMBIE_PROC_PATH: fixtureProc,
  });
  const metrics = await get(`http://127.0.0.1:${port}/metrics`);
  const startupSeconds = (Date.now() - started) / 1000;
  assert.ok(startupSeconds < 15, `took ${startupSeconds} s`);
  assert.match(metrics.body, /^sealos_zombie_processes\{.*container_id="3f4e5d6c7b8a"\} 3$/m);
  assert.match(metrics.body, /^state_metric_collector_success\{collector="zombie",instance="[^"]+"\} 1$/m);
  const families = metrics.body.match(/^# TYPE (\S+)/gm)?.map((line) => line.slice(7)) ?? [];
  const declared = new Set(metricCatalog().map((entry) => entry.name));
  for (const family of families) assert.ok(declared.has(family), `${family} is not declared`);
  assert.deepEqual(JSON.parse((await get(`http://127.0.0.1:${port}/health`)).body), {
    status: 'ok',
    collectors: { zombie: 'healthy' },
  });
  const exited = exitOf(child);
  child.kill('SIGTERM');
  assert.equal(await exited, 0);
});

test('a config file is read, and reloaded live (SIGHUP reloads at once)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ssm-cli-'));
  const file = join(dir, 'config.yaml');
  await writeFile(file, `logging:\n  format: text\ncollectors:\n  zombie:\n    procPath: ${fixtureProc}\n`);
  const { child, port, stderr } = await startCli([
    '--config',
    file,
    '--address',
    '127.0.0.1:0',
    '--log-format',
    'json',
  ]);
  const exited = exitOf(child);
  try {
    await writeFile(
      file,
      `metrics:\n  namespace: hup\ncollectors:\n  zombie:\n    procPath: ${fixtureProc}\n`,
    );
    child.kill('SIGHUP');
    let body = '';
    for (let i = 0; i < 50 && !body.includes('hup_zombie_processes'); i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      body = (await get(`http://127.0.0.1:${port}/metrics`)).body;
    }
    assert.match(body, /^hup_zombie_processes\{/m, stderr());
  } finally {
    child.kill('SIGTERM');
  }
  assert.equal(await exited, 0);
});

test('a bad config at start exits 1 with one clear line', () => {
  const dir = spawnSync('mktemp', ['-d'], { encoding: 'utf8' }).stdout.trim();
  const file = join(dir, 'bad.yaml');
  spawnSync('sh', ['-c', `printf 'collectors:\\n  zombie:\\n    checkInterval: often\\n' > ${file}`]);
  const result = runSync(['--config', file, '--address', '127.0.0.1:0']);
  assert.equal(result.status, 1);
  const lines = result.stderr.trim().split('\n');
  assert.equal(lines.length, 1, result.stderr);
  assert.match(
    lines[0] ?? '',
    /^sealos-state-metrics: cannot start: collectors\.zombie\.checkInterval: "often" is not a duration/,
  );
});

test('a port in use is a clear start error', async () => {
  const { child, port } = await startCli(['--address', '127.0.0.1:0'], {
    COLLECTORS_ZOMBIE_PROC_PATH: fixtureProc,
  });
  try {
    const result = runSync(['--address', `127.0.0.1:${port}`]);
    assert.equal(result.status, 1);
    assert.match(
      result.stderr,
      new RegExp(`cannot start: server\\.address "127\\.0\\.0\\.1:${port}": .*EADDRINUSE`),
    );
  } finally {
    child.kill('SIGTERM');
    await exitOf(child);
  }
});

test('check-config validates a file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ssm-check-'));
  await writeFile(join(dir, 'good.yaml'), 'enabledCollectors: [zombie]\n');
  await writeFile(join(dir, 'bad.yaml'), 'enabledCollectors: [zombie, nope]\nserver:\n  adress: ":1"\n');
  const good = runSync(['check-config', join(dir, 'good.yaml')]);
  assert.equal(good.status, 0, good.stderr);
  assert.match(good.stdout, /good\.yaml: ok \(collectors: zombie; hash [0-9a-f]{12}\)/);
  const bad = runSync(['check-config', join(dir, 'bad.yaml')]);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /^server\.adress: unknown key$/m);
  assert.match(bad.stderr, /^enabledCollectors\.1: unknown collector "nope"/m);
});

test('metrics lists every declared metric, as JSON and as the README table', () => {
  const json = runSync(['metrics', '--format', 'json', '--namespace', 'acme']);
  assert.equal(json.status, 0, json.stderr);
  assert.deepEqual(
    JSON.parse(json.stdout),
    JSON.parse(JSON.stringify(metricCatalog('acme').map((entry) => ({ ...entry, enabled: true })))),
  );
  const md = runSync(['metrics', '--format', 'md']);
  assert.equal(md.stdout, `${catalogMarkdown(metricCatalog())}\n`);
});

test('metrics shows what the metric lists and switches expose: flags, environment, and a refused pattern', () => {
  const enabledOf = (args: string[], env: Record<string, string> = {}) => {
    const result = runSync(['metrics', '--format', 'json', ...args], env);
    assert.equal(result.status, 0, result.stderr);
    const entries = JSON.parse(result.stdout) as { name: string; enabled: boolean }[];
    return new Map(entries.map((entry) => [entry.name, entry.enabled]));
  };
  const denied = enabledOf(['--metric-denylist', '_lvm_,zombie']);
  assert.equal(denied.get('sealos_zombie_processes'), false);
  assert.equal(denied.get('sealos_lvm_vg_free_bytes'), false);
  assert.equal(denied.get('sealos_node_healthy'), true);
  assert.equal(denied.get('state_metric_collector_success'), true, 'the self-metrics are not listed');
  const allowed = enabledOf([], { METRICS_ALLOWLIST: '^sealos_node_healthy$' });
  assert.deepEqual(
    [...allowed]
      .filter(([name, enabled]) => enabled && !name.startsWith('state_metric_'))
      .map(([name]) => name),
    ['sealos_node_healthy'],
  );
  const text = runSync(['metrics', '--metric-denylist', 'zombie']);
  assert.match(text.stdout, /^sealos_zombie_processes .* \(disabled by metrics\.allowlist\/denylist\)$/m);
  const switched = runSync(['metrics'], { COLLECTORS_ZOMBIE_METRICS_ZOMBIE_PROCESSES_ENABLED: 'false' });
  assert.match(
    switched.stdout,
    /^sealos_zombie_processes .* \(disabled by collectors\.zombie\.metrics\.zombie_processes\.enabled\)$/m,
  );
  assert.doesNotMatch(switched.stdout, /^sealos_lvm_vg_free_bytes .*disabled/m);
  const both = runSync(['metrics', '--metric-allowlist', 'a', '--metric-denylist', 'b']);
  assert.equal(both.status, 1);
  assert.match(both.stderr, /metrics: allowlist and denylist are mutually exclusive/);
});

test('metrics --config lists the metrics the config defines: a Custom Resource State document', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ssm-cli-crs-'));
  const document = join(dir, 'crs.yaml');
  await writeFile(
    document,
    'kind: CustomResourceStateMetrics\nspec:\n  resources:\n    - groupVersionKind: {group: myteam.io, version: v1, kind: Foo}\n      metrics:\n        - name: uptime\n          help: Foo uptime\n          each: {type: Gauge, gauge: {path: [status, uptime]}}\n',
  );
  const listed = (args: string[]) => {
    const result = runSync(['metrics', '--format', 'json', ...args]);
    assert.equal(result.status, 0, result.stderr);
    return (
      JSON.parse(result.stdout) as { name: string; source: string; enabled: boolean; disabledBy?: string }[]
    ).find((entry) => entry.name === 'kube_customresource_uptime');
  };
  const config = join(dir, 'config.yaml');
  await writeFile(
    config,
    `enabledCollectors: [crds]\ncollectors:\n  crds:\n    customResourceStateConfigFile: ${document}\n`,
  );
  assert.deepEqual(
    { ...listed(['--config', config]) },
    {
      name: 'kube_customresource_uptime',
      type: 'gauge',
      unit: '{value}',
      labels: [],
      help: 'Foo uptime',
      source: 'crds (configured)',
      enabled: true,
    },
  );
  assert.equal(
    listed(['--config', config, '--metric-denylist', 'uptime'])?.disabledBy,
    'metrics.allowlist/denylist',
  );
  await writeFile(
    join(dir, 'off.yaml'),
    `collectors:\n  crds:\n    customResourceStateConfigFile: ${document}\n`,
  );
  assert.equal(listed(['--config', join(dir, 'off.yaml')])?.disabledBy, 'enabledCollectors');
});

test('--help shows commands and examples; unknown flags are errors', () => {
  const help = runSync(['--help']);
  assert.equal(help.status, 0);
  for (const word of ['check-config', 'metrics', '--config', '--otlp-endpoint', 'Examples:']) {
    assert.ok(help.stdout.includes(word), `${word} missing from --help`);
  }
  const unknown = runSync(['--no-such-flag']);
  assert.notEqual(unknown.status, 0);
});

test('SIGTERM while starting (at its first log line) still ends cleanly with 0', async () => {
  const child = spawn(process.execPath, [...cli, '--address', '127.0.0.1:0'], {
    cwd: root,
    env: { ...process.env, COLLECTORS_ZOMBIE_PROC_PATH: fixtureProc },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = exitOf(child);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    if (stderr === '') child.kill('SIGTERM');
    stderr += chunk.toString();
  });
  assert.equal(await exited, 0, stderr);
  assert.match(stderr, /"msg":"shutting down"/);
});
