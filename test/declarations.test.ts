/**
 * The naming contract: every declared metric comes out under its Prometheus name, passes
 * promtool, survives an OTLP -> Collector -> Prometheus translation unchanged, and every README's
 * tables are what the declarations and the schema say.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { instruments } from '../instruments/index.js';
import { configRows } from '../lib/config/reference.js';
import { configSchema } from '../lib/config/schema.js';
import { readmeBlocks, regenerate } from '../lib/docs/readmes.js';
import { metricCatalog } from '../lib/telemetry/catalog.js';
import type { MetricDeclaration } from '../lib/telemetry/declaration.js';
import { exposedName } from '../lib/telemetry/declaration.js';
import { selfMetrics } from '../lib/telemetry/self-metrics.js';
import { VERSION } from '../lib/version.js';
import { harness } from './support/harness.js';
import { promtoolProblems } from './support/promtool.js';

const allDeclarations: MetricDeclaration[] = [...selfMetrics, ...instruments.flatMap((d) => d.metrics)];

/**
 * The OpenTelemetry "Prometheus and OpenMetrics compatibility" name translation, as the
 * Collector's prometheus exporter applies it with suffixes on: UCUM units become words,
 * `1` becomes `ratio` on gauges, `{annotations}` are dropped, monotonic sums get `_total`.
 */
function collectorTranslatedName(name: string, unit: string, kind: 'gauge' | 'counter'): string {
  const words: Record<string, string> = { s: 'seconds', ms: 'milliseconds', By: 'bytes', '%': 'percent' };
  const cleanUnit = unit.replace(/\{[^}]*\}/g, '');
  let word = words[cleanUnit] ?? cleanUnit;
  if (cleanUnit === '1') word = kind === 'gauge' ? 'ratio' : '';
  let out = name;
  if (word !== '' && !out.endsWith(`_${word}`)) out += `_${word}`;
  if (kind === 'counter' && !out.endsWith('_total')) out += '_total';
  return out;
}

test('each metric is declared once, with help, unit and snake_case labels', () => {
  const names = allDeclarations.map((d) => exposedName(d, 'sealos'));
  assert.equal(new Set(names).size, names.length, `duplicate names: ${names}`);
  for (const d of allDeclarations) {
    assert.match(d.name, /^[a-z][a-z0-9_]*$/, d.name);
    assert.ok(
      !d.name.endsWith('_total') || d.kind === 'gauge',
      `${d.name}: counters are declared without _total`,
    );
    assert.ok(d.help.length > 10, `${d.name}: help text`);
    assert.ok(d.unit !== '', `${d.name}: unit`);
    for (const label of d.labels) assert.match(label, /^[a-z][a-z0-9_]*$/, `${d.name}: label ${label}`);
  }
});

