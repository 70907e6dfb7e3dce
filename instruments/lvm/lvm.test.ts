import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { assertGolden, harness, samples } from '../../test/support/harness.js';
import { lvmConfig } from './config.js';
import { lvm } from './lvm.js';
import { parseVgsReport } from './vgs.js';

const testdata = fileURLToPath(new URL('./testdata/', import.meta.url));
const fake = (mode: string, report = 'two-vgs-with-log.json') => [
  'sh',
  join(testdata, 'fake-vgs.sh'),
  mode,
  join(testdata, report),
];

test('parses real vgs JSON reports strictly', async () => {
  // Captured from LVM 2.03.16 on a 64 MiB loop device.
  assert.deepEqual(parseVgsReport(await readFile(join(testdata, 'lvm-2.03.16.json'), 'utf8')), [
    {
      name: 'ssmtest',
      sizeBytes: 62914560,
      freeBytes: 62914560,
      metadataSizeBytes: 1044480,
      metadataFreeBytes: 520704,
    },
  ]);
  // The same report shape with the command log section LVM adds when report_command_log is on (hand-written).
  assert.deepEqual(
    parseVgsReport(await readFile(join(testdata, 'two-vgs-with-log.json'), 'utf8')).map((g) => [
      g.name,
      g.sizeBytes,
      g.freeBytes,
    ]),
    [
      ['data', 1099507433472, 549755813888],
      ['lvmvg', 214744170496, 0],
    ],
  );
  // json_std (LVM >= 2.03.17) reports numbers as numbers.
  assert.equal(
    parseVgsReport(
      '{"report":[{"vg":[{"vg_name":"a","vg_size":100,"vg_free":50,"vg_mda_size":10,"vg_mda_free":5}]}]}',
    )[0]?.freeBytes,
    50,
  );
  assert.deepEqual(parseVgsReport('{"report":[{"vg":[]}]}'), []);
});

test('a report that is not byte counts is an error naming the group, field and value', () => {
  const cases: [string, RegExp][] = [
    ['not json', /not JSON/],
    ['{"nope":1}', /no "report" list/],
    ['{"report":[{"vg":{}}]}', /"vg" is not a list/],
    ['{"report":[{"vg":[{"vg_size":"1"}]}]}', /has no vg_name/],
    [
      '{"report":[{"vg":[{"vg_name":"data","vg_size":"10.00g","vg_free":"0","vg_mda_size":"0","vg_mda_free":"0"}]}]}',
      /volume group "data": vg_size is "10\.00g", not a byte count/,
    ],
    [
      '{"report":[{"vg":[{"vg_name":"data","vg_size":"1","vg_free":-1,"vg_mda_size":"0","vg_mda_free":"0"}]}]}',
      /vg_free is -1/,
    ],
  ];
  for (const [text, error] of cases) assert.throws(() => parseVgsReport(text), error, text);
});

function start(config: Record<string, unknown>) {
  const h = harness();
  const instrument = lvm.create(h.context('lvm'), lvmConfig.parse(config));
  return { h, instrument };
}

test('exports node totals and per-group sizes from the command (golden)', async () => {
  const { h, instrument } = start({ command: fake('ok') });
  await instrument.collectNow();
  assert.deepEqual(instrument.health(), { state: 'healthy' });
  await assertGolden(
    `${samples(await h.scrape(), 'sealos_lvm').join('\n')}\n`,
    new URL('./testdata/two-vgs.prom', import.meta.url),
  );
});

const ZERO_TOTALS = [
  'sealos_lvm_vgs_metadata_free{node="node-a"} 0',
  'sealos_lvm_vgs_metadata_size{node="node-a"} 0',
  'sealos_lvm_vgs_total_capacity{node="node-a"} 0',
  'sealos_lvm_vgs_total_free{node="node-a"} 0',
];

