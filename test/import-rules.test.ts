/**
 * The module boundaries of DESIGN.md, checked on the source: instruments reach lib/ only through
 * the modules meant for them and never each other; lib/ reaches instruments only through
 * instruments/index.ts; only cli/ touches process.argv and process.exit; instruments read no
 * environment.
 */
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/** lib/ modules an instrument may import: the contract and machinery meant for instruments. */
const INSTRUMENT_API = new Set([
  'lib/instrument.ts',
  'lib/poller.ts',
  'lib/config/duration.ts',
  'lib/config/entries.ts',
  'lib/config/named-file.ts',
  'lib/config/redact.ts',
  // Probe machinery shared by the probe instruments (domain, registryproxy).
  'lib/probe/config.ts',
  'lib/probe/fanout.ts',
  'lib/probe/http-probe.ts',
  'lib/probe/probe-error.ts',
  'lib/probe/resolve.ts',
]);

async function sources(dir: string): Promise<string[]> {
  const entries = await readdir(join(root, dir), { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => relative(root, join(e.parentPath, e.name)))
    .filter((path) => !path.includes('testdata'));
}

async function importsOf(file: string): Promise<string[]> {
  const text = await readFile(join(root, file), 'utf8');
  const specifiers = [...text.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s+'([^']+)'/g)].map(
    (m) => m[1] as string,
  );
  return specifiers
    .filter((s) => s.startsWith('.'))
    .map((s) => relative(root, resolve(dirname(join(root, file)), s)).replace(/\.js$/, '.ts'));
}

const isTest = (file: string) => file.endsWith('.test.ts');

test('instruments import only the instrument API from lib/, and no other instrument', async () => {
  const violations: string[] = [];
  for (const file of await sources('instruments')) {
    if (file === 'instruments/index.ts') continue;
    const own = file.split('/')[1];
    for (const target of await importsOf(file)) {
      if (target.startsWith(`instruments/${own}/`)) continue;
      if (isTest(file) && target.startsWith('test/support/')) continue;
      if (target.startsWith('lib/') && INSTRUMENT_API.has(target)) continue;
      violations.push(`${file} -> ${target}`);
    }
  }
  assert.deepEqual(violations, []);
});

test('lib/ reaches instruments only through instruments/index.ts', async () => {
  const violations: string[] = [];
  for (const file of await sources('lib')) {
    for (const target of await importsOf(file)) {
      if (target.startsWith('instruments/') && target !== 'instruments/index.ts')
        violations.push(`${file} -> ${target}`);
      if (target.startsWith('cli/')) violations.push(`${file} -> ${target}`);
    }
  }
  assert.deepEqual(violations, []);
});

test('only cli/ reads process.argv or exits; instruments read no environment; no console in library code', async () => {
  const violations: string[] = [];
  for (const file of [...(await sources('lib')), ...(await sources('instruments'))]) {
    if (isTest(file)) continue;
    const text = await readFile(join(root, file), 'utf8');
    if (/process\.argv|process\.exit\(/.test(text)) violations.push(`${file}: process.argv/exit`);
    if (/console\./.test(text)) violations.push(`${file}: console`);
    if (file.startsWith('instruments/') && /process\.env/.test(text)) violations.push(`${file}: process.env`);
  }
  assert.deepEqual(violations, []);
});

test('the checker sees imports at all (guards against a regex that matches nothing)', async () => {
  assert.ok((await importsOf('instruments/zombie/zombie.ts')).includes('lib/poller.ts'));
  assert.ok((await importsOf('lib/generation.ts')).includes('instruments/index.ts'));
});
