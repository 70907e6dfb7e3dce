import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  alicloudCheck,
  alicloudError,
  alicloudOk,
  FakeProviderApi,
  tencentCheck,
  tencentError,
  tencentOk,
  volcengineCheck,
  volcengineError,
  volcengineOk,
} from '../../test/support/cloud-apis.js';
import { assertGolden, harness, samples } from '../../test/support/harness.js';
import { centsToUnits, parseDecimalAmount } from './amounts.js';
import { cloudbalance } from './cloudbalance.js';
import { cloudbalanceConfig } from './config.js';

test('amounts are parsed as the providers document them', () => {
  assert.equal(parseDecimalAmount('x', '1580.50'), 1580.5);
  assert.equal(parseDecimalAmount('x', '10,000.00'), 10000);
  assert.equal(parseDecimalAmount('x', '-125.30'), -125.3);
  assert.equal(parseDecimalAmount('x', 12.5), 12.5);
  for (const bad of ['', '1.2.3', 'CNY 5', '1,00', null])
    assert.throws(() => parseDecimalAmount('AvailableAmount', bad), /AvailableAmount is .*not an amount/);
  assert.equal(centsToUnits('x', 234088), 2340.88);
  assert.throws(() => centsToUnits('RealBalance', '234088'), /RealBalance is "234088", not cents/);
});

