/**
 * The OpenTelemetry Collector for real (test/peers: the Collector's own modules, with the
 * components otel-examples/ use): `otelcol validate` on every example; our OTLP push through the
 * gateway example out of its Prometheus exporter; the sidecar example's Prometheus receiver
 * scraping us and forwarding OTLP. Each compared with our own /metrics, series by series.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { App } from '../../lib/app.js';
import { harnessLogs } from '../support/app.js';
import { type ParsedSample, parseSamples } from '../support/exposition-parse.js';
import { eventually, get } from '../support/http.js';
import { OtlpReceiver, type ReceivedExport } from '../support/otlp-receiver.js';
import { freePorts, startProcess, stopProcess, waitFor } from '../support/peer-process.js';
import { peerPath } from '../support/peers.js';

const examples = fileURLToPath(new URL('../../otel-examples/', import.meta.url));
const fixtureProc = fileURLToPath(new URL('../../instruments/zombie/testdata/proc', import.meta.url));
let dir = '';

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ssm-otelcol-'));
});
after(() => rm(dir, { recursive: true, force: true }));

/**
 * `otelcol validate` checks that the sidecar's credentials_file exists: it does in the pod (the
 * ServiceAccount token), not here. A copy of each example points it at a stand-in file.
 */
async function asInThePod(file: string): Promise<string> {
  const config = parse(await readFile(file, 'utf8'));
  const token = join(dir, 'serviceaccount-token');
  await writeFile(token, 'stand-in');
  let changed = false;
  for (const scrape of config.receivers?.prometheus?.config?.scrape_configs ?? []) {
    if (scrape.authorization?.credentials_file === '/var/run/secrets/kubernetes.io/serviceaccount/token') {
      scrape.authorization.credentials_file = token;
      changed = true;
    }
  }
  if (!changed) return file;
  const copy = join(dir, `in-pod-${file.split('/').at(-2)}.yaml`);
  await writeFile(copy, stringify(config));
  return copy;
}

function validate(file: string): { ok: boolean; output: string } {
  const result = spawnSync(peerPath('otelcol'), ['validate', `--config=${file}`], { encoding: 'utf8' });
  return { ok: result.status === 0, output: `${result.stdout}${result.stderr}` };
}

async function collectorYamls(): Promise<string[]> {
  const found: string[] = [];
  for (const layout of await readdir(examples, { withFileTypes: true })) {
    if (layout.isDirectory()) found.push(join(examples, layout.name, 'collector.yaml'));
  }
  return found.sort();
}

test('otelcol validate passes every collector config in otel-examples/, and refuses a broken one', async () => {
  const files = await collectorYamls();
  assert.ok(files.length >= 2, files.join(' '));
  for (const file of files) {
    const { ok, output } = validate(await asInThePod(file));
    assert.ok(ok, `${file}: ${output}`);
  }
  // The same check refuses what a typo makes of an example.
  const broken = parse(await readFile(files[0] ?? '', 'utf8'));
  broken.service.pipelines.metrics.exporters = ['prometheusremotewrite'];
  const brokenFile = join(dir, 'broken.yaml');
  await writeFile(brokenFile, stringify(broken));
  const refused = validate(brokenFile);
  assert.equal(refused.ok, false);
  assert.match(refused.output, /prometheusremotewrite/);
});

/** An example config with its listen and send addresses moved to loopback ports of this test. */
async function exampleFor(
  layout: 'gateway' | 'sidecar',
  // biome-ignore lint/suspicious/noExplicitAny: the parsed example, changed by known keys
  change: (config: any) => void,
): Promise<string> {
  const config = parse(await readFile(join(examples, layout, 'collector.yaml'), 'utf8'));
  change(config);
  // The Collector's own telemetry would take :8888 in every test run.
  config.service.telemetry = { metrics: { level: 'none' } };
  const file = join(dir, `${layout}.yaml`);
  await writeFile(file, stringify(config));
  const { ok, output } = validate(file);
  assert.ok(ok, output);
  return file;
}

