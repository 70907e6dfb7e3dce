/**
 * The production build, as the Dockerfile runs it but outside Docker (no engine here): compile
 * with tsconfig.build.json, run the compiled CLI with plain node (no tsx), and check that the
 * compiled code needs only `dependencies` (what `npm ci --omit=dev` keeps).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { copyFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { get } from './support/http.js';

const root = fileURLToPath(new URL('..', import.meta.url));
// Inside the checkout, so the compiled code resolves node_modules as it does in the image.
const outDir = join(root, '.build-test');

async function jsFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile() && e.name.endsWith('.js')).map((e) => join(e.parentPath, e.name));
}

test('the compiled build runs with plain node and needs production dependencies only', async (t) => {
  await rm(outDir, { recursive: true, force: true });
  t.after(() => rm(outDir, { recursive: true, force: true }));
  const tsc = spawnSync(
    join(root, 'node_modules/.bin/tsc'),
    ['-p', 'tsconfig.build.json', '--outDir', outDir],
    {
      cwd: root,
      encoding: 'utf8',
    },
  );
  assert.equal(tsc.status, 0, tsc.stdout + tsc.stderr);

  const files = await jsFiles(outDir);
  assert.ok(files.some((file) => file.endsWith(join('cli', 'main.js'))));
  assert.ok(!files.some((file) => file.includes('.test.')), 'tests are not shipped');
  const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
  };
  const needed = new Set<string>();
  for (const file of files) {
    const source = await readFile(file, 'utf8');
    for (const [, specifier] of source.matchAll(
      /\bfrom\s+['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/g,
    )) {
      if (!specifier || specifier.startsWith('.') || specifier.startsWith('node:')) continue;
      const name = specifier.startsWith('@')
        ? specifier.split('/').slice(0, 2).join('/')
        : (specifier.split('/')[0] as string);
      if (!builtinModules.includes(name)) needed.add(name);
    }
  }
  assert.ok(needed.size > 5, `imports were found (${[...needed].join(', ')})`);
  const missing = [...needed].filter((name) => !(name in pkg.dependencies));
  assert.deepEqual(missing, [], 'imported by the build but not a production dependency');

  // Serve for real from the compiled code, and only with what the config uses loaded.
  const plain = await serveCompiled(t, {});
  const metrics = await get(`http://127.0.0.1:${plain.port}/metrics`);
  assert.equal(metrics.status, 200);
  assert.match(metrics.body, /sealos_zombie_processes/);
  const loaded = await plain.stop();
  assert.ok(loaded.has('@opentelemetry/sdk-metrics'), `the record of loaded packages works: ${[...loaded]}`);
  for (const unused of [
    '@kubernetes/client-node',
    '@grpc/grpc-js',
    'pg',
    'mysql2',
    'mongodb',
    'ioredis',
    'pino-pretty',
  ]) {
    assert.ok(!loaded.has(unused), `${unused} loaded, though this config does not use it`);
  }
  // OTLP on: the gRPC exporter loads.
  const pushing = await serveCompiled(t, { OTLP_ENABLED: 'true', OTLP_ENDPOINT: 'http://127.0.0.1:9' });
  assert.ok((await pushing.stop()).has('@grpc/grpc-js'));
});

/**
 * The compiled CLI serving on a free port with `env`; `stop()` ends it with SIGTERM (exit 0
 * asserted) and gives the npm packages it loaded, recorded by a module hook.
 */
