import assert from 'node:assert/strict';
import { test } from 'node:test';
import protobuf from 'protobufjs/minimal.js';
import { assertGolden, harness, samples } from '../../test/support/harness.js';
import { PgWireServer, type QueryAnswer } from '../../test/support/pg-wire.js';
import { cockroachlicense } from './cockroachlicense.js';
import { cockroachlicenseConfig } from './config.js';
import { decodeLicense } from './license.js';

const NOW_SECONDS = 1_795_600_000; // 2026-11-25
const uuidBytes = (hex: string) => Buffer.from(hex.replaceAll('-', ''), 'hex');

/** Builds a license the way CockroachDB encodes one: protobuf License, unpadded base64, crl-0- prefix. */
function buildLicense(fields: {
  validUntil?: number;
  type?: number;
  organizationName?: string;
  environment?: number;
  licenseId?: string;
  organizationId?: string;
  clusterId?: string;
}): string {
  const writer = protobuf.Writer.create();
  if (fields.clusterId) writer.uint32((1 << 3) | 2).bytes(uuidBytes(fields.clusterId));
  if (fields.validUntil !== undefined) writer.uint32((2 << 3) | 0).int64(fields.validUntil);
  if (fields.type !== undefined) writer.uint32((3 << 3) | 0).int32(fields.type);
  if (fields.organizationName !== undefined) writer.uint32((4 << 3) | 2).string(fields.organizationName);
  if (fields.environment !== undefined) writer.uint32((5 << 3) | 0).int32(fields.environment);
  if (fields.licenseId) writer.uint32((6 << 3) | 2).bytes(uuidBytes(fields.licenseId));
  if (fields.organizationId) writer.uint32((7 << 3) | 2).bytes(uuidBytes(fields.organizationId));
  return `crl-0-${Buffer.from(writer.finish()).toString('base64').replace(/=+$/, '')}`;
}

const enterprise = buildLicense({
  clusterId: '11111111-2222-3333-4444-555555555555',
  validUntil: NOW_SECONDS + 30 * 86_400,
  type: 1,
  organizationName: 'Sealos Inc',
  environment: 1,
  licenseId: '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0',
  organizationId: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
});

test('decodes licenses built as CockroachDB builds them; bad ones are errors that never quote the license', () => {
  assert.deepEqual(decodeLicense(enterprise), {
    validUntilUnixSec: NOW_SECONDS + 30 * 86_400,
    type: 'Enterprise',
    typeValue: 1,
    organizationName: 'Sealos Inc',
    environment: 'production',
    licenseId: '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0',
    organizationId: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
  });
  assert.equal(decodeLicense(buildLicense({ type: 0 }))?.type, 'NonCommercial');
  assert.equal(decodeLicense(buildLicense({ type: 0 }))?.typeValue, 5);
  assert.equal(decodeLicense(buildLicense({ type: 9, environment: 7 }))?.type, 'Unknown');
  assert.equal(decodeLicense(buildLicense({ environment: 7 }))?.environment, 'other');
  assert.equal(decodeLicense(''), undefined);
  const bad: [string, RegExp][] = [
    ['abc-secret', /does not start with "crl-0-"/],
    ['crl-0-@@@@', /not unpadded base64/],
    // RawStdEncoding: padding, and a length no base64 has, are refused.
    [`crl-0-${Buffer.from([0x10, 0x04]).toString('base64')}`, /not unpadded base64/],
    ['crl-0-EAQxx', /not unpadded base64/],
    [`crl-0-${Buffer.from([0x32, 0x05, 0x01]).toString('base64url')}`, /not a valid License message/],
    [
      `crl-0-${Buffer.from([0x32, 0x03, 1, 2, 3]).toString('base64url')}`,
      /license_id is 3 bytes, not a 16-byte UUID/,
    ],
    [`crl-0-${Buffer.from([0x12, 0x01]).toString('base64url')}`, /valid_until_unix_sec has wire type 2/],
  ];
  for (const [text, error] of bad) {
    assert.throws(
      () => decodeLicense(text),
      (e: Error) => error.test(e.message) && !e.message.includes(text.slice(6)),
      text,
    );
  }
});

