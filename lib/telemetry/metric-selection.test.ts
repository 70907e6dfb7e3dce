/** The metric lists, with kube-state-metrics' own cases (pkg/allowdenylist/allowdenylist_test.go). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { buildConfig, ConfigError } from '../config/load.js';
import type { MetricDeclaration } from './declaration.js';
import { metricSelection, patternProblem } from './metric-selection.js';
import { TelemetryPipeline } from './pipeline.js';

test("kube-state-metrics' cases: unanchored patterns, allow or deny, nothing set exposes all", () => {
  const cases: [allowlist: string[], denylist: string[], name: string, exposed: boolean][] = [
    [[], [], 'anything', true],
    [['item1'], [], 'item1', true],
    [['item1'], [], 'item2', false],
    [['kube_.*_info'], [], 'kube_secret_info', true],
    [[], ['kube_node_.*_cores', 'kube_pod_.*_bytes'], 'kube_pod_container_resource_requests_cpu_cores', true],
    [
      [],
      ['kube_node_.*_cores', 'kube_pod_.*_bytes'],
      'kube_pod_container_resource_requests_memory_bytes',
      false,
    ],
    [[], ['kube_node_.*_cores', 'kube_pod_.*_bytes'], 'kube_node_status_capacity_cpu_cores', false],
    [[], ['kube_node_.*_cores', 'kube_pod_.*_bytes'], 'kube_node_status_capacity_memory_bytes', true],
    // Matched anywhere, as Go's MatchString does: anchors make a name exact.
    [['item1'], [], 'item10', true],
    [['^item1$'], [], 'item10', false],
    [[], ['lvm'], 'sealos_lvm_vg_free_bytes', false],
  ];
  for (const [allowlist, denylist, name, exposed] of cases) {
    assert.equal(
      metricSelection({ allowlist, denylist })(name),
      exposed,
      JSON.stringify({ allowlist, denylist, name }),
    );
  }
  // The lists choose among the instruments' metrics: a self-metric stays whatever they say.
  assert.equal(
    metricSelection({ allowlist: ['^sealos_'], denylist: [] })('state_metric_collector_success', true),
    true,
  );
  assert.equal(
    metricSelection({ allowlist: [], denylist: ['state'] })('state_metric_collector_success', true),
    true,
  );
  assert.match(patternProblem('*_pod_info') ?? '', /Nothing to repeat/);
  assert.equal(patternProblem('kube_.*_info'), undefined);
});

test('the config refuses both lists at once and a pattern that does not compile, naming where', () => {
  const problemsOf = (tree: Record<string, unknown>, env: Record<string, string> = {}) => {
    try {
      buildConfig(tree, env);
    } catch (error) {
      assert.ok(error instanceof ConfigError);
      return error.problems;
    }
    return [];
  };
  assert.deepEqual(problemsOf({ metrics: { allowlist: ['a'], denylist: ['b'] } }), [
    'metrics: allowlist and denylist are mutually exclusive: set one of them (got {"allowlist":["a"],"denylist":["b"]})',
  ]);
  assert.deepEqual(problemsOf({}, { METRICS_DENYLIST: 'ok,*_pod_info' }), [
    'metrics.denylist.1: not a regular expression: Invalid regular expression: /*_pod_info/u: Nothing to repeat (got "*_pod_info", from env METRICS_DENYLIST)',
  ]);
  assert.deepEqual(buildConfig({}, { METRICS_ALLOWLIST: '^sealos_zombie_,_lvm_' }).config.metrics.allowlist, [
    '^sealos_zombie_',
    '_lvm_',
  ]);
});

const gauge = (name: string): MetricDeclaration => ({
  name,
  kind: 'gauge',
  unit: '1',
  help: `${name}.`,
  labels: [],
});

test('a metric the selection refuses is never registered: neither export walks it', async () => {
  const exposed = metricSelection({ allowlist: ['_kept$'], denylist: [] });
  const calls: string[] = [];
  const pipeline = new TelemetryPipeline({
    namespace: 'sealos',
    resource: resourceFromAttributes({}),
    inspect: true,
    select: (name) => exposed(name),
  });
  for (const name of ['kept', 'dropped']) {
    pipeline.sink.observe(gauge(name), (observe) => {
      calls.push(name);
      observe(1, {});
    });
  }
  const { body } = await pipeline.scrape('text');
  assert.match(body, /^sealos_kept 1$/m);
  assert.doesNotMatch(body, /dropped/);
  const otlp = await pipeline.collectOtlp();
  assert.deepEqual(
    otlp.resourceMetrics.scopeMetrics.flatMap((scope) =>
      scope.metrics.map((metric) => metric.descriptor.name),
    ),
    ['sealos_kept'],
  );
  assert.deepEqual([...new Set(calls)], ['kept'], 'the refused callback never ran');
});
