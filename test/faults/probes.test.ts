/**
 * Probe targets that misbehave, against a running app with three probe instruments: TCP
 * blackholes (accept, never answer), TLS handshakes slower than the check timeout (and one slow
 * but in time), DNS that never answers, and PostgreSQL servers that hang after authentication.
 * Read from the targets' side and from /metrics: every connection is hung up within its check
 * timeout, no more connections are open at once than the instrument's concurrency limit (which
 * also shows no two runs of one instrument overlap), each run ends within its bound, and every
 * target is reported with the failure it had.
 */
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { App } from '../../lib/app.js';
import { harnessLogs } from '../support/app.js';
import { TestDnsServer } from '../support/dns-server.js';
import { parseSamples } from '../support/exposition-parse.js';
import { ConnectionTally, HostileListener } from '../support/hostile-listener.js';
import { eventually, get } from '../support/http.js';
import { KUBEBLOCKS_CLUSTERS, TestApiServer } from '../support/kube/api-server.js';
import { PgWireServer } from '../support/pg-wire.js';
import { ProbeTargets } from '../support/probe-targets.js';

const D = 'probe.test';
/** Where the hostile listeners are; nothing else listens on it. */
const HOSTILE = '127.0.0.9';
const CHECK_TIMEOUT_MS = 1000;
/** A hang-up a little after the timeout is the timer and the socket teardown, not a leak. */
const HANG_UP_SLACK_MS = 400;

