/**
 * Informer benchmark: initial sync time and memory for 1.5k / 6k / 30k realistic pods served by
 * the test API server (in this process), each sync measured in a fresh child process, with the
 * whole object kept and with the pod instrument's transform.
 */

import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { TestApiServer } from '../test/support/kube/api-server.js';
import { realisticPod } from './world-objects.js';

const run = promisify(execFile);
const child = fileURLToPath(new URL('./informer-sync.ts', import.meta.url));
const sizes = (process.env.BENCH_PODS ?? '1500,6000,30000').split(',').map(Number);

console.log(
  `node ${process.version}; pods as a Deployment's pods look (about ${JSON.stringify(realisticPod(1)).length} bytes of JSON each)`,
);
console.log('pods     cache   sync s   retained MiB   MiB per 10k pods   RSS MiB');
for (const size of sizes) {
  const server = await TestApiServer.start();
  for (let i = 0; i < size; i++) server.create('pods', realisticPod(i));
  for (const mode of ['raw', 'lean']) {
    // Asynchronously: this process serves the API the child lists.
    const { stdout: result } = await run(process.execPath, [
      '--expose-gc',
      '--import',
      'tsx',
      child,
      server.kubeconfigPath,
      mode,
    ]);
    const r = JSON.parse(result.trim().split('\n').at(-1) as string) as {
      pods: number;
      syncMs: number;
      retainedMiB: number;
      rssMiB: number;
    };
    console.log(
      `${String(r.pods).padStart(6)}   ${mode.padEnd(5)} ${(r.syncMs / 1000).toFixed(2).padStart(8)} ${r.retainedMiB.toFixed(1).padStart(14)} ${((r.retainedMiB * 10_000) / r.pods).toFixed(1).padStart(18)} ${r.rssMiB.toFixed(0).padStart(9)}`,
    );
  }
  await server.stop();
}
console.log(
  'raw: the whole Pod object cached; lean: the pod instrument transform (name, namespace, restart counts).',
);