test('config: one of each credential pair, no duplicate accounts, known providers', () => {
  const base = { provider: 'tencentcloud', accountId: 'a', accessKeyId: 'AKID', accessKeySecret: 's' };
  assert.equal(cloudbalanceConfig.safeParse({ accounts: [base] }).success, true);
  const issues = (input: unknown) =>
    cloudbalanceConfig.safeParse(input).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`) ?? [];
  assert.match(
    issues({ accounts: [{ ...base, accessKeySecretFile: '/x' }] }).join(),
    /accounts\.0: set exactly one of accessKeySecret and accessKeySecretFile/,
  );
  assert.match(issues({ accounts: [base, base] }).join(), /the same provider\/accountId twice/);
  assert.match(issues({ accounts: [{ ...base, provider: 'aws' }] }).join(), /accounts\.0\.provider/);
  assert.match(
    issues({ accounts: [{ ...base, endpoint: '127.0.0.1:8080' }] }).join(),
    /accounts\.0\.endpoint: a tencentcloud endpoint must be a billing\.\* host/,
  );
});

/**
 * Tencent's real host name over HTTPS, reached through the stand-in's forward proxy: the Tencent
 * SDK signs with the endpoint host's first label, so an IP endpoint cannot be used.
 */
const viaFake = (api: FakeProviderApi) => ({
  endpoint: 'https://billing.tencentcloudapi.com',
  proxy: api.proxyUrl,
});

async function run(accounts: Record<string, unknown>[], timeout = '2s') {
  const h = harness();
  const instrument = cloudbalance.create(
    h.context('cloudbalance'),
    cloudbalanceConfig.parse({ accounts, checkTimeout: timeout }),
  );
  await instrument.collectNow();
  return { h, instrument, body: await h.scrape() };
}

test('Tencent Cloud: DescribeAccountBalance through the SDK, RealBalance in cents', async (t) => {
  const api = await FakeProviderApi.start(tencentCheck('AKIDtencent'), {
    kind: 'ok',
    body: tencentOk(234088),
  });
  t.after(() => api.stop());
  const { instrument, body } = await run([
    {
      provider: 'tencentcloud',
      accountId: 'tencent-prod',
      accessKeyId: 'AKIDtencent',
      accessKeySecret: 'tc-secret',
      regionId: 'ap-guangzhou',
      ...viaFake(api),
    },
  ]);
  assert.deepEqual(
    api.seen.map((r) => r.problems),
    [[]],
    'the SDK sent a well-formed, signed request',
  );
  assert.equal(api.seen[0]?.headers['x-tc-region'], 'ap-guangzhou');
  assert.deepEqual(instrument.health(), { state: 'healthy' });
  // 234088 cents: 2340.88.
  await assertGolden(
    `${samples(body, 'sealos_cloudbalance').join('\n')}\n`,
    new URL('./testdata/tencentcloud.prom', import.meta.url),
  );
});

test('a failing account drops its balance, shows why, and never leaks the secret', async (t) => {
  const api = await FakeProviderApi.start(tencentCheck('AKIDtencent'), { kind: 'ok', body: tencentOk(100) });
  t.after(() => api.stop());
  const dir = await mkdtemp(join(tmpdir(), 'ssm-cloud-'));
  await writeFile(join(dir, 'secret'), 'file-secret-value\n');
  const h = harness();
  const accounts = [
    {
      provider: 'tencentcloud',
      accountId: 'ok',
      accessKeyId: 'AKIDtencent',
      accessKeySecretFile: join(dir, 'secret'),
      ...viaFake(api),
    },
    {
      provider: 'tencentcloud',
      accountId: 'no-file',
      accessKeyId: 'AKIDtencent',
      accessKeySecretFile: join(dir, 'missing'),
      ...viaFake(api),
    },
  ];
  const instrument = cloudbalance.create(
    h.context('cloudbalance'),
    cloudbalanceConfig.parse({ accounts, checkTimeout: '1s' }),
  );
  await instrument.collectNow();
  assert.deepEqual(samples(await h.scrape(), 'sealos_cloudbalance'), [
    'sealos_cloudbalance_balance{provider="tencentcloud",account_id="ok"} 1',
  ]);
  assert.match(
    instrument.health().reason ?? '',
    /tencentcloud\/no-file: accessKeySecretFile ".*missing": cannot read: ENOENT/,
  );

  for (const [behaviour, reason] of [
    [
      {
        kind: 'error',
        status: 200,
        body: tencentError(
          'AuthFailure.SignatureFailure',
          'The provided credentials could not be validated.',
        ),
      },
      /AuthFailure|credentials could not be validated/,
    ],
    [
      {
        kind: 'error',
        status: 200,
        body: tencentError('RequestLimitExceeded', 'Your current request times exceeds the limit.'),
      },
      /RequestLimitExceeded|exceeds the limit/,
    ],
    [{ kind: 'error', status: 502, body: { message: 'bad gateway' } }, /502|Bad Gateway|bad gateway/i],
    [{ kind: 'hang' }, /no answer within 1000 ms|timeout|timed out/i],
  ] as const) {
    api.behaviour = behaviour as never;
    await instrument.collectNow();
    const body = await h.scrape();
    assert.deepEqual(
      samples(body, 'sealos_cloudbalance'),
      [],
      `a stale balance survived ${JSON.stringify(behaviour)}`,
    );
    assert.match(instrument.health().reason ?? '', reason);
    assert.ok(
      samples(body).includes('state_metric_collector_success{collector="cloudbalance",instance="test-0"} 0'),
    );
    assert.ok(!(instrument.health().reason ?? '').includes('file-secret-value'));
  }
});

interface ProviderScenario {
  readonly check: Parameters<typeof FakeProviderApi.start>[0];
  readonly ok: unknown;
  readonly account: Record<string, unknown>;
  readonly expected: string;
  /** Error answers as the provider gives them, and what the health reason must say. */
  readonly errors: readonly [status: number, body: unknown, reason: RegExp][];
}

/** One account against a provider stand-in: a good answer, then each documented error. */
async function providerScenario(t: { after(fn: () => unknown): void }, scenario: ProviderScenario) {
  const api = await FakeProviderApi.start(scenario.check, { kind: 'ok', body: scenario.ok });
  t.after(() => api.stop());
  const account = { ...scenario.account, endpoint: api.endpoint };
  const { instrument, body } = await run([account]);
  assert.deepEqual(
    api.seen.map((r) => r.problems),
    [[]],
    'the SDK sent a well-formed, signed request',
  );
  assert.deepEqual(instrument.health(), { state: 'healthy' });
  assert.deepEqual(samples(body, 'sealos_cloudbalance'), [scenario.expected]);
  for (const [status, errorBody, reason] of scenario.errors) {
    api.behaviour = { kind: 'error', status, body: errorBody };
    const failed = await run([account]);
    assert.deepEqual(
      samples(failed.body, 'sealos_cloudbalance'),
      [],
      `a balance survived ${JSON.stringify(errorBody)}`,
    );
    assert.match(failed.instrument.health().reason ?? '', reason);
  }
}

test('Alibaba Cloud: BSS QueryAccountBalance through the SDK, amounts with thousands separators', (t) =>
  providerScenario(t, {
    check: alicloudCheck('LTAIalibaba'),
    ok: alicloudOk('10,580.50'),
    account: {
      provider: 'alicloud',
      accountId: 'aliyun-prod',
      accessKeyId: 'LTAIalibaba',
      accessKeySecret: 'ali-secret',
      regionId: 'cn-hangzhou',
    },
    expected: 'sealos_cloudbalance_balance{provider="alicloud",account_id="aliyun-prod"} 10580.5',
    errors: [
      [
        404,
        alicloudError('InvalidAccessKeyId.NotFound', 'Specified access key is not found.'),
        /alicloud\/aliyun-prod: .*(InvalidAccessKeyId\.NotFound|access key is not found)/,
      ],
      [400, alicloudError('Throttling.User', 'Request was denied due to user flow control.'), /Throttling/],
    ],
  }));

test('VolcEngine: billing QueryBalanceAcct through the SDK, negative when in arrears', (t) =>
  providerScenario(t, {
    check: volcengineCheck('AKLTvolc', 'cn-beijing'),
    ok: volcengineOk('-125.30'),
    account: {
      provider: 'volcengine',
      accountId: 'volc-prod',
      accessKeyId: 'AKLTvolc',
      accessKeySecret: 'volc-secret',
      regionId: 'cn-beijing',
    },
    expected: 'sealos_cloudbalance_balance{provider="volcengine",account_id="volc-prod"} -125.3',
    errors: [
      [
        401,
        volcengineError('InvalidAccessKey', 'The AccessKey is invalid'),
        /volcengine\/volc-prod: .*InvalidAccessKey/,
      ],
      [200, volcengineError('AccountFlowLimitExceeded', 'Request is throttled'), /AccountFlowLimitExceeded/],
    ],
  }));