test('misbehaving probe targets: every probe bounded, concurrency held, runs never overlap', {
  timeout: 60_000,
}, async (t) => {
  const targets = await ProbeTargets.start(D);
  const dns = await TestDnsServer.start();
  const server = await TestApiServer.start();
  server.registerType(KUBEBLOCKS_CLUSTERS);
  const pg = await PgWireServer.start(() => 'hang');
  const domainTally = new ConnectionTally();
  const registryTally = new ConnectionTally();
  const databaseTally = new ConnectionTally();
  const listeners = {
    domainHole: await HostileListener.start(HOSTILE, { kind: 'blackhole' }, domainTally),
    tlsLate: await HostileListener.start(
      HOSTILE,
      { kind: 'relay', to: { host: '127.0.0.2', port: targets.v4Port }, delayMs: 3000 },
      domainTally,
    ),
    tlsSlowInTime: await HostileListener.start(
      HOSTILE,
      { kind: 'relay', to: { host: '127.0.0.2', port: targets.v4Port }, delayMs: 400 },
      domainTally,
    ),
    registryHole: await HostileListener.start(HOSTILE, { kind: 'blackhole' }, registryTally),
    database: await HostileListener.start(
      HOSTILE,
      { kind: 'relay', to: { host: '127.0.0.1', port: pg.port }, delayMs: 0 },
      databaseTally,
    ),
  };
  t.after(async () => {
    for (const listener of Object.values(listeners)) await listener.stop();
    await pg.stop();
    await server.stop();
    await dns.stop();
    await targets.stop();
  });

  for (const name of ['hang1', 'hang2', 'hang3', 'good']) dns.set(`${name}.${D}`, { a: [HOSTILE] });
  for (const name of ['quiet1', 'quiet2']) dns.set(`${name}.${D}`, 'silent');
  for (const name of ['reg1', 'reg2']) dns.set(`${name}.${D}`, { a: [HOSTILE] });
  const domains = [
    `hang1.${D}:${listeners.domainHole.port}`,
    `hang2.${D}:${listeners.domainHole.port}`,
    `hang3.${D}:${listeners.domainHole.port}`,
    `good.${D}:${listeners.tlsLate.port}`,
    `good.${D}:${listeners.tlsSlowInTime.port}`,
    `quiet1.${D}:443`,
    `quiet2.${D}:443`,
  ];
  const registries = ['reg1', 'reg2'].map((name) => ({
    endpoint: `http://${name}.${D}:${listeners.registryHole.port}`,
    info: name,
    repository: 'library/busybox',
    reference: 'latest',
  }));
  const databases = ['pg-a', 'pg-b', 'pg-c'];
  for (const name of databases) {
    server.create(
      'clusters',
      {
        metadata: { name, namespace: 'db', labels: { 'clusterdefinition.kubeblocks.io/name': 'postgresql' } },
        spec: { clusterDefinitionRef: 'postgresql', componentSpecs: [{ name: 'main', replicas: 1 }] },
        status: { phase: 'Running' },
      },
      KUBEBLOCKS_CLUSTERS.group,
    );
    const data = {
      username: 'probe',
      password: 'never-logged',
      host: HOSTILE,
      port: String(listeners.database.port),
    };
    server.create('secrets', {
      metadata: {
        name: `${name}-conn-credential`,
        namespace: 'db',
        // The labels KubeBlocks gives a PostgreSQL connection Secret; the second is the one the
        // default discovery (the original's) selects by.
        labels: { 'app.kubernetes.io/managed-by': 'kubeblocks', 'app.kubernetes.io/name': 'postgresql' },
      },
      type: 'Opaque',
      data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
    });
  }

  const limits = { domain: 2, registryproxy: 1, database: 2 };
  const probe = { checkTimeout: `${CHECK_TIMEOUT_MS}ms`, resolver: dns.address, includeIPv6: false };
  const config = {
    server: { address: '127.0.0.1:0' },
    enabledCollectors: ['domain', 'registryproxy', 'database'],
    leaderElection: { enabled: false },
    collectors: {
      domain: { ...probe, checkInterval: '5s', concurrency: limits.domain, domains },
      registryproxy: { ...probe, checkInterval: '5s', concurrency: limits.registryproxy, registries },
      database: {
        checkInterval: '10s',
        checkTimeout: `${CHECK_TIMEOUT_MS}ms`,
        postgresqlConcurrency: limits.database,
      },
    },
  };
  const dir = await mkdtemp(join(tmpdir(), 'ssm-probe-faults-'));
  const file = join(dir, 'config.json');
  await writeFile(file, JSON.stringify(config));
  const started = Date.now();
  const app = await App.start({ file, env: { KUBECONFIG: server.kubeconfigPath }, logs: harnessLogs() });
  t.after(() => app.stop());
  const scrape = async () =>
    parseSamples((await get(`http://127.0.0.1:${app.server.address().port}/metrics`)).body);

  // Two runs of the 5 s instruments at least, and one of the database check.
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, 11_500 - (Date.now() - started))));
  const samples = await eventually(async () => {
    const current = await scrape();
    const reported = current.filter((s) => s.name === 'sealos_database_check_error').length;
    return reported === databases.length ? current : undefined;
  });
  const series = (name: string) =>
    samples
      .filter((s) => s.name === name)
      .map((s) => ({
        labels: Object.fromEntries(s.labels) as Record<string, string | undefined>,
        value: s.value,
      }));

  await t.test('every connection is hung up within the check timeout', () => {
    for (const [what, tally] of [
      ['domain', domainTally],
      ['registryproxy', registryTally],
      ['database', databaseTally],
    ] as const) {
      assert.ok(tally.lifetimesMs.length > 0, `${what}: no connection was made`);
      const longest = Math.max(...tally.lifetimesMs);
      assert.ok(
        longest <= CHECK_TIMEOUT_MS + HANG_UP_SLACK_MS,
        `${what}: a connection lived ${Math.round(longest)} ms with a ${CHECK_TIMEOUT_MS} ms timeout`,
      );
    }
  });

  await t.test('no more connections at once than the concurrency limit; runs do not overlap', () => {
    assert.ok(domainTally.peak() <= limits.domain, `domain: ${domainTally.peak()} open at once`);
    // A registry address is probed with its /v2/ and manifest requests side by side: the limit
    // counts addresses, so twice as many connections.
    const registryLimit = 2 * limits.registryproxy;
    assert.ok(registryTally.peak() <= registryLimit, `registryproxy: ${registryTally.peak()} open at once`);
    assert.ok(databaseTally.peak() <= limits.database, `database: ${databaseTally.peak()} open at once`);
    // Each limit was reached, so the checks above would have seen two overlapping runs.
    assert.equal(domainTally.peak(), limits.domain);
    assert.equal(registryTally.peak(), registryLimit);
    assert.equal(databaseTally.peak(), limits.database);
    // Runs follow each other an interval apart: the next starts 5 s after the last one ended.
    for (const [what, tally] of [
      ['domain', domainTally],
      ['registryproxy', registryTally],
    ] as const) {
      const runs = tally.bursts(2000);
      assert.ok(runs.length >= 2, `${what}: ${runs.length} runs in 11.5 s`);
      for (const [index, [opened]] of runs.entries()) {
        const previous = runs[index - 1];
        if (previous) {
          const gap = opened - previous[1];
          assert.ok(
            gap >= 4500,
            `${what}: run ${index + 1} began ${Math.round(gap)} ms after the last ended`,
          );
        }
      }
    }
  });

  await t.test('every target is reported with the failure it had', () => {
    const status = series('sealos_domain_status').filter((s) => s.labels.check_type === 'http');
    const errorOf = (domain: string) => {
      const labels = status.find((s) => s.labels.domain === domain)?.labels;
      return `${labels?.error_type}/${labels?.reason}`;
    };
    for (const name of ['hang1', 'hang2', 'hang3']) {
      assert.equal(errorOf(`${name}.${D}:${listeners.domainHole.port}`), 'Timeout/timeout', name);
    }
    assert.equal(
      errorOf(`good.${D}:${listeners.tlsLate.port}`),
      'Timeout/timeout',
      'a handshake slower than the timeout',
    );
    const inTime = status.find((s) => s.labels.domain === `good.${D}:${listeners.tlsSlowInTime.port}`);
    assert.deepEqual(
      [inTime?.labels.error_type, inTime?.labels.reason, inTime?.value],
      ['', '', 1],
      'a slow handshake within the timeout is healthy',
    );
    const dnsErrors = series('sealos_domain_dns_status').filter((s) => s.labels.domain?.startsWith('quiet'));
    assert.deepEqual(
      dnsErrors.map((s) => `${s.labels.error_type}/${s.labels.reason}`),
      ['Timeout/dns_timeout', 'Timeout/dns_timeout'],
    );
    const registry = series('sealos_registry_proxy_status');
    assert.equal(registry.length, 4);
    assert.ok(
      registry.every(
        (s) => s.labels.error_type === 'Context' && s.labels.reason === 'timeout' && s.value === 0,
      ),
      JSON.stringify(registry),
    );
    const database = series('sealos_database_check_error');
    assert.deepEqual(
      database.map((s) => [s.labels.database, s.labels.reason]),
      databases.map((name) => [name, 'timeout']),
    );
    assert.ok(pg.queries.length >= databases.length, 'authenticated and queried, then hung');
  });

  await t.test('each run ends within its bound and counts as a run, not a failure', () => {
    const durations = series('state_metric_collector_duration_seconds');
    const bound = { domain: 5, registryproxy: 5, database: 10 };
    for (const [collector, seconds] of Object.entries(bound)) {
      const duration = durations.find((s) => s.labels.collector === collector)?.value;
      assert.ok(duration !== undefined && duration < seconds, `${collector}: a run took ${duration} s`);
    }
    // The work per run is known: domain 7 targets of up to 1 s over 2 slots.
    const domain = durations.find((s) => s.labels.collector === 'domain')?.value ?? 0;
    assert.ok(domain >= 2.5 && domain < 4.5, `domain run took ${domain} s`);
    const success = series('state_metric_collector_success');
    assert.deepEqual(
      success
        .filter((s) => (s.labels.collector ?? '') in bound)
        .map((s) => [s.labels.collector, s.value])
        .sort(),
      [
        ['database', 1],
        ['domain', 1],
        ['registryproxy', 1],
      ],
    );
  });
});