// labring/sealos-state-metrics pkg/collector/cockroachlicense/license_test.go, case by case.
test("the original's license tests: TestDecodeLicense and TestDecodeLicenseRejectsOverflowingVarints", () => {
  const ids = {
    licenseId: '00010203-0405-0607-0809-0a0b0c0d0e0f',
    organizationId: '10111213-1415-1617-1819-1a1b1c1d1e1f',
  };
  const decoded = decodeLicense(
    buildLicense({ validUntil: 1781428138, type: 4, organizationName: 'unit-test', environment: 3, ...ids }),
  );
  assert.deepEqual(
    [decoded?.type, decoded?.validUntilUnixSec, decoded?.licenseId, decoded?.organizationId],
    ['Trial', 1781428138, ids.licenseId, ids.organizationId],
  );
  /** One varint field (tag, then the value's varint bytes) as a license string. */
  const varintField = (field: number, value: bigint) => {
    const bytes = [(field << 3) | 0];
    let rest = value;
    do {
      const low = Number(rest & 0x7fn);
      rest >>= 7n;
      bytes.push(rest > 0n ? low | 0x80 : low);
    } while (rest > 0n);
    return `crl-0-${Buffer.from(bytes).toString('base64').replace(/=+$/, '')}`;
  };
  const overflowing: [number, bigint, RegExp][] = [
    [2, 2n ** 63n, /valid_until field overflow/],
    [3, 2n ** 31n, /type field overflow/],
    [5, 2n ** 31n, /environment field overflow/],
  ];
  for (const [field, value, error] of overflowing)
    assert.throws(() => decodeLicense(varintField(field, value)), error, `field ${field}`);
  // The largest values that fit are taken.
  assert.equal(decodeLicense(varintField(3, 2n ** 31n - 1n))?.type, 'Unknown');
  assert.equal(decodeLicense(varintField(2, 2n ** 53n))?.validUntilUnixSec, 2 ** 53);
  // A negative int32, as protobuf writes one (ten bytes), is an overflow there and here.
  assert.throws(() => decodeLicense(buildLicense({ type: -1 })), /type field overflow/);
});

async function setup(t: { after(fn: () => unknown): void }, answers: Record<string, QueryAnswer>) {
  const servers: Record<string, PgWireServer> = {};
  for (const [name, answer] of Object.entries(answers)) {
    servers[name] = await PgWireServer.start(() => answer);
    t.after(() => servers[name]?.stop());
  }
  const clusters = Object.keys(answers).map((name) => ({
    name,
    dsn: `postgresql://root:s3cret-pw@127.0.0.1:${servers[name]?.port}/defaultdb?sslmode=disable`,
  }));
  clusters.push({
    name: 'unreachable',
    dsn: 'postgresql://root:s3cret-pw@127.0.0.1:1/defaultdb?sslmode=disable',
  });
  const h = harness();
  const instrument = cockroachlicense.create(
    { ...h.context('cockroachlicense'), clock: { now: () => NOW_SECONDS * 1000 } },
    cockroachlicenseConfig.parse({ clusters, checkTimeout: '2s' }),
  );
  await instrument.collectNow();
  return { h, instrument, servers };
}

test('every cluster has its six series: valid, expiring, expired, none, unreadable (golden); the license is never exported', async (t) => {
  const column = 'enterprise.license';
  const { h, instrument, servers } = await setup(t, {
    production: { column, rows: [enterprise] },
    // Valid three days more: what the dashboard's "expires within 7 days" panel counts.
    evaluation: {
      column,
      rows: [buildLicense({ validUntil: NOW_SECONDS + 3 * 86_400, type: 2, organizationName: 'Sealos Inc' })],
    },
    staging: {
      column,
      rows: [
        buildLicense({
          validUntil: NOW_SECONDS - 86_400,
          type: 4,
          organizationName: 'Sealos Inc',
          environment: 3,
        }),
      ],
    },
    unlicensed: { column, rows: [''] },
    garbled: { column, rows: ['crl-0-@@@@'] },
  });
  assert.deepEqual(servers.production?.queries, ['SHOW CLUSTER SETTING enterprise.license']);
  const body = await h.scrape();
  await assertGolden(
    `${samples(body, 'sealos_cockroach').join('\n')}\n`,
    new URL('./testdata/clusters.prom', import.meta.url),
  );
  assert.ok(!body.includes(enterprise.slice(6, 30)), 'the raw license is in the output');
  const health = instrument.health();
  assert.equal(health.state, 'unhealthy');
  assert.match(health.reason ?? '', /garbled: the license payload is not unpadded base64/);
  assert.match(health.reason ?? '', /unreachable: .*ECONNREFUSED/);
  assert.ok(!(health.reason ?? '').includes('s3cret-pw'));
});
