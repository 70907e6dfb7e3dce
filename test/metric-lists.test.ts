/**
 * kube-state-metrics' metric allow and deny lists and the per-metric switches
 * (`collectors.<instrument>.metrics.<metric>.enabled`) end to end: what they leave out is in
 * neither /metrics nor the OTLP push, the self-metrics stay, and the `metrics` command says which
 * metrics a config exposes.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { App } from '../lib/app.js';
import { harnessLogs } from './support/app.js';
import { get } from './support/http.js';
import { OtlpReceiver } from './support/otlp-receiver.js';

const fixtureProc = fileURLToPath(new URL('../instruments/zombie/testdata/proc', import.meta.url));

for (const [variable, pattern] of [
  ['METRICS_DENYLIST', 'zombie'],
  ['METRICS_ALLOWLIST', '^sealos_lvm_'],
  // The Collector-style switch of one metric.
  ['COLLECTORS_ZOMBIE_METRICS_ZOMBIE_PROCESSES_ENABLED', 'false'],
] as const) {
  test(`${variable}=${pattern}: the zombie metric is in neither export; the self-metrics are in both`, async (t) => {
    const receiver = await OtlpReceiver.start();
    const app = await App.start({
      env: {
        SERVER_ADDRESS: '127.0.0.1:0',
        ENABLED_COLLECTORS: 'zombie',
        COLLECTORS_ZOMBIE_PROC_PATH: fixtureProc,
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${receiver.port}`,
        OTEL_METRIC_EXPORT_INTERVAL: '3600000',
        [variable]: pattern,
      },
      logs: harnessLogs(),
    });
    t.after(() => receiver.stop());
    const body = (await get(`http://127.0.0.1:${app.server.address().port}/metrics`)).body;
    await app.stop();
    assert.doesNotMatch(body, /sealos_zombie_processes/);
    assert.match(body, /^state_metric_collector_success\{collector="zombie",instance="[^"]+"\} 1$/m);
    const pushed = new Set(
      receiver.exports.flatMap((received) => received.points.map((point) => point.metric)),
    );
    assert.ok(pushed.has('state_metric_collector_success'), [...pushed].join(' '));
    assert.ok(!pushed.has('sealos_zombie_processes'), [...pushed].join(' '));
  });
}