async function serveCompiled(t: { after(fn: () => unknown): void }, env: Record<string, string>) {
  const record = join(outDir, `loaded-${Math.random().toString(36).slice(2)}.txt`);
  const hook = join(outDir, 'record-loads.mjs');
  await writeFile(
    hook,
    `import { registerHooks } from 'node:module';
import { writeFileSync } from 'node:fs';
const packages = new Set();
registerHooks({ load(url, context, next) {
  const match = /node_modules\\/((?:@[^/]+\\/)?[^/]+)/.exec(url);
  if (match) packages.add(match[1]);
  return next(url, context);
} });
process.on('exit', () => writeFileSync(process.env.SSM_LOADED_RECORD, [...packages].join('\\n')));
`,
  );
  const child = spawn(
    process.execPath,
    ['--import', hook, join(outDir, 'cli/main.js'), 'run', '--address', '127.0.0.1:0'],
    {
      cwd: root,
      env: {
        ...process.env,
        COLLECTORS_ZOMBIE_PROC_PATH: join(root, 'instruments/zombie/testdata/proc'),
        SSM_LOADED_RECORD: record,
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  t.after(() => child.kill('SIGKILL'));
  let stderr = '';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not serving within 20 s:\n${stderr}`)), 20_000);
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const match = /"port":(\d+).*"msg":"serving metrics"/.exec(stderr);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
  });
  return {
    port,
    stop: async () => {
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      assert.equal(await exited, 0, stderr);
      return new Set((await readFile(record, 'utf8')).split('\n').filter(Boolean));
    },
  };
}

test("the image's entry point sizes V8's heap from the memory limit the chart hands over", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'ssm-entrypoint-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  // The entry point next to a main.js that reports what V8 was given, as in the image's /app/cli.
  await copyFile(join(root, 'cli/entrypoint.sh'), join(dir, 'entrypoint.sh'));
  await writeFile(
    join(dir, 'main.js'),
    "const v8 = require('node:v8'); console.log(JSON.stringify({ argv: process.argv.slice(2), execArgv: process.execArgv, limit: v8.getHeapStatistics().heap_size_limit }));",
  );
  const run = (env: Record<string, string>, args: string[] = ['run']) =>
    spawnSync('sh', [join(dir, 'entrypoint.sh'), ...args], {
      encoding: 'utf8',
      env: { PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}`, ...env },
    });
  const mib = 2 ** 20;

  const pod = run({ SSM_MEMORY_LIMIT_MIB: '256', SSM_NODE_FLAGS: '--optimize-for-size' });
  assert.equal(pod.status, 0, pod.stderr);
  const sized = JSON.parse(pod.stdout) as { argv: string[]; execArgv: string[]; limit: number };
  assert.deepEqual(sized.argv, ['run'], 'arguments reach cli/main.js');
  assert.deepEqual(sized.execArgv, [
    '--max-old-space-size=160',
    '--max-semi-space-size=2',
    '--optimize-for-size',
  ]);
  // Old generation plus young generation: below the 256 MiB limit, where V8 alone gives 256+.
  assert.ok(sized.limit > 160 * mib && sized.limit < 200 * mib, `heap limit ${sized.limit / mib} MiB`);

  const unsized = JSON.parse(run({}).stdout) as { execArgv: string[]; limit: number };
  assert.deepEqual(unsized.execArgv, [], 'no limit handed over: V8 sizes the heap itself');
  assert.ok(unsized.limit > 256 * mib);

  const large = run({ SSM_MEMORY_LIMIT_MIB: '1024' }, ['node-flags']);
  assert.equal(
    large.stdout.trim(),
    '--max-old-space-size=736 --max-semi-space-size=8 --initial-old-space-size=184',
  );
  const tiny = run({ SSM_MEMORY_LIMIT_MIB: '64' }, ['node-flags']);
  assert.equal(tiny.stdout.trim(), '--max-old-space-size=48 --max-semi-space-size=1');
  // No limit on the container: the Downward API gives the node's allocatable memory.
  const node = run({ SSM_MEMORY_LIMIT_MIB: '257000' }, ['node-flags']);
  assert.equal(
    node.stdout.trim(),
    '--max-old-space-size=4096 --max-semi-space-size=16 --initial-old-space-size=1024',
  );

  for (const bad of ['256Mi', '0', '-1', '1e3']) {
    const refused = run({ SSM_MEMORY_LIMIT_MIB: bad });
    assert.equal(refused.status, 2, bad);
    assert.equal(refused.stdout, '');
    assert.match(refused.stderr, new RegExp(`^SSM_MEMORY_LIMIT_MIB "${bad}": not a whole number of MiB`));
  }
});