async function startCollector(file: string, name: string, ready: () => Promise<boolean>) {
  const child = startProcess(dir, name, peerPath('otelcol'), [`--config=${file}`]);
  after(() => stopProcess(child));
  await waitFor(dir, name, child, 30_000, ready);
  return child;
}

async function startApp(extraEnv: Record<string, string>): Promise<{ app: App; metricsUrl: string }> {
  const app = await App.start({
    env: {
      SERVER_ADDRESS: '127.0.0.1:0',
      ENABLED_COLLECTORS: 'zombie',
      COLLECTORS_ZOMBIE_PROC_PATH: fixtureProc,
      POD_NAME: 'ssm-0',
      POD_NAMESPACE: 'monitoring',
      NODE_NAME: 'node-a',
      ...extraEnv,
    },
    logs: harnessLogs(),
  });
  after(() => app.stop());
  return { app, metricsUrl: `http://127.0.0.1:${app.server.address().port}/metrics` };
}

/** name{sorted labels} -> value, leaving out the labels named in `without`. */
function series(samples: readonly ParsedSample[], without: readonly string[] = []): Map<string, number> {
  const map = new Map<string, number>();
  for (const sample of samples) {
    const labels = sample.labels
      .filter(([name, value]) => !without.includes(name) && value !== '')
      .map(([name, value]) => `${name}=${JSON.stringify(value)}`)
      .sort()
      .join(',');
    map.set(`${sample.name}{${labels}}`, sample.value);
  }
  return map;
}

