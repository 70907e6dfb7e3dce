/**
 * The OTel Collector examples agree with our own settings (ports, paths, labels). That they are
 * valid Collector configs, and work, is checked by the real Collector: test/real/collector.test.ts.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { parse } from 'yaml';
import { loadConfig } from '../lib/config/load.js';
import { configSchema } from '../lib/config/schema.js';
import { otlpTargetUrl } from '../lib/telemetry/otlp-target.js';

const root = new URL('../otel-examples/', import.meta.url);

// biome-ignore lint/suspicious/noExplicitAny: parsed YAML walked by known keys; the assertions check its shape
type Yaml = any;

async function yamlOf(path: string): Promise<Yaml> {
  return parse(await readFile(new URL(path, root), 'utf8'), { strict: true, uniqueKeys: true });
}

test('sidecar: the collector scrapes our default port and path; the patch mounts its config', async () => {
  const collector = await yamlOf('sidecar/collector.yaml');
  const defaults = configSchema.parse({});
  const scrape = collector.receivers.prometheus.config.scrape_configs[0];
  const port = defaults.server.address.split(':').at(-1);
  assert.deepEqual(scrape.static_configs[0].targets, [`127.0.0.1:${port}`]);
  assert.equal(scrape.metrics_path, defaults.server.metricsPath);
  // honor_labels keeps our namespace/pod labels from being renamed exported_*.
  assert.equal(scrape.honor_labels, true);

  const patch = await yamlOf('sidecar/deployment-patch.yaml');
  const container = patch.spec.template.spec.containers[0];
  const mount = container.volumeMounts[0];
  assert.equal(container.args[0], `--config=${mount.mountPath}/collector.yaml`);
  assert.equal(patch.spec.template.spec.volumes[0].name, mount.name);
});

test('push: the gateway collector listens where our example settings send, and those settings load', async () => {
  const collector = await yamlOf('gateway/collector.yaml');
  const listen = collector.receivers.otlp.protocols.grpc.endpoint as string;
  const { config } = await loadConfig({
    file: new URL('gateway/sealos-state-metrics.yaml', root).pathname,
    env: {},
  });
  assert.equal(config.otlp.enabled, true);
  assert.equal(config.otlp.protocol, 'grpc');
  assert.equal(new URL(config.otlp.endpoint).port, listen.split(':').at(-1));
  // The example's other choice, http/protobuf, sends to OTLP/HTTP's default port: the gateway
  // listens there too.
  const httpDefault = otlpTargetUrl({ protocol: 'http/protobuf', endpoint: '', metricsEndpoint: '' });
  assert.equal(
    (collector.receivers.otlp.protocols.http.endpoint as string).split(':').at(-1),
    new URL(httpDefault).port,
  );
});
