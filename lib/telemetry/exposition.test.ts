import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { promtoolProblems } from '../../test/support/promtool.js';
import type { MetricDeclaration } from './declaration.js';
import { negotiateFormat } from './exposition.js';
import { TelemetryPipeline } from './pipeline.js';

const gauge = {
  name: 'thing_size_bytes',
  kind: 'gauge',
  unit: 'By',
  help: 'Size of a thing.\nSecond line with a \\ backslash.',
  labels: ['zone', 'name'],
} as const satisfies MetricDeclaration;

const counter = {
  name: 'thing_events',
  kind: 'counter',
  unit: '{event}',
  help: 'Events seen.',
  labels: ['kind'],
} as const satisfies MetricDeclaration;

function pipeline() {
  return new TelemetryPipeline({ namespace: 'sealos', resource: resourceFromAttributes({}) });
}

test('text format: declared names, label order, escaping, empty labels, special values', async () => {
  const p = pipeline();
  // Widened to MetricDeclaration, as a config-defined metric is: a label missing at run time is
  // written empty (a typed declaration would not compile without it).
  p.sink.observe(gauge as MetricDeclaration, (observe) => {
    observe(1024, { name: 'a"quoted"\\name\nx', zone: 'z1' });
    observe(Number.NaN, { zone: 'z2', name: '' });
    observe(Number.POSITIVE_INFINITY, { zone: 'z3', name: 'inf' });
    observe(0.5, { zone: 'z4' });
  });
  p.sink.observe(counter, (observe) => observe(7, { kind: 'x' }));
  const { body } = await p.scrape('text');
  assert.equal(
    body,
    [
      '# HELP sealos_thing_size_bytes Size of a thing.\\nSecond line with a \\\\ backslash.',
      '# TYPE sealos_thing_size_bytes gauge',
      'sealos_thing_size_bytes{zone="z1",name="a\\"quoted\\"\\\\name\\nx"} 1024',
      'sealos_thing_size_bytes{zone="z2",name=""} NaN',
      'sealos_thing_size_bytes{zone="z3",name="inf"} +Inf',
      'sealos_thing_size_bytes{zone="z4",name=""} 0.5',
      '# HELP sealos_thing_events_total Events seen.',
      '# TYPE sealos_thing_events_total counter',
      'sealos_thing_events_total{kind="x"} 7',
      '',
    ].join('\n'),
  );
  assert.deepEqual(promtoolProblems(body), []);
  await p.shutdown();
});

test('OpenMetrics: family names, UNIT only where the name carries it, # EOF', async () => {
  const p = pipeline();
  p.sink.observe(gauge, (observe) => observe(1, { zone: 'z', name: 'n' }));
  p.sink.observe(counter, (observe) => observe(2, { kind: 'k' }));
  const { body } = await p.scrape('openmetrics');
  assert.equal(
    body,
    [
      '# TYPE sealos_thing_size_bytes gauge',
      '# UNIT sealos_thing_size_bytes bytes',
      '# HELP sealos_thing_size_bytes Size of a thing.\\nSecond line with a \\\\ backslash.',
      'sealos_thing_size_bytes{zone="z",name="n"} 1',
      '# TYPE sealos_thing_events counter',
      '# HELP sealos_thing_events Events seen.',
      'sealos_thing_events_total{kind="k"} 2',
      '# EOF',
      '',
    ].join('\n'),
  );
  await p.shutdown();
});

test('content negotiation follows what Prometheus sends', () => {
  assert.equal(
    negotiateFormat(
      'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1',
    ),
    'openmetrics',
  );
  assert.equal(negotiateFormat('text/plain;version=0.0.4'), 'text');
  assert.equal(negotiateFormat(undefined), 'text');
});

test('a series whose object is gone disappears at the next scrape', async () => {
  const p = pipeline();
  let zones = ['a', 'b', 'c'];
  p.sink.observe(gauge, (observe) => {
    for (const zone of zones) observe(1, { zone, name: 'n' });
  });
  assert.equal((await p.scrape('text')).body.match(/^sealos_thing_size_bytes\{/gm)?.length, 3);
  zones = ['b'];
  const { body } = await p.scrape('text');
  assert.deepEqual(body.match(/^sealos_thing_size_bytes\{.*$/gm), [
    'sealos_thing_size_bytes{zone="b",name="n"} 1',
  ]);
  zones = [];
  assert.equal((await p.scrape('text')).body, '');
  await p.shutdown();
});

test('no cardinality cap: 25k series come out whole, none folded into an overflow series', async () => {
  const p = pipeline();
  p.sink.observe(gauge, (observe) => {
    for (let i = 0; i < 25_000; i++) observe(i, { zone: `z${i % 7}`, name: `n${i}` });
  });
  const { body } = await p.scrape('text');
  assert.equal(body.match(/^sealos_thing_size_bytes\{/gm)?.length, 25_000);
  assert.ok(!body.includes('overflow'), 'an overflow series was produced');
  await p.shutdown();
});

test('concurrent scrapes share one collection', async () => {
  const p = pipeline();
  let calls = 0;
  p.sink.observe(counter, (observe) => {
    calls += 1;
    observe(calls, { kind: 'k' });
  });
  const bodies = await Promise.all([p.scrape('text'), p.scrape('openmetrics'), p.scrape('text')]);
  assert.equal(calls, 1);
  assert.match(bodies[1]?.body ?? '', /sealos_thing_events_total\{kind="k"\} 1/);
  await p.shutdown();
});

test('a callback that throws costs its own metric only, and the error is reported', async () => {
  const p = pipeline();
  p.sink.observe(gauge, () => {
    throw new Error('boom');
  });
  p.sink.observe(counter, (observe) => observe(1, { kind: 'k' }));
  const { body, errors } = await p.scrape('text');
  assert.match(body, /sealos_thing_events_total\{kind="k"\} 1/);
  assert.equal(errors.length, 1);
  await p.shutdown();
});

test('declaring two different metrics under one name is refused', () => {
  const p = pipeline();
  p.sink.observe(gauge, () => {});
  assert.throws(() => p.sink.observe({ ...gauge }, () => {}), /declared twice/);
});
