/**
 * OTLP push against a real gRPC receiver: the same points as /metrics, the resource attributes
 * from identity, headers as gRPC metadata, and a last export on shutdown.
 */
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { App } from '../lib/app.js';
import { harnessLogs } from './support/app.js';
import { localhostPair } from './support/certificates.js';
import { get } from './support/http.js';
import { OtlpHttpReceiver } from './support/otlp-http-receiver.js';
import { OtlpReceiver, type ReceivedExport } from './support/otlp-receiver.js';

const fixtureProc = fileURLToPath(new URL('../instruments/zombie/testdata/proc', import.meta.url));

function env(receiverPort: number, extra: Record<string, string> = {}) {
  return {
    SERVER_ADDRESS: '127.0.0.1:0',
    COLLECTORS_ZOMBIE_PROC_PATH: fixtureProc,
    COLLECTORS_ZOMBIE_CHECK_INTERVAL: '1h',
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${receiverPort}`,
    OTEL_EXPORTER_OTLP_HEADERS: 'x-tenant=team-a',
    POD_NAME: 'ssm-7d9f',
    POD_NAMESPACE: 'monitoring',
    NODE_NAME: 'node-a',
    ...extra,
  };
}

/** `name{k="v",...} value` lines from an OTLP export, in Prometheus spelling for comparison. */
function asSamples(received: ReceivedExport): string[] {
  return received.points
    .map((p) => {
      const name = p.kind === 'sum' && p.monotonic ? `${p.metric}_total` : p.metric;
      const labels = Object.entries(p.attributes)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([k, v]) => `${k}="${v}"`)
        .join(',');
      return `${name}${labels ? `{${labels}}` : ''} ${p.value}`;
    })
    .sort();
}

/** /metrics lines with labels sorted by name, to compare with OTLP attributes (which have no order). */
function scrapedSamples(body: string): string[] {
  return body
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const match = /^([^{ ]+)(?:\{(.*)\})? (.+)$/.exec(line);
      assert.ok(match, line);
      const labels = (match[2] ?? '')
        .split(/,(?=[a-z_]+=")/)
        .filter((pair) => pair !== '' && !pair.endsWith('=""'))
        .sort()
        .join(',');
      return `${match[1]}${labels ? `{${labels}}` : ''} ${Number(match[3])}`;
    })
    .sort();
}

/** A receiver of either protocol, and what makes the app push to it. */
const PROTOCOLS = [
  {
    protocol: 'grpc',
    start: async () => {
      const receiver = await OtlpReceiver.start();
      return { receiver, env: {}, paths: () => [] as string[] };
    },
  },
  {
    protocol: 'http/protobuf',
    start: async () => {
      const receiver = await OtlpHttpReceiver.start();
      // A base endpoint with a path of its own: v1/metrics goes below it.
      const env = {
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
        OTEL_EXPORTER_OTLP_ENDPOINT: `${receiver.origin}/otlp/`,
      };
      return { receiver, env, paths: () => receiver.requests.map((request) => request.path) };
    },
  },
] as const;

for (const { protocol, start } of PROTOCOLS) {
  test(`OTLP over ${protocol} receives the same points /metrics shows, with resource attributes and headers`, async (t) => {
    const { receiver, env: protocolEnv, paths } = await start();
    const app = await App.start({
      env: env(receiver.port, { OTEL_METRIC_EXPORT_INTERVAL: '500', ...protocolEnv }),
      logs: harnessLogs(),
    }).catch(async (error: unknown) => {
      await receiver.stop();
      throw error;
    });
    // The app's last export at stop still finds the receiver up.
    t.after(async () => {
      await app.stop();
      await receiver.stop();
    });
    // Wait for the first zombie scan so both readers see the same, settled state.
    const metricsUrl = `http://127.0.0.1:${app.server.address().port}/metrics`;
    let scraped = '';
    for (let i = 0; i < 50 && !scraped.includes('sealos_zombie_processes'); i++) {
      scraped = (await get(metricsUrl)).body;
      if (!scraped.includes('sealos_zombie_processes')) await new Promise((r) => setTimeout(r, 50));
    }
    const received = await receiver.waitFor((e) =>
      e.points.some((p) => p.metric === 'sealos_zombie_processes'),
    );
    scraped = (await get(metricsUrl)).body;
    // OTLP drops empty-string attributes nowhere, Prometheus treats them as absent: compare without them.
    // The self-metrics' `instance` is the resource's service.instance.id in OTLP, not a point
    // attribute (a Collector's Prometheus exporter writes it back as `instance`).
    const onResource = new Set([
      'state_metric_collector_duration_seconds',
      'state_metric_collector_success',
      'state_metric_collector_last_collection_timestamp',
    ]);
    const otlp = asSamples({
      ...received,
      points: received.points.map((p) => {
        assert.ok(!('instance' in p.attributes), `${p.metric} carries no instance attribute of its own`);
        return {
          ...p,
          attributes: {
            ...Object.fromEntries(Object.entries(p.attributes).filter(([, v]) => v !== '')),
            ...(onResource.has(p.metric) ? { instance: received.resource['service.instance.id'] ?? '' } : {}),
          },
        };
      }),
    });
    // The export counter moves with every export, so it differs between the two by design.
    const settled = (lines: string[]) =>
      lines.filter((line) => !line.startsWith('state_metric_otlp_exports'));
    assert.deepEqual(settled(otlp), settled(scrapedSamples(scraped)));
    assert.match(scraped, /^state_metric_otlp_exports_total\{result="success"\} [1-9]/m);
    assert.ok(
      otlp.some((line) =>
        line.startsWith('sealos_zombie_processes{container_id="3f4e5d6c7b8a",node="node-a"} 3'),
      ),
    );

    assert.equal(received.resource['service.name'], 'sealos-state-metrics');
    // The identity, in the original's order: the node name before the pod name.
    assert.equal(received.resource['service.instance.id'], 'node-a');
    assert.equal(received.resource['k8s.pod.name'], 'ssm-7d9f');
    assert.equal(received.resource['k8s.namespace.name'], 'monitoring');
    assert.equal(received.resource['k8s.node.name'], 'node-a');
    assert.equal(received.metadata['x-tenant'], 'team-a');
    const units = Object.fromEntries(received.points.map((p) => [p.metric, p.unit]));
    assert.equal(units.state_metric_collector_duration_seconds, 's');
    assert.equal(units.sealos_zombie_processes, '{process}');
    if (protocol === 'http/protobuf') assert.deepEqual(new Set(paths()), new Set(['/otlp/v1/metrics']));
  });
}

