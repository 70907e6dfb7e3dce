/**
 * `npm run docs`: rewrites the generated blocks of every README (lib/docs/readmes.ts) from the
 * declarations and the schema. A development step, run from the repository's root.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { readmeBlocks, regenerate } from '../lib/docs/readmes.js';

for (const blocks of readmeBlocks()) {
  const readme = await readFile(blocks.file, 'utf8');
  const next = regenerate(readme, blocks);
  if (next !== readme) {
    await writeFile(blocks.file, next);
    process.stdout.write(`updated ${blocks.file}\n`);
  }
}