test('failures become a health state; before any report the totals read 0, as in the original', async () => {
  const cases: [string[], number | undefined, RegExp][] = [
    [fake('fail'), undefined, /"sh" exited 5: Volume group "nope" not found/],
    [fake('hang'), 300, /did not finish within 300 ms/],
    [['/nonexistent/vgs'], undefined, /command "\/nonexistent\/vgs" not found \(collectors\.lvm\.command\)/],
    [fake('garbage'), undefined, /vgs report is not JSON/],
  ];
  for (const [command, timeoutMs, reason] of cases) {
    const { h, instrument } = start({ command, ...(timeoutMs ? { timeout: `${timeoutMs}ms` } : {}) });
    const started = Date.now();
    await instrument.collectNow();
    assert.ok(Date.now() - started < 5000, 'bounded by the timeout');
    assert.equal(instrument.health().state, 'unhealthy');
    assert.match(instrument.health().reason ?? '', reason);
    const body = await h.scrape();
    assert.deepEqual(samples(body, 'sealos_lvm'), ZERO_TOTALS, `after a failure of ${command.join(' ')}`);
    assert.ok(samples(body).includes('state_metric_collector_success{collector="lvm",instance="test-0"} 0'));
  }
});

test('a good run brings the values; a failed run after it keeps them, as the original', async () => {
  const marker = join(tmpdir(), `ssm-lvm-flaky-${process.pid}`);
  const { h, instrument } = start({ command: [...fake('flaky'), marker] });
  await instrument.collectNow();
  assert.equal(instrument.health().state, 'unhealthy');
  assert.deepEqual(samples(await h.scrape(), 'sealos_lvm'), ZERO_TOTALS);
  await instrument.collectNow();
  assert.deepEqual(instrument.health(), { state: 'healthy' });
  const good = samples(await h.scrape(), 'sealos_lvm');
  assert.ok(good.includes('sealos_lvm_vgs_total_capacity{node="node-a"} 1314251603968'), good.join('\n'));
  execFileSync('rm', ['-f', marker]);
  await instrument.collectNow();
  assert.equal(instrument.health().state, 'unhealthy');
  const body = await h.scrape();
  assert.deepEqual(samples(body, 'sealos_lvm'), good);
  assert.ok(samples(body).includes('state_metric_collector_success{collector="lvm",instance="test-0"} 0'));
});

test('warnings on stderr keep the data and show in health', async () => {
  const { h, instrument } = start({ command: fake('noisy') });
  await instrument.collectNow();
  assert.equal(instrument.health().state, 'healthy');
  assert.match(instrument.health().reason ?? '', /vgs warned: WARNING: Device \/dev\/sdz/);
  assert.equal(samples(await h.scrape(), 'sealos_lvm_vg_size_bytes').length, 2);
});

test('a real vgs on loop devices made by the test', async (t) => {
  // Root with loop devices is what this machine kind gives; the test says so plainly if not.
  const image = join(tmpdir(), `ssm-lvm-${process.pid}.img`);
  const vg = `ssm-test-${process.pid}`;
  const run = (...args: string[]) =>
    execFileSync(args[0] as string, args.slice(1), {
      env: { ...process.env, LVM_SUPPRESS_FD_WARNINGS: '1' },
      stdio: 'pipe',
    })
      .toString()
      .trim();
  run('truncate', '-s', '64M', image);
  let device: string;
  try {
    device = run('losetup', '-f', '--show', image);
  } catch (error) {
    assert.fail(`cannot make a loop device here (needs root and /dev/loop*): ${(error as Error).message}`);
  }
  t.after(() => {
    for (const cleanup of [
      ['vgremove', '-f', vg],
      ['pvremove', '-f', device],
      ['losetup', '-d', device],
      ['rm', '-f', image],
    ]) {
      try {
        run(...cleanup);
      } catch {
        // best effort
      }
    }
  });
  run('pvcreate', device);
  run('vgcreate', vg, device);
  const { h, instrument } = start({ command: ['vgs', vg] });
  await instrument.collectNow();
  assert.deepEqual(instrument.health(), { state: 'healthy' });
  const body = await h.scrape();
  assert.ok(samples(body).includes(`sealos_lvm_vg_size_bytes{node="node-a",vg="${vg}"} 62914560`), body);
  assert.ok(samples(body).includes('sealos_lvm_vgs_total_capacity{node="node-a"} 62914560'));
  assert.ok(samples(body).includes('sealos_lvm_vgs_total_free{node="node-a"} 62914560'));
});