/** Our series that hold still between two reads: the instruments' own, and the self-metrics' counts. */
const STABLE = /^sealos_zombie_|^state_metric_collector_success\{/;

for (const protocol of ['grpc', 'http/protobuf'] as const) {
  test(`push: our OTLP over ${protocol} through the gateway example and out of its Prometheus exporter are the same series as /metrics`, async () => {
    const [grpcPort, httpPort, exporterPort] = await freePorts(3);
    const file = await exampleFor('gateway', (config) => {
      config.receivers.otlp.protocols.grpc.endpoint = `127.0.0.1:${grpcPort}`;
      config.receivers.otlp.protocols.http.endpoint = `127.0.0.1:${httpPort}`;
      config.exporters.prometheus.endpoint = `127.0.0.1:${exporterPort}`;
    });
    const exporterUrl = `http://127.0.0.1:${exporterPort}/metrics`;
    const name = `otelcol-gateway-${protocol.replace('/', '-')}`;
    await startCollector(file, name, async () => (await get(exporterUrl)).status === 200);
    const { metricsUrl } = await startApp({
      OTLP_ENABLED: 'true',
      OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${protocol === 'grpc' ? grpcPort : httpPort}`,
      OTLP_INTERVAL: '1s',
    });
    const through = await eventually(
      async () => {
        const body = (await get(exporterUrl)).body;
        return body.includes('sealos_zombie_') && body.includes('state_metric_collector_success')
          ? parseSamples(body)
          : undefined;
      },
      20_000,
      'our series out of the Collector',
    ).catch(async (error: Error) => {
      const log = await readFile(join(dir, `${name}.log`), 'utf8').catch(() => '');
      throw new Error(`${error.message}\n${(await get(exporterUrl)).body}\n${log.slice(-3000)}`);
    });
    // Where the two legitimately differ: the exporter names every series' source, job from
    // service.name and instance from service.instance.id (the value our self-metrics' own
    // `instance` label has, which OTLP carries on the resource), and adds the instrumentation
    // scope as otel_scope_name (version and schema URL empty). The rest is ours, unchanged.
    for (const sample of through) {
      if (sample.name === 'target_info') continue;
      const labels = Object.fromEntries(sample.labels);
      assert.deepEqual([labels.job, labels.instance], ['sealos-state-metrics', 'node-a'], sample.name);
      assert.equal(labels.otel_scope_name, 'sealos-state-metrics', sample.name);
    }
    const added = ['job', 'instance', 'otel_scope_name', 'otel_scope_version', 'otel_scope_schema_url'];
    const theirs = series(
      through.filter((sample) => sample.name !== 'target_info'),
      added,
    );
    const ours = series(parseSamples((await get(metricsUrl)).body), ['instance']);
    const missing = [...ours.keys()].filter((key) => !theirs.has(key));
    const extra = [...theirs.keys()].filter((key) => !ours.has(key));
    assert.deepEqual({ missing, extra }, { missing: [], extra: [] });
    for (const [key, value] of ours) {
      if (STABLE.test(key)) assert.equal(theirs.get(key), value, key);
    }
    // The resource's other attributes come out as target_info.
    const info = Object.fromEntries(through.find((sample) => sample.name === 'target_info')?.labels ?? []);
    assert.equal(info.k8s_pod_name, 'ssm-0');
  });
}

test('sidecar: the example scrapes our /metrics and forwards the same series over OTLP', async () => {
  const { metricsUrl } = await startApp({});
  const receiver = await OtlpReceiver.start();
  after(() => receiver.stop());
  const target = new URL(metricsUrl).host;
  const file = await exampleFor('sidecar', (config) => {
    const scrape = config.receivers.prometheus.config.scrape_configs[0];
    scrape.static_configs[0].targets = [target];
    scrape.scrape_interval = '1s';
    scrape.scrape_timeout = '1s';
    // /metrics auth needs a cluster to review tokens; test/real/instruments.test.ts covers it.
    delete scrape.authorization;
    config.exporters.otlp.endpoint = `127.0.0.1:${receiver.port}`;
    config.processors.batch.timeout = '200ms';
  });
  await startCollector(file, 'otelcol-sidecar', async () => receiver.exports.length > 0);
  const zombieSeen = (batch: ReceivedExport) =>
    batch.points.some((point) => point.metric.startsWith('sealos_zombie_'));
  await receiver.waitFor(zombieSeen, 20_000);
  // One scrape's points may arrive as several resources (below): take every export from a scrape
  // after this moment.
  const from = receiver.exports.length;
  await receiver.waitFor((batch) => receiver.exports.indexOf(batch) >= from && zombieSeen(batch), 20_000);
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const ours = series(parseSamples((await get(metricsUrl)).body));
  // The receiver's own series about the scrape, not ours.
  const scrapeSeries = /^(up|scrape_[a-z_]+)$/;
  const theirs = new Map<string, number>();
  for (const batch of receiver.exports.slice(from)) {
    // Under honor_labels our own `instance` label (on the self-metrics) wins over the target's,
    // and the receiver turns job and instance into the resource: it comes back as the resource's
    // service.instance.id, and a Prometheus exporter further on writes it as `instance` again.
    const instance = batch.resource['service.instance.id'];
    assert.equal(batch.resource['service.name'], 'sealos-state-metrics');
    for (const point of batch.points) {
      if (scrapeSeries.test(point.metric)) continue;
      const counter = point.kind === 'sum' && point.monotonic && !point.metric.endsWith('_total');
      const name = counter ? `${point.metric}_total` : point.metric;
      const attributes = { ...point.attributes, ...(instance && instance !== target ? { instance } : {}) };
      const labels = Object.entries(attributes)
        .filter(([, value]) => value !== '')
        .map(([label, value]) => `${label}=${JSON.stringify(value)}`)
        .sort()
        .join(',');
      theirs.set(`${name}{${labels}}`, point.value);
    }
  }
  // The scrape's own resource names the target as the receiver does.
  assert.ok(receiver.exports.slice(from).some((batch) => batch.resource['service.instance.id'] === target));
  const missing = [...ours.keys()].filter((key) => !theirs.has(key));
  const added = [...theirs.keys()].filter((key) => !ours.has(key));
  assert.deepEqual({ missing, added }, { missing: [], added: [] });
  for (const [key, value] of ours) {
    if (STABLE.test(key)) assert.equal(theirs.get(key), value, key);
  }
});