test('OTLP over HTTP: the metrics endpoint is used as it is', async (t) => {
  const receiver = await OtlpHttpReceiver.start();
  t.after(() => receiver.stop());
  const app = await App.start({
    env: env(receiver.port, {
      OTEL_METRIC_EXPORT_INTERVAL: '3600000',
      OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'http/protobuf',
      OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: `${receiver.origin}/custom/metrics`,
    }),
    logs: harnessLogs(),
  });
  await app.stop();
  await receiver.waitFor(() => true, 2000);
  assert.deepEqual(
    receiver.requests.map((request) => [request.path, request.headers['x-tenant']]),
    [['/custom/metrics', 'team-a']],
  );
});

test('OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES shape the resource', async (t) => {
  const receiver = await OtlpReceiver.start();
  t.after(() => receiver.stop());
  const app = await App.start({
    env: env(receiver.port, {
      OTEL_METRIC_EXPORT_INTERVAL: '300',
      OTEL_SERVICE_NAME: 'state-metrics-eu',
      OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=prod,k8s.cluster.name=eu-1',
    }),
    logs: harnessLogs(),
  });
  t.after(() => app.stop());
  const received = await receiver.waitFor(() => true);
  assert.equal(received.resource['service.name'], 'state-metrics-eu');
  assert.equal(received.resource['deployment.environment'], 'prod');
  assert.equal(received.resource['k8s.cluster.name'], 'eu-1');
});

test('stopping flushes a last export even when the interval has not come round', async (t) => {
  const receiver = await OtlpReceiver.start();
  t.after(() => receiver.stop());
  const app = await App.start({
    env: env(receiver.port, { OTEL_METRIC_EXPORT_INTERVAL: '3600000' }),
    logs: harnessLogs(),
  });
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.equal(receiver.exports.length, 0);
  await app.stop();
  const received = await receiver.waitFor(() => true, 2000);
  assert.ok(received.points.some((p) => p.metric === 'state_metric_config_hash'));
});

test('an unreachable OTLP endpoint does not disturb the pull path', async (t) => {
  const app = await App.start({
    env: { ...env(1, { OTEL_METRIC_EXPORT_INTERVAL: '200', OTEL_EXPORTER_OTLP_TIMEOUT: '200' }) },
    logs: harnessLogs(),
  });
  t.after(() => app.stop());
  await new Promise((resolve) => setTimeout(resolve, 700));
  const response = await get(`http://127.0.0.1:${app.server.address().port}/metrics`);
  assert.equal(response.status, 200);
  assert.match(response.body, /state_metric_config_hash/);
});

test('TLS push trusts the configured CA (OTEL_EXPORTER_OTLP_CERTIFICATE) and no other', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'ssm-otlp-tls-'));
  const pems = await localhostPair('localhost');
  await writeFile(join(dir, 'ca.crt'), pems.cert);
  const receiver = await OtlpReceiver.start({ tls: pems });
  t.after(() => receiver.stop());
  const tlsEnv = (extra: Record<string, string>) =>
    env(receiver.port, {
      OTEL_EXPORTER_OTLP_ENDPOINT: `https://localhost:${receiver.port}`,
      OTEL_METRIC_EXPORT_INTERVAL: '200',
      ...extra,
    });

  const untrusting = await App.start({ env: tlsEnv({}), logs: harnessLogs() });
  await new Promise((resolve) => setTimeout(resolve, 800));
  await untrusting.stop();
  assert.equal(receiver.exports.length, 0, 'an untrusted server certificate was accepted');

  const trusting = await App.start({
    env: tlsEnv({ OTEL_EXPORTER_OTLP_CERTIFICATE: join(dir, 'ca.crt') }),
    logs: harnessLogs(),
  });
  t.after(() => trusting.stop());
  const received = await receiver.waitFor((e) =>
    e.points.some((p) => p.metric === 'state_metric_config_hash'),
  );
  assert.equal(received.resource['service.instance.id'], 'node-a');
});

test('an unreadable OTLP CA file is a start error naming the field', async () => {
  await assert.rejects(
    App.start({
      env: env(1, {
        OTEL_EXPORTER_OTLP_ENDPOINT: 'https://localhost:1',
        OTEL_EXPORTER_OTLP_CERTIFICATE: '/nonexistent/ca.crt',
      }),
      logs: harnessLogs(),
    }),
    /otlp\.caFile "\/nonexistent\/ca\.crt": cannot read: ENOENT/,
  );
});
