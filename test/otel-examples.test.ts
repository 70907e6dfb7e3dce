/**
 * The OTel Collector examples: YAML syntax, pipelines that name only defined components (the
 * check `otelcol validate` makes first), and agreement with our own settings.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { parse } from 'yaml';
import { loadConfig } from '../lib/config/load.js';
import { configSchema } from '../lib/config/schema.js';

const root = new URL('../otel-examples/', import.meta.url);

// biome-ignore lint/suspicious/noExplicitAny: parsed YAML walked by known keys; the assertions check its shape
type Yaml = any;

async function yamlOf(path: string): Promise<Yaml> {
  return parse(await readFile(new URL(path, root), 'utf8'), { strict: true, uniqueKeys: true });
}

/** What `otelcol validate` refuses first: pipelines naming undefined components, and unused ones. */
function pipelineProblems(collector: Yaml): string[] {
  const problems: string[] = [];
  const used = new Set<string>();
  for (const [name, pipeline] of Object.entries<Record<string, string[]>>(
    collector.service?.pipelines ?? {},
  )) {
    for (const kind of ['receivers', 'processors', 'exporters'] as const) {
      for (const component of pipeline[kind] ?? []) {
        used.add(`${kind}/${component}`);
        if (!(component in (collector[kind] ?? {})))
          problems.push(`pipeline ${name} names undefined ${kind} "${component}"`);
      }
    }
    if (!pipeline.receivers?.length || !pipeline.exporters?.length)
      problems.push(`pipeline ${name} needs receivers and exporters`);
  }
  for (const kind of ['receivers', 'processors', 'exporters'] as const) {
    for (const component of Object.keys(collector[kind] ?? {})) {
      if (!used.has(`${kind}/${component}`))
        problems.push(`${kind} "${component}" is defined but in no pipeline`);
    }
  }
  return problems;
}

test('the checker sees an undefined and an unused component', () => {
  assert.deepEqual(
    pipelineProblems({
      receivers: { otlp: {} },
      exporters: { debug: {} },
      service: { pipelines: { metrics: { receivers: ['otlp'], exporters: ['prometheus'] } } },
    }),
    [
      'pipeline metrics names undefined exporters "prometheus"',
      'exporters "debug" is defined but in no pipeline',
    ],
  );
});

test('sidecar: a valid collector that scrapes our default port and path; the patch mounts its config', async () => {
  const collector = await yamlOf('sidecar/collector.yaml');
  assert.deepEqual(pipelineProblems(collector), []);
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

test('push: a valid gateway collector listening where our example settings send, and those settings load', async () => {
  const collector = await yamlOf('gateway/collector.yaml');
  assert.deepEqual(pipelineProblems(collector), []);
  const listen = collector.receivers.otlp.protocols.grpc.endpoint as string;
  const { config } = await loadConfig({
    file: new URL('gateway/sealos-state-metrics.yaml', root).pathname,
    env: {},
  });
  assert.equal(config.otlp.enabled, true);
  assert.equal(new URL(config.otlp.endpoint).port, listen.split(':').at(-1));
});