test('every declared metric comes out under its catalog name, nothing else does, and promtool accepts it', async () => {
  const h = harness();
  // The harness already registered the self-metrics; add every instrument's declarations.
  for (const d of instruments.flatMap((definition) => definition.metrics)) {
    h.pipeline.sink.observe(d, (observe) =>
      observe(1, Object.fromEntries(d.labels.map((l) => [l, `v-${l}`]))),
    );
  }
  h.collections.record('zombie', { durationSeconds: 0.1 }, Date.now());
  const body = await h.scrape('text');
  const families = new Set(body.match(/^# TYPE (\S+)/gm)?.map((line) => line.slice('# TYPE '.length)));
  assert.deepEqual(
    [...families].sort(),
    metricCatalog('sealos')
      .map((entry) => entry.name)
      .sort(),
  );
  assert.deepEqual(promtoolProblems(body), []);
});

test('a Collector translating our OTLP names and units arrives at the same Prometheus names', () => {
  for (const d of allDeclarations) {
    const expected = exposedName(d, 'sealos') + (d.kind === 'counter' ? '_total' : '');
    assert.equal(collectorTranslatedName(exposedName(d, 'sealos'), d.unit, d.kind), expected, d.name);
  }
});

test('SPEC names are pinned', () => {
  const names = metricCatalog('sealos').map((entry) => `${entry.name}{${entry.labels.join(',')}}`);
  for (const pinned of [
    'state_metric_collector_duration_seconds{collector,instance}',
    'state_metric_collector_success{collector,instance}',
    'state_metric_collector_last_collection_timestamp{collector,instance}',
    'sealos_zombie_processes{node,namespace,pod,container_id}',
    'sealos_node_healthy{node}',
    'sealos_node_condition{node,condition,status}',
    'sealos_node_kubelet_metrics_available{node}',
    'sealos_pod_container_restarts{namespace,pod,container}',
    'sealos_lvm_vgs_total_capacity{node}',
    'sealos_lvm_vgs_total_free{node}',
    'sealos_lvm_vgs_metadata_size{node}',
    'sealos_lvm_vgs_metadata_free{node}',
    'sealos_cloudbalance_balance{provider,account_id}',
    'sealos_userbalance_balance{region,uuid,uid,owner,type,level}',
    'sealos_cockroach_license_up{cluster}',
    'sealos_cockroach_license_info{cluster,type,environment,license_id,organization_id,organization_name}',
    'sealos_cockroach_license_type{cluster,type}',
    'sealos_cockroach_license_expiry_timestamp_seconds{cluster}',
    'sealos_cockroach_license_seconds_until_expiry{cluster}',
    'sealos_cockroach_license_last_scrape_timestamp_seconds{cluster}',
    'sealos_database_connectivity{namespace,database,type}',
    'sealos_database_response_time_seconds{namespace,database,type}',
    'sealos_database_total{type}',
    'sealos_database_available{type}',
    'sealos_database_unavailable{type}',
    'sealos_domain_health{domain,type}',
    'sealos_domain_dns_status{domain,error_type,reason}',
    'sealos_domain_status{domain,ip,check_type,error_type,reason}',
    'sealos_domain_cert_expiry_seconds{domain,ip,error_type}',
    'sealos_domain_response_time_seconds{domain,ip}',
    'sealos_image_pull_failures{namespace,pod,node,registry,image,reason,cause}',
    'sealos_image_pull_slow{namespace,pod,node,registry,image}',
    'sealos_registry_proxy_health{endpoint,scheme,host,port,info,repository,reference,type}',
    'sealos_registry_proxy_dns_status{endpoint,scheme,host,port,info,repository,reference,error_type,reason}',
    'sealos_registry_proxy_status{endpoint,scheme,host,port,info,repository,reference,ip,check_type,status_code,error_type,reason}',
    'sealos_registry_proxy_response_time_seconds{endpoint,scheme,host,port,info,repository,reference,ip,check_type}',
  ]) {
    assert.ok(names.includes(pinned), `${pinned} not in ${names.join(' ')}`);
  }
  assert.ok(metricCatalog('acme').some((entry) => entry.name === 'acme_zombie_processes'));
});

test('every README is what npm run docs writes: metric and config tables from declarations and schema', async () => {
  const all = readmeBlocks();
  assert.equal(all.length, instruments.length + 1, 'the root README and one per instrument');
  for (const blocks of all) {
    const readme = await readFile(new URL(`../${blocks.file}`, import.meta.url), 'utf8');
    assert.equal(readme, regenerate(readme, blocks), `${blocks.file} is stale: npm run docs`);
  }
});

test('every config key has a description', () => {
  const missing = configRows(configSchema)
    .filter((row) => row.description.trim() === '')
    .map((row) => row.key);
  assert.deepEqual(missing, []);
});

test('lib/version.ts matches package.json', async () => {
  const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  assert.equal(VERSION, pkg.version);
});

test('metrics a configuration defines (crds) may not take a declared name', () => {
  const entry = (name: string) => ({
    crds: [
      {
        name: 'x',
        gvr: { version: 'v1', resource: 'things' },
        metrics: [{ type: 'gauge', name, path: 'spec.a' }],
      },
    ],
  });
  const clash = configSchema.safeParse({ collectors: { crds: entry('node_healthy') } });
  assert.equal(clash.success, false);
  assert.match(
    JSON.stringify(clash.error?.issues),
    /metric \\"sealos_node_healthy\\" is already defined by the node collector/,
  );
  // crds names are always sealos_<name>, so under another namespace they clash with nothing declared.
  assert.equal(
    configSchema.safeParse({ metrics: { namespace: 'acme' }, collectors: { crds: entry('node_healthy') } })
      .success,
    true,
  );
  // The self-metrics keep their unprefixed names; a crds metric is always sealos_<name>.
  assert.equal(
    configSchema.safeParse({ collectors: { crds: entry('state_metric_collector_success') } }).success,
    true,
  );
  assert.equal(configSchema.safeParse({ collectors: { crds: entry('my_gauge') } }).success, true);
});
