import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { otlpTargetUrl } from '../telemetry/otlp-target.js';
import { envLeaves, otelEnvOverrides, upperSnake } from './env.js';
import { buildConfig, ConfigError, canonicalJson, loadConfig, parseYaml } from './load.js';
import { dsnPassword, redact, safeErrorLine } from './redact.js';
import { configSchema } from './schema.js';

function problemsOf(action: () => unknown): readonly string[] {
  try {
    action();
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected ConfigError, got ${error}`);
    return error.problems;
  }
  assert.fail('expected a ConfigError');
}

test('environment names are the upper-snake form of the path, acronyms kept whole', () => {
  const cases: [string, string][] = [
    ['checkInterval', 'CHECK_INTERVAL'],
    ['includeIPv4', 'INCLUDE_IPV4'],
    ['includeIPv6', 'INCLUDE_IPV6'],
    ['includeHTTPCheck', 'INCLUDE_HTTP_CHECK'],
    ['skipTLSVerify', 'SKIP_TLS_VERIFY'],
    ['accessKeyId', 'ACCESS_KEY_ID'],
    ['enabledCollectors', 'ENABLED_COLLECTORS'],
    ['dsn', 'DSN'],
  ];
  for (const [key, env] of cases) assert.equal(upperSnake(key), env);
  const names = envLeaves(configSchema).map((leaf) => leaf.envName);
  for (const expected of [
    'SERVER_ADDRESS',
    'SERVER_TLS_CERT_FILE',
    'LEADER_ELECTION_ENABLED',
    'LOGGING_LEVEL',
    'ENABLED_COLLECTORS',
    'METRICS_NAMESPACE',
    'COLLECTORS_ZOMBIE_CHECK_INTERVAL',
    'COLLECTORS_ZOMBIE_PROC_PATH',
    'OTLP_HEADERS',
  ]) {
    assert.ok(names.includes(expected), `${expected} missing from ${names.join(' ')}`);
  }
});

test('defaults match the original where it set them', () => {
  const { config } = buildConfig({}, {});
  assert.equal(config.server.address, ':9090');
  assert.equal(config.server.metricsPath, '/metrics');
  assert.equal(config.server.healthPath, '/health');
  assert.equal(config.metrics.namespace, 'sealos');
  assert.equal(config.leaderElection.leaseName, 'sealos-state-metric');
  assert.equal(config.leaderElection.leaseDuration, 15_000);
  assert.equal(config.leaderElection.renewDeadline, 10_000);
  assert.equal(config.leaderElection.retryPeriod, 2_000);
  assert.equal(config.performance.informerResyncPeriod, 600_000);
  assert.equal(config.kubernetes.qps, 50);
  assert.equal(config.kubernetes.burst, 100);
  assert.deepEqual(config.collectors.zombie, { checkInterval: 30_000, procPath: '/proc' });
  assert.deepEqual(config.enabledCollectors, ['zombie']);
  assert.equal(config.otlp.enabled, false);
});

test('precedence: defaults < YAML < OTEL_* env < our env < flags', () => {
  const yaml = parseYaml(
    'logging:\n  level: warn\ncollectors:\n  zombie:\n    checkInterval: 1m\n    procPath: /host/proc\notlp:\n  endpoint: http://yaml:4317\n',
    'c.yaml',
  );
  const env = {
    COLLECTORS_ZOMBIE_CHECK_INTERVAL: '2m',
    OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel-env:4317',
    OTLP_ENDPOINT: 'http://our-env:4317',
    LOGGING_LEVEL: 'error',
  };
  const { config } = buildConfig(yaml, env, [
    { path: ['logging', 'level'], value: 'debug', source: 'flag --log-level' },
  ]);
  assert.equal(
    config.collectors.zombie && (config.collectors.zombie as { checkInterval: number }).checkInterval,
    120_000,
  );
  assert.equal((config.collectors.zombie as { procPath: string }).procPath, '/host/proc');
  assert.equal(config.otlp.endpoint, 'http://our-env:4317');
  assert.equal(config.otlp.enabled, true, 'an OTEL endpoint turns the push on');
  assert.equal(config.logging.level, 'debug');
});

test('the standard OTEL_* variables map onto otlp settings', () => {
  const overrides = otelEnvOverrides({
    OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'https://gw:4317',
    OTEL_EXPORTER_OTLP_ENDPOINT: 'http://ignored:4317',
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
    OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20abc,x-tenant=t1',
    OTEL_EXPORTER_OTLP_TIMEOUT: '5000',
    OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip',
    OTEL_METRIC_EXPORT_INTERVAL: '15000',
  });
  const { config } = buildConfig({}, {}, overrides);
  // Kept apart: over HTTP only the base gets /v1/metrics appended (otlp-target.ts).
  assert.equal(config.otlp.metricsEndpoint, 'https://gw:4317');
  assert.equal(config.otlp.endpoint, 'http://ignored:4317');
  assert.equal(otlpTargetUrl(config.otlp), 'https://gw:4317', 'the metrics URL beats the base');
  assert.deepEqual(config.otlp.headers, { authorization: 'Bearer abc', 'x-tenant': 't1' });
  assert.equal(config.otlp.timeout, 5000);
  assert.equal(config.otlp.interval, 15_000);
  assert.equal(config.otlp.compression, 'gzip');
  assert.equal(config.otlp.protocol, 'http/protobuf');
  assert.equal(
    buildConfig({}, { OTEL_METRICS_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://x:1' }).config.otlp
      .enabled,
    false,
  );
});

test('the OTLP protocol: the metrics variable beats the general one, ours beats both, http/json is refused', () => {
  const protocolOf = (env: Record<string, string>, file = {}) => buildConfig(file, env).config.otlp.protocol;
  assert.equal(protocolOf({}), 'grpc');
  assert.equal(protocolOf({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf' }), 'http/protobuf');
  assert.equal(
    protocolOf({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf', OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'grpc' }),
    'grpc',
  );
  assert.equal(
    protocolOf({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTLP_PROTOCOL: 'http/protobuf' }),
    'http/protobuf',
  );
  assert.equal(protocolOf({}, { otlp: { protocol: 'http/protobuf' } }), 'http/protobuf');
  assert.deepEqual(
    problemsOf(() => buildConfig({}, { OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' })),
    [
      'otlp.protocol: Invalid option: expected one of "grpc"|"http/protobuf" (got "http/json", from env OTEL_EXPORTER_OTLP_PROTOCOL)',
    ],
  );
  assert.deepEqual(
    problemsOf(() => buildConfig({ otlp: { metricsEndpoint: 'gw:4318' } }, {})),
    ['otlp.metricsEndpoint: must be an http:// or https:// URL (got "gw:4318")'],
  );
});

test('lists and booleans from the environment', () => {
  const { config } = buildConfig(
    {},
    { ENABLED_COLLECTORS: ' zombie , ', LEADER_ELECTION_ENABLED: 'false', KUBERNETES_QPS: '20' },
  );
  assert.deepEqual(config.enabledCollectors, ['zombie']);
  assert.equal(config.leaderElection.enabled, false);
  assert.equal(config.kubernetes.qps, 20);
});

test('errors name the path, the value and where the value came from', () => {
  const problems = problemsOf(() =>
    buildConfig(
      { server: { address: 'nine' }, collectors: { zombie: { checkInterval: 'soon' } } },
      { KUBERNETES_QPS: 'fast', LOGGING_FORMAT: 'xml' },
    ),
  );
  const text = problems.join('\n');
  assert.match(text, /^server\.address: must be host:port .*\(got "nine"\)$/m);
  assert.match(text, /^collectors\.zombie\.checkInterval: "soon" is not a duration.*\(got "soon"\)$/m);
  assert.match(text, /^kubernetes\.qps: .*\(got "fast", from env KUBERNETES_QPS\)$/m);
  assert.match(text, /^logging\.format: .*\(got "xml", from env LOGGING_FORMAT\)$/m);
});

test('unknown keys and unknown collectors are errors', () => {
  const problems = problemsOf(() =>
    buildConfig(
      { sever: {}, collectors: { zombie: { interval: '1s' } }, enabledCollectors: ['zombie', 'nosuch'] },
      {},
    ),
  );
  const text = problems.join('\n');
  assert.match(text, /^sever: unknown key$/m);
  assert.match(text, /^collectors\.zombie\.interval: unknown key$/m);
  assert.match(text, /^enabledCollectors\.1: unknown collector "nosuch"/m);
});

test('cross-field rules: renewDeadline shorter than leaseDuration, TLS needs files, debug server on loopback', () => {
  assert.match(
    problemsOf(() =>
      buildConfig({ leaderElection: { leaseDuration: '10s', renewDeadline: '10s' } }, {}),
    ).join('\n'),
    /leaderElection\.renewDeadline: must be shorter than leaseDuration/,
  );
  assert.match(
    problemsOf(() => buildConfig({ server: { tls: { enabled: true } } }, {})).join('\n'),
    /server\.tls: tls\.enabled needs both certFile and keyFile/,
  );
  assert.match(
    problemsOf(() => buildConfig({ debugServer: { address: '0.0.0.0:8080' } }, {})).join('\n'),
    /debugServer\.address: must be a loopback address/,
  );
  assert.equal(buildConfig({ debugServer: { port: 8081 } }, {}).config.debugServer.address, '127.0.0.1:8081');
});

test('malformed YAML names the file, line and column', () => {
  const problems = problemsOf(() =>
    parseYaml('server:\n  address: ":9090"\n   metricsPath: /m\n', 'bad.yaml'),
  );
  assert.match(problems[0] ?? '', /^bad\.yaml:3:\d+: /);
  assert.match(
    problemsOf(() => parseYaml('- a\n- b\n', 'list.yaml'))[0] ?? '',
    /list\.yaml: the top level must be a mapping/,
  );
  assert.match(problemsOf(() => parseYaml('a: 1\na: 2\n', 'dup.yaml'))[0] ?? '', /dup\.yaml:2:1: .*unique/i);
  // Found by the fuzzer: an alias to an anchor that does not exist failed while building the tree.
  assert.match(problemsOf(() => parseYaml('a: *nowhere\n', 'alias.yaml'))[0] ?? '', /^alias\.yaml: .*alias/i);
});

test('a JSON config file reads as the same YAML would; a YAML file that starts with { still parses', () => {
  const yaml = 'enabledCollectors: [zombie]\ncollectors:\n  zombie:\n    checkInterval: 10s\n';
  const json = '\n {"enabledCollectors": ["zombie"], "collectors": {"zombie": {"checkInterval": "10s"}}}';
  assert.deepEqual(parseYaml(json, 'c.json'), parseYaml(yaml, 'c.yaml'));
  assert.deepEqual(
    buildConfig(parseYaml(json, 'c.json'), {}).config,
    buildConfig(parseYaml(yaml, 'c.yaml'), {}).config,
  );
  // A YAML flow mapping is not JSON (unquoted keys) and falls through to the YAML parser.
  assert.deepEqual(parseYaml('{enabledCollectors: [zombie]}', 'flow.yaml'), {
    enabledCollectors: ['zombie'],
  });
  assert.match(problemsOf(() => parseYaml('{"a": [1,', 'cut.json'))[0] ?? '', /^cut\.json:1:\d+: /);
});

test('a key with only comments under it (YAML null) means "use the defaults"', () => {
  const { config } = buildConfig(parseYaml('collectors:\n  zombie:\n    # nothing set\n', 'c.yaml'), {});
  assert.deepEqual(config.collectors.zombie, { checkInterval: 30_000, procPath: '/proc' });
});

test('an unreadable config file is a clear error', async () => {
  await assert.rejects(loadConfig({ file: '/nonexistent/config.yaml', env: {} }), (error: ConfigError) => {
    assert.match(error.problems[0] ?? '', /^\/nonexistent\/config\.yaml: cannot read config file: ENOENT/);
    return true;
  });
});

test("the original's example config loads unchanged, with its values where they mean the same", async () => {
  // A copy of the Go original's config.example.yaml: users switching over bring this file.
  const file = new URL('../../test/fixtures/original/config.example.yaml', import.meta.url);
  const { config } = await loadConfig({ file: file.pathname, env: {} });
  assert.deepEqual(config.enabledCollectors, ['domain', 'node', 'pod', 'imagepull', 'zombie']);
  const domain = config.collectors.domain as {
    domains: { endpoint: string; skipTLSVerify: boolean; path: string; headers: Record<string, string> }[];
  };
  const internal = domain.domains.find((d) => d.endpoint === 'internal.example.local:8443');
  assert.equal(internal?.skipTLSVerify, true);
  assert.equal(internal?.path, '/healthz?ready=true');
  assert.equal(internal?.headers['X-Probe'], 'sealos-state-metrics');
});

// module_loader_test.go: TestModuleConfigLoader_EmptyFile, _NonExistentPath,
// TestEnvConfigLoader_DomainStringListCompatibility.
test("the original's module loader cases: an empty file and an absent section read as defaults; env lists", () => {
  const empty = buildConfig(parseYaml('', 'empty.yaml'), {}).config;
  assert.deepEqual(empty.collectors.node, buildConfig({}, {}).config.collectors.node);
  const absent = buildConfig(
    parseYaml('collectors:\n  zombie:\n    checkInterval: 1m\n', 'c.yaml'),
    {},
  ).config;
  assert.equal((absent.collectors.domain as { checkInterval: number }).checkInterval, 60_000);
  const env = buildConfig(
    {},
    {
      COLLECTORS_DOMAIN_DOMAINS: 'example.com,api.example.com,www.example.com',
      COLLECTORS_DOMAIN_INCLUDE_IPV4: 'true',
      COLLECTORS_DOMAIN_INCLUDE_IPV6: 'false',
    },
  ).config.collectors.domain as {
    domains: { endpoint: string }[];
    includeIPv4: boolean;
    includeIPv6: boolean;
  };
  assert.deepEqual(
    env.domains.map((d) => d.endpoint),
    ['example.com', 'api.example.com', 'www.example.com'],
  );
  assert.deepEqual([env.includeIPv4, env.includeIPv6], [true, false]);
});

test("a config with every key the original's code reads loads unchanged, normalised as there", async () => {
  const file = new URL('../../test/fixtures/original/every-key.yaml', import.meta.url);
  const { config } = await loadConfig({ file: file.pathname, env: { TC_SECRET: 'from-a-secret' } });
  assert.deepEqual([config.nodeName, config.podName], ['node-a', 'sealos-state-metrics-abcde']);
  const domain = config.collectors.domain as {
    domains: { endpoint: string; skipTLSVerify: boolean; method: string; path: string }[];
    dialRetries: number;
    includeIPv6: boolean;
  };
  assert.deepEqual(
    domain.domains.map((d) => [d.endpoint, d.skipTLSVerify, d.method, d.path]),
    [
      ['example.com', false, 'GET', '/'],
      ['internal.example.local:8443', true, 'POST', '/healthz'],
    ],
  );
  assert.deepEqual([domain.dialRetries, domain.includeIPv6], [1, false]);
  const node = config.collectors.node as { ignoreNewNodeDuration: number };
  assert.equal(node.ignoreNewNodeDuration, 30 * 60_000);
  const users = (config.collectors.userbalance as { users: { region: string; quota: number }[] }).users;
  assert.deepEqual(
    users.map((u) => [u.region, u.quota]),
    [
      ['hzh', 500],
      ['bja', 0],
    ],
  );
  const registry = (config.collectors.registryproxy as { registries: { repository: string }[] }).registries;
  assert.equal(registry[0]?.repository, 'library/alpine');
});

test('the config the original Helm chart renders from its default values loads unchanged', async () => {
  // The original chart writes `config` plus these top-level values into its ConfigMap.
  const values = parseYaml(
    await readFile(new URL('../../test/fixtures/original/chart-values.yaml', import.meta.url), 'utf8'),
    'chart-values.yaml',
  ) as Record<string, Record<string, unknown>>;
  const { config } = buildConfig(
    {
      ...values.config,
      leaderElection: values.leaderElection,
      enabledCollectors: values.enabledCollectors,
      identity: values.identity,
      collectors: values.collectors,
    },
    {},
  );
  assert.ok(config.enabledCollectors.includes('crds'));
  const crds = config.collectors.crds as { crds: { name: string; metrics: unknown[] }[] };
  assert.deepEqual(
    crds.crds.map((entry) => entry.name),
    ['kubeblocks-cluster', 'kubeblocks-backup', 'devbox'],
  );
});

test('the config hash is stable across key order and changes with content', async () => {
  const a = buildConfig(parseYaml('logging: {level: warn, format: text}\n', 'a'), {});
  const b = buildConfig(parseYaml('logging: {format: text, level: warn}\n', 'b'), {});
  const c = buildConfig(parseYaml('logging: {format: text, level: info}\n', 'c'), {});
  assert.equal(a.hash, b.hash);
  assert.notEqual(a.hash, c.hash);
});

test('secret values never survive redaction; DSNs keep host and database', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ssm-redact-'));
  await writeFile(join(dir, 'x'), '');
  const redacted = JSON.stringify(
    redact({
      database: {
        dsn: 'postgresql://admin:Sup3rS3cret@db.example:5432/defaultdb?password=also&sslmode=disable',
      },
      accounts: [{ accessKeyId: 'AKID123', accessKeySecret: 'hunter2', regionId: 'cn' }],
      otlp: { headers: { authorization: 'Bearer tok3n' }, endpoint: 'https://u:pw@gw:4317' },
      token: 'abc',
    }),
  );
  for (const secret of ['Sup3rS3cret', 'also', 'AKID123', 'hunter2', 'tok3n', ':pw@', 'abc']) {
    assert.ok(!redacted.includes(secret), `${secret} leaked in ${redacted}`);
  }
  assert.match(redacted, /db\.example:5432\/defaultdb/);
  assert.match(redacted, /"regionId":"cn"/);
});

test('a config error never prints a secret value', () => {
  const problems = problemsOf(() => buildConfig({ otlp: { headers: { authorization: 42 } } }, {}));
  assert.ok(!problems.join('\n').includes('42'), problems.join('\n'));
});

test('${env:NAME} in string values comes from the environment; a missing one names path and variable', () => {
  const tree = parseYaml(
    'otlp:\n  headers:\n    authorization: "Bearer ${env:OTLP_TOKEN}"\n  endpoint: "https://${env:GW_HOST}:4317"\nidentity: "$${env:LITERAL}"\n',
    'c.yaml',
  );
  const { config } = buildConfig(tree, { OTLP_TOKEN: 't0k', GW_HOST: 'gw.example' });
  assert.equal(config.otlp.headers.authorization, 'Bearer t0k');
  assert.equal(config.otlp.endpoint, 'https://gw.example:4317');
  assert.equal(config.identity, '${env:LITERAL}');
  assert.deepEqual(
    problemsOf(() => buildConfig(tree, { GW_HOST: 'x' })),
    ['otlp.headers.authorization: environment variable OTLP_TOKEN is not set'],
  );
});

test('error lines for health and logs: first line, bounded, secrets and URL passwords masked', () => {
  const dsn = 'postgresql://reader:p%40ss@db:5432/accounts';
  assert.equal(dsnPassword(dsn), 'p@ss');
  assert.equal(dsnPassword('not a url'), '');
  const error = new Error(
    'connect to postgresql://reader:p@ss@db:5432/accounts failed: p@ss rejected\nstack-ish detail',
  );
  const line = safeErrorLine(error, [dsnPassword(dsn)]);
  assert.ok(!line.includes('p@ss') && !line.includes('stack-ish'), line);
  assert.match(line, /reader:<redacted>@/);
  assert.equal(safeErrorLine(new Error('x'.repeat(1000))).length, 300);
  assert.equal(safeErrorLine('plain string'), 'plain string');
});

test('the canonical form of a config is JSON.stringify with every mapping sorted', () => {
  const reference = (value: unknown) =>
    JSON.stringify(value, (_key, child: unknown) =>
      typeof child === 'object' && child !== null && !Array.isArray(child)
        ? Object.fromEntries(Object.entries(child).sort(([a], [b]) => (a < b ? -1 : 1)))
        : child,
    );
  const when = new Date(0);
  const cases: unknown[] = [
    { b: 1, a: [3, { d: null, c: undefined }, undefined, Number.NaN], '10': 'x', '9': 'y', '01': 'z' },
    { nested: { z: { y: { x: [{ b: 2, a: 1 }] } } }, s: 'quote "and" \\ \n', neg: -0, big: 1e21, tiny: 5e-7 },
    { when, fn: () => 1, list: [() => 1, Symbol('s')], ['__proto__']: { b: 1, a: 2 } },
    JSON.parse('{"__proto__": {"z": 1, "a": 2}, "4294967295": 1, "4294967294": 2}'),
    [],
    'text',
    42,
    null,
  ];
  for (const value of cases) assert.equal(canonicalJson(value), reference(value), JSON.stringify(value));
});
