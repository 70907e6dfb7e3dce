/**
 * The crds instrument over the API server named by the kubeconfig: five metrics per object
 * (info, two gauges, string_state, conditions) plus a count; sync time, five scrapes, memory.
 */
import { crdsConfig } from '../instruments/crds/config.js';
import { crds } from '../instruments/crds/crds.js';
import { harness } from '../test/support/harness.js';
import { benchCluster, requireGc } from './bench-cluster.js';

const [kubeconfig = ''] = process.argv.slice(2);
const gc = requireGc();
const cluster = await benchCluster(kubeconfig);
const hub = cluster.hub;
const h = harness('sealos', cluster);
const config = crdsConfig.parse({
  crds: [
    {
      name: 'applications',
      gvr: { group: 'apps.example.com', version: 'v1', resource: 'applications' },
      commonLabels: { namespace: 'metadata.namespace', name: 'metadata.name' },
      metrics: [
        {
          type: 'info',
          name: 'application_info',
          labels: { team: 'metadata.labels.team', version: 'spec.version' },
        },
        { type: 'gauge', name: 'application_replicas', path: 'spec.replicas' },
        { type: 'gauge', name: 'application_cpu_cores', path: 'spec.resources.cpu' },
        { type: 'string_state', name: 'application_phase', path: 'status.phase' },
        { type: 'conditions', name: 'application_condition', path: 'status.conditions' },
        { type: 'count', name: 'application_count', path: 'status.phase', valueLabel: 'phase' },
      ],
    },
  ],
});
gc();
const heapBefore = process.memoryUsage().heapUsed;
const started = performance.now();
const instrument = crds.create(h.context('crds'), config);
await instrument.start();
await instrument.ready?.();
const syncMs = performance.now() - started;
const times: number[] = [];
let bytes = 0;
for (let i = 0; i < 5; i += 1) {
  const t = performance.now();
  bytes = (await h.scrape()).length;
  times.push(performance.now() - t);
}
gc();
const usage = process.memoryUsage();
const lines = (await h.scrape()).split('\n');
const series = lines.filter((line) => line.startsWith('sealos_application')).length;
const infoSeries = lines.filter((line) => line.startsWith('sealos_application_info{')).length;
times.sort((a, b) => a - b);
process.stdout.write(
  `${JSON.stringify({
    objects: infoSeries,
    series,
    syncMs: Math.round(syncMs),
    scrapeMedianMs: Math.round(times[2] as number),
    scrapeMaxMs: Math.round(times[4] as number),
    bytes,
    retainedMiB: Math.round((usage.heapUsed - heapBefore) / 2 ** 20),
    rssMiB: Math.round(usage.rss / 2 ** 20),
  })}\n`,
);
await instrument.stop();
await hub.stop();
