/**
 * crds benchmark: 30k custom objects (BENCH_CRD_OBJECTS) served by the test API server in this
 * process; the instrument runs in a child process (bench/crds-scrape.ts) with five metrics per
 * object, so its memory is measured alone. Prints sync time, scrape time and RSS as JSON.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { TestApiServer } from '../test/support/kube/api-server.js';

const run = promisify(execFile);
const count = Number(process.env.BENCH_CRD_OBJECTS ?? '30000');
const server = await TestApiServer.start();
server.registerType({
  group: 'apps.example.com',
  version: 'v1',
  resource: 'applications',
  kind: 'Application',
  namespaced: true,
});
for (let i = 0; i < count; i += 1) {
  server.create(
    'applications',
    {
      metadata: {
        name: `app-${i}`,
        namespace: `ns-user${i % 300}`,
        labels: { team: `team-${i % 20}`, 'app.kubernetes.io/name': `app-${i % 500}` },
        annotations: {
          'kubectl.kubernetes.io/last-applied-configuration': '{"spec":{"replicas":1}}'.repeat(8),
        },
      },
      spec: { version: `v1.${i % 7}.0`, replicas: 1 + (i % 3), resources: { cpu: '500m', memory: '1Gi' } },
      status: {
        phase: i % 10 === 0 ? 'Pending' : 'Running',
        readyReplicas: i % 3,
        conditions: [
          {
            type: 'Ready',
            status: i % 10 === 0 ? 'False' : 'True',
            reason: 'Reconciled',
            lastTransitionTime: '2026-11-25T00:00:00Z',
          },
          {
            type: 'Progressing',
            status: 'False',
            reason: 'Done',
            lastTransitionTime: '2026-11-25T00:00:00Z',
          },
        ],
      },
    },
    'apps.example.com',
  );
}
try {
  const child = fileURLToPath(new URL('./crds-scrape.ts', import.meta.url));
  const { stdout } = await run(
    process.execPath,
    ['--expose-gc', '--import', 'tsx', child, server.kubeconfigPath],
    {
      maxBuffer: 1 << 20,
    },
  );
  process.stdout.write(stdout);
} finally {
  await server.stop();
}
