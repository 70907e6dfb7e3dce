/** Per-metric switches: a section keeps its defaults and checks; opt-in metrics start off. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { z } from 'zod';
import { defineInstrument } from '../instrument.js';
import type { MetricDeclaration } from '../telemetry/declaration.js';
import { sectionSchema, switchedOff, switchedOn } from './metric-switches.js';

const plain: MetricDeclaration = {
  name: 'demo_items',
  kind: 'gauge',
  unit: '{item}',
  help: 'Items.',
  labels: [],
};
const optional: MetricDeclaration = { ...plain, name: 'demo_costly', help: 'Costly.', optIn: true };
const demo = defineInstrument({
  name: 'demo',
  summary: 'demo',
  leaderElection: false,
  needsCluster: false,
  configSchema: z
    .strictObject({ limit: z.number().default(3) })
    .prefault({})
    .superRefine((config, ctx) => {
      if (config.limit > 10) ctx.addIssue({ code: 'custom', path: ['limit'], message: 'at most 10' });
    }),
  metrics: [plain, optional],
  create: () => ({ start: async () => {}, stop: async () => {}, health: () => ({ state: 'healthy' }) }),
});

test('a section with switches keeps its default, its refinements and its strictness', () => {
  const schema = sectionSchema(demo);
  assert.deepEqual(schema.parse(undefined), { limit: 3 });
  assert.ok(!schema.safeParse({ limit: 11 }).success, 'the refinement still runs');
  assert.ok(!schema.safeParse({ metrics: { unknown_metric: { enabled: true } } }).success);
  assert.ok(!schema.safeParse({ metrics: { demo_items: { enabled: 'no' } } }).success);
  assert.deepEqual(schema.parse({ metrics: { demo_items: { enabled: false } } }), {
    limit: 3,
    metrics: { demo_items: { enabled: false } },
  });
});

test('on by default, off when switched off; an opt-in metric off until switched on', () => {
  assert.equal(switchedOn(undefined, plain), true);
  assert.equal(switchedOn({ metrics: { demo_items: { enabled: false } } }, plain), false);
  assert.equal(switchedOn(undefined, optional), false);
  assert.equal(switchedOn({ metrics: { demo_costly: { enabled: true } } }, optional), true);
  assert.deepEqual([...switchedOff([demo], {})], [optional]);
  assert.deepEqual(
    [
      ...switchedOff([demo], {
        demo: { metrics: { demo_costly: { enabled: true }, demo_items: { enabled: false } } },
      }),
    ],
    [plain],
  );
});
