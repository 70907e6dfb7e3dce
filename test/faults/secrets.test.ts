/**
 * Planted secrets (a database password in a DSN, one arriving through `${env:...}`, a cloud
 * access key secret, an OTLP bearer token) never appear in any output channel: logs at trace
 * level, /metrics, /health, the debug page and its JSON, and the OTLP payloads. The database and
 * the cloud API are unreachable, so the error paths (where secrets tend to leak) run too.
 */
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { App } from '../../lib/app.js';
import { harnessLogs } from '../support/app.js';
import { closedPort } from '../support/database-servers.js';
import { eventually, get } from '../support/http.js';
import { OtlpReceiver } from '../support/otlp-receiver.js';

const fixtureProc = fileURLToPath(new URL('../../instruments/zombie/testdata/proc', import.meta.url));

const SECRETS = {
  dbPassword: 'Planted-Db-Pw-5f1c',
  envPassword: 'Planted-Env-Pw-93ad',
  cloudSecret: 'Planted-Cloud-Secret-77e0',
  otlpToken: 'Planted-Otlp-Token-c4b2',
};

test('planted secrets appear in no log line, scrape, health or debug page, nor in OTLP', {
  timeout: 60_000,
}, async (t) => {
  const receiver = await OtlpReceiver.start();
  t.after(() => receiver.stop());
  const refused = await closedPort();
  const dir = await mkdtemp(join(tmpdir(), 'ssm-secrets-'));
  const file = join(dir, 'config.yaml');
  await writeFile(
    file,
    `server:
  address: "127.0.0.1:0"
logging:
  level: trace
debugServer:
  enabled: true
  address: "127.0.0.1:0"
otlp:
  enabled: true
  endpoint: "http://127.0.0.1:${receiver.port}"
  interval: 500ms
  headers:
    authorization: "Bearer ${SECRETS.otlpToken}"
enabledCollectors: [zombie, userbalance, cloudbalance, cockroachlicense]
collectors:
  zombie:
    procPath: ${fixtureProc}
  userbalance:
    checkInterval: 10s
    checkTimeout: 1s
    database:
      dsn: "postgresql://reader:${SECRETS.dbPassword}@127.0.0.1:${refused}/accounts?sslmode=disable"
    users: [{uid: user001, owner: jane}]
  cloudbalance:
    checkInterval: 10s
    checkTimeout: 1s
    accounts:
      - provider: alicloud
        accountId: acct-1
        accessKeyId: LTAI-not-secret
        accessKeySecret: "${SECRETS.cloudSecret}"
        endpoint: "127.0.0.1:${refused}"
  cockroachlicense:
    checkInterval: 10s
    clusters:
      - name: crdb
        dsn: "postgresql://root:\${env:SSM_TEST_PW}@127.0.0.1:${refused}/defaultdb?sslmode=disable"
`,
  );
  const logs = harnessLogs();
  const app = await App.start({ file, env: { SSM_TEST_PW: SECRETS.envPassword }, logs });
  t.after(() => app.stop());
  const base = `http://127.0.0.1:${app.server.address().port}`;

  // Every failing collector has failed once (its error is in /health), and OTLP has exported.
  const health = await eventually(async () => {
    const response = await get(`${base}/health`);
    const report = JSON.parse(response.body) as { errors?: Record<string, string> };
    const failed = Object.keys(report.errors ?? {});
    return ['userbalance', 'cloudbalance', 'cockroachlicense'].every((name) => failed.includes(name))
      ? response.body
      : undefined;
  }, 20_000);
  await receiver.waitFor((e) => e.points.length > 0);

  const debug = app.loopbackAddress('debugServer');
  assert.ok(debug);
  const logText = logs.lines.join('');
  const channels: Record<string, string> = {
    logs: logText,
    metrics: (await get(`${base}/metrics`)).body,
    openmetrics: (await get(`${base}/metrics`, { accept: 'application/openmetrics-text' })).body,
    health,
    debugPage: (await get(`http://127.0.0.1:${debug.port}/`)).body,
    debugState: (await get(`http://127.0.0.1:${debug.port}/state.json`)).body,
    // The bearer token is meant for the Collector as gRPC metadata; it must not be in the data.
    otlp: JSON.stringify(receiver.exports.map(({ resource, points }) => ({ resource, points }))),
  };
  assert.ok(
    logText.includes('"level":"trace"') || logText.includes('"level":"debug"'),
    'not logging at trace',
  );
  assert.match(health, /userbalance/);
  for (const [channel, text] of Object.entries(channels)) {
    for (const [name, secret] of Object.entries(SECRETS)) {
      assert.ok(!text.includes(secret), `${name} leaked into ${channel}`);
    }
  }
  // The token did reach the Collector, where it belongs.
  assert.equal(receiver.exports[0]?.metadata.authorization, `Bearer ${SECRETS.otlpToken}`);
});
