/** The configuration reference read from schemas: rows, defaults, list entries, restart keys. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { z } from 'zod';
import { restartOnlyChanges } from '../runtime.js';
import { duration } from './duration.js';
import { buildConfig } from './load.js';
import { type ConfigRow, configMarkdown, configRows, filePaths, restartPaths } from './reference.js';
import { configSchema } from './schema.js';

const sample = z.strictObject({
  interval: duration('30s').meta({ description: 'How often.' }),
  name: z.string().min(1).meta({ description: 'Required.' }),
  port: z.number().optional().meta({ description: 'Optional.' }),
  address: z.string().default(':9090').meta({ description: 'Read once.', restart: true }),
  paths: z.array(z.string()).default(['/a', '/b']).meta({ description: 'A list of strings.' }),
  section: z.strictObject({ flag: z.boolean().default(false).meta({ description: 'Nested.' }) }).prefault({}),
  items: z
    .array(z.strictObject({ id: z.string().meta({ description: 'Entry id.' }) }))
    .default([])
    .meta({ description: 'Objects: YAML only.' }),
  hosts: z
    .array(z.union([z.string(), z.strictObject({ host: z.string().meta({ description: 'Entry host.' }) })]))
    .default([])
    .meta({ description: 'Strings or objects.' }),
  undocumented: z.string().default('x'),
});

test('rows: path, environment name, default as written, description, restart', () => {
  const rows = configRows(sample, ['collectors', 'demo']);
  const expected: ConfigRow[] = [
    {
      key: 'collectors.demo.interval',
      env: 'COLLECTORS_DEMO_INTERVAL',
      default: '30s',
      description: 'How often.',
      restart: false,
      file: false,
    },
    {
      key: 'collectors.demo.name',
      env: 'COLLECTORS_DEMO_NAME',
      default: { none: 'required' },
      description: 'Required.',
      restart: false,
      file: false,
    },
    {
      key: 'collectors.demo.port',
      env: 'COLLECTORS_DEMO_PORT',
      default: { none: 'unset' },
      description: 'Optional.',
      restart: false,
      file: false,
    },
    {
      key: 'collectors.demo.address',
      env: 'COLLECTORS_DEMO_ADDRESS',
      default: ':9090',
      description: 'Read once.',
      restart: true,
      file: false,
    },
    {
      key: 'collectors.demo.paths',
      env: 'COLLECTORS_DEMO_PATHS',
      default: '[/a, /b]',
      description: 'A list of strings.',
      restart: false,
      file: false,
    },
    {
      key: 'collectors.demo.section.flag',
      env: 'COLLECTORS_DEMO_SECTION_FLAG',
      default: 'false',
      description: 'Nested.',
      restart: false,
      file: false,
    },
    {
      key: 'collectors.demo.items',
      env: undefined,
      default: '[]',
      description: 'Objects: YAML only.',
      restart: false,
      file: false,
    },
    {
      key: 'collectors.demo.items[].id',
      env: undefined,
      default: { none: 'required' },
      description: 'Entry id.',
      restart: false,
      file: false,
    },
    // Entries that may be strings keep the list's environment form; the object keys stay YAML only.
    {
      key: 'collectors.demo.hosts',
      env: 'COLLECTORS_DEMO_HOSTS',
      default: '[]',
      description: 'Strings or objects.',
      restart: false,
      file: false,
    },
    {
      key: 'collectors.demo.hosts[].host',
      env: undefined,
      default: { none: 'required' },
      description: 'Entry host.',
      restart: false,
      file: false,
    },
    {
      key: 'collectors.demo.undocumented',
      env: 'COLLECTORS_DEMO_UNDOCUMENTED',
      default: 'x',
      description: '',
      restart: false,
      file: false,
    },
  ];
  assert.deepEqual(rows, expected);
  const table = configMarkdown(rows, 'collectors.demo.').split('\n');
  assert.equal(table[0], '| key | env | default | applies | description |');
  assert.equal(table[2], '| `interval` | `COLLECTORS_DEMO_INTERVAL` | `30s` | live | How often. |');
  assert.equal(table[3], '| `name` | `COLLECTORS_DEMO_NAME` | (required) | live | Required. |');
  assert.equal(table[5], '| `address` | `COLLECTORS_DEMO_ADDRESS` | `:9090` | at restart | Read once. |');
  assert.equal(table[9], '| `items[].id` | (YAML only) | (required) | live | Entry id. |');
});

test('the restart-only keys come from the schema, and only their changes are reported', () => {
  assert.deepEqual(
    restartPaths(configSchema).map((path) => path.join('.')),
    [
      'server.address',
      'server.tls.enabled',
      'server.tls.certFile',
      'server.tls.keyFile',
      'server.auth.enabled',
      'kubernetes.kubeconfig',
      'kubernetes.qps',
      'kubernetes.burst',
      'kubernetes.requestTimeout',
      'kubernetes.watchIdleTimeout',
      'identity',
      'nodeName',
      'podName',
    ],
  );
  const running = buildConfig({}, {}).config;
  const next = buildConfig(
    { server: { address: ':9191' }, kubernetes: { qps: 5 }, logging: { level: 'warn' }, identity: 'b' },
    {},
  ).config;
  assert.deepEqual(restartOnlyChanges(running, next), ['server.address', 'kubernetes.qps', 'identity']);
  assert.deepEqual(restartOnlyChanges(running, buildConfig({}, {}).config), []);
});

test('keys marked file: their paths, outside lists', () => {
  const schema = z.strictObject({
    plain: z.string().default(''),
    source: z.string().optional().meta({ description: 'A file.', file: true }),
    nested: z.strictObject({ also: z.string().optional().meta({ file: true }) }).prefault({}),
    list: z.array(z.strictObject({ inside: z.string().meta({ file: true }) })).default([]),
  });
  assert.deepEqual(filePaths(schema), [['source'], ['nested', 'also']]);
  assert.deepEqual(filePaths(configSchema), [['collectors', 'crds', 'customResourceStateConfigFile']]);
});
