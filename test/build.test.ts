/**
 * The production build, as the Dockerfile runs it but outside Docker (no engine here): compile
 * with tsconfig.build.json, run the compiled CLI with plain node (no tsx), and check that the
 * compiled code needs only `dependencies` (what `npm ci --omit=dev` keeps).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readdir, readFile, rm } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
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

  // Serve for real from the compiled code.
  const child = spawn(process.execPath, [join(outDir, 'cli/main.js'), 'run', '--address', '127.0.0.1:0'], {
    cwd: root,
    env: { ...process.env, COLLECTORS_ZOMBIE_PROC_PATH: join(root, 'instruments/zombie/testdata/proc') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
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
  const metrics = await get(`http://127.0.0.1:${port}/metrics`);
  assert.equal(metrics.status, 200);
  assert.match(metrics.body, /sealos_zombie_processes/);
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  assert.equal(await exited, 0);
});
