import assert from 'node:assert/strict';
import { test } from 'node:test';
import { z } from 'zod';
import { weaklyTyped } from './weak-input.js';

const schema = z.strictObject({
  flag: z.boolean().default(false),
  count: z.number().int().default(1),
  name: z.string().default(''),
  list: z.array(z.string()).default([]),
  codes: z.array(z.number()).default([]),
  headers: z.record(z.string(), z.string()).default({}),
  entries: z.array(z.union([z.string(), z.strictObject({ on: z.boolean() })])).default([]),
});

// mapstructure's WeaklyTypedInput rules (github.com/mitchellh/mapstructure decode.go), which the
// original applies to every collector section.
test('basic values are converted as mapstructure converts them', () => {
  const cases: [input: Record<string, unknown>, expected: Record<string, unknown>][] = [
    [{ flag: 'true' }, { flag: true }],
    [{ flag: 'F' }, { flag: false }],
    [{ flag: '' }, { flag: false }],
    [{ flag: 2 }, { flag: true }],
    [{ flag: 0 }, { flag: false }],
    [{ count: '42' }, { count: 42 }],
    [{ count: ' 7 ' }, { count: 7 }],
    [{ count: '0x1f' }, { count: 31 }],
    [{ count: '-0x10' }, { count: -16 }],
    [{ count: true }, { count: 1 }],
    [{ count: '' }, { count: 0 }],
    [{ name: 1234 }, { name: '1234' }],
    [{ name: 1.5 }, { name: '1.5' }],
    [{ name: false }, { name: '0' }],
    [{ list: 'one' }, { list: ['one'] }],
    [{ list: {} }, { list: [] }],
    [{ codes: ['200', 201] }, { codes: [200, 201] }],
    [{ headers: { 'X-Retry': 1, 'X-On': true } }, { headers: { 'X-Retry': '1', 'X-On': '1' } }],
    [{ entries: ['a', { on: 'true' }] }, { entries: ['a', { on: true }] }],
  ];
  for (const [input, expected] of cases)
    assert.deepEqual(weaklyTyped(schema, input), expected, JSON.stringify(input));
});

test('what cannot be converted is left for the schema to refuse, and unknown keys are kept for it', () => {
  const kept: Record<string, unknown>[] = [
    { flag: 'yes' },
    { count: 'twelve' },
    { count: '1e999' },
    { name: { nested: true } },
    { headers: 'x=1' },
    { other: 'unknown key' },
  ];
  for (const input of kept) assert.deepEqual(weaklyTyped(schema, input), input, JSON.stringify(input));
  assert.equal(schema.safeParse(weaklyTyped(schema, { flag: 'yes' })).success, false);
  assert.equal(schema.safeParse(weaklyTyped(schema, { other: 1 })).success, false);
});
