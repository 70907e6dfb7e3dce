/**
 * The OTLP receiver away: killed and refusing connections for many intervals, then back on the
 * same port; and one that takes export calls and never answers. The process keeps serving
 * /metrics, reconnects with backoff instead of once an interval, holds no more memory or handles
 * at the end of the outage than at its start, and pushes the current state (counters included,
 * so no count is lost) once the receiver is back. A hung call is cut at the export timeout.
 */
import assert from 'node:assert/strict';
import { createHook } from 'node:async_hooks';
import { createServer, type Server } from 'node:net';
import { test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { App } from '../../lib/app.js';
import { harnessLogs } from '../support/app.js';
import { get } from '../support/http.js';
import { OtlpReceiver, type ReceivedExport } from '../support/otlp-receiver.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const fixtureProc = new URL('../../instruments/zombie/testdata/proc', import.meta.url).pathname;

function env(port: number, intervalMs: number, timeoutMs: number): Record<string, string> {
  return {
    SERVER_ADDRESS: '127.0.0.1:0',
    COLLECTORS_ZOMBIE_PROC_PATH: fixtureProc,
    COLLECTORS_ZOMBIE_CHECK_INTERVAL: '1h',
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
    OTEL_METRIC_EXPORT_INTERVAL: String(intervalMs),
    OTEL_EXPORTER_OTLP_TIMEOUT: String(timeoutMs),
  };
}

/** Sockets and timers alive now (created and not destroyed), by type. */
const live = new Map<number, string>();
createHook({
  init: (id, type) => {
    if (type === 'Timeout' || type === 'TCPWRAP' || type === 'HTTP2SESSION') live.set(id, type);
  },
  destroy: (id) => {
    live.delete(id);
  },
}).enable();
const handleCount = () => live.size;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function failures(body: string): number {
  return Number(/^state_metric_otlp_exports_total\{result="failure"\} (\d+)$/m.exec(body)?.[1] ?? Number.NaN);
}

function exportedFailures(received: ReceivedExport): number {
  const point = received.points.find(
    (p) => p.metric === 'state_metric_otlp_exports' && p.attributes.result === 'failure',
  );
  return point?.value ?? Number.NaN;
}

/** A port that takes connections and drops them at once: a Collector crash-looping behind a Service. */
async function refusing(port: number): Promise<{ server: Server; attempts: number[] }> {
  const attempts: number[] = [];
  const server = createServer((socket) => {
    attempts.push(performance.now());
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { server, attempts };
}

test('the receiver away for many intervals, then back: backoff, bounded, the current state resumes', {
  timeout: 90_000,
}, async (t) => {
  const INTERVAL_MS = 200;
  const OUTAGE_MS = 15_000;
  let receiver = await OtlpReceiver.start();
  const port = receiver.port;
  const logs = harnessLogs();
  const app = await App.start({ env: env(port, INTERVAL_MS, 1000), logs });
  t.after(async () => {
    await app.stop();
    receiver.kill();
  });
  const scrape = async () => {
    const response = await get(`http://127.0.0.1:${app.server.address().port}/metrics`);
    assert.equal(response.status, 200);
    return response.body;
  };
  await receiver.waitFor(() => true, 5000);

  receiver.kill();
  const away = await refusing(port);
  const outageStarted = performance.now();
  await sleep(2000);
  gc();
  const heapAtStart = process.memoryUsage().heapUsed;
  const handlesAtStart = handleCount();
  await sleep(OUTAGE_MS - 2000);
  gc();
  const heapGrowthMiB = (process.memoryUsage().heapUsed - heapAtStart) / 2 ** 20;
  const handlesAtEnd = handleCount();
  const during = await scrape();
  await new Promise<void>((resolve) => away.server.close(() => resolve()));
  t.diagnostic(
    `OTLP outage of ${OUTAGE_MS} ms: ${away.attempts.length} reconnects, heap ${heapGrowthMiB.toFixed(2)} MiB, handles ${handlesAtStart} -> ${handlesAtEnd}`,
  );

  await t.test('the pull path serves throughout and counts the failed exports', () => {
    assert.ok(failures(during) >= 3, `failures counted: ${failures(during)}`);
  });

  await t.test('reconnects back off instead of coming once an interval', () => {
    const intervals = OUTAGE_MS / INTERVAL_MS;
    assert.ok(away.attempts.length >= 3, `${away.attempts.length} connection attempts`);
    assert.ok(
      away.attempts.length <= intervals / 5,
      `${away.attempts.length} connection attempts in ${intervals} intervals`,
    );
    const gaps = away.attempts.slice(1).map((at, i) => at - (away.attempts[i] ?? 0));
    const last = gaps.at(-1) ?? 0;
    assert.ok(last > (gaps[0] ?? 0) * 2, `the waits between attempts do not grow: ${gaps.map(Math.round)}`);
    assert.ok((away.attempts[0] ?? 0) - outageStarted < 2000, 'the first reconnect is prompt');
  });

  await t.test('memory and handles do not grow while the receiver is away', () => {
    assert.ok(heapGrowthMiB < 4, `heap grew ${heapGrowthMiB.toFixed(1)} MiB during the outage`);
    assert.ok(handlesAtEnd <= handlesAtStart + 3, `handles ${handlesAtStart} -> ${handlesAtEnd}`);
  });

  await t.test('once back, the current state arrives, with every failure counted', async () => {
    const failedBeforeReturn = failures(await scrape());
    const returned = performance.now();
    receiver = await OtlpReceiver.start({ port });
    const received = await receiver.waitFor(() => true, 20_000);
    const resumedAfterMs = performance.now() - returned;
    t.diagnostic(`OTLP: resumed ${Math.round(resumedAfterMs)} ms after the receiver came back`);
    assert.ok(exportedFailures(received) >= failedBeforeReturn, 'the failure count went backwards');
    assert.ok(received.points.some((p) => p.metric === 'sealos_zombie_processes'));
    // One warning when the failures began (the next would be a minute later), one line at recovery.
    const lines = logs.lines.map((line) => JSON.parse(line) as { level: string; msg: string });
    assert.equal(lines.filter((l) => l.msg.startsWith('OTLP export failed')).length, 1);
    await receiver.waitFor(() => true, 2000);
    await sleep(INTERVAL_MS * 2);
    assert.equal(logs.lines.filter((line) => line.includes('OTLP export succeeds again')).length, 1);
  });
});

test('a receiver that never answers: each call is cut at the export timeout, none pile up', {
  timeout: 30_000,
}, async (t) => {
  const receiver = await OtlpReceiver.start({ hang: true });
  const TIMEOUT_MS = 800;
  // An interval shorter than the timeout: calls overlap, but only as many as fit in one timeout.
  const app = await App.start({ env: env(receiver.port, 300, TIMEOUT_MS), logs: harnessLogs() });
  t.after(async () => {
    await app.stop();
    receiver.kill();
  });
  await sleep(4000);
  const started = performance.now();
  const response = await get(`http://127.0.0.1:${app.server.address().port}/metrics`);
  const scrapeMs = performance.now() - started;
  assert.equal(response.status, 200);
  assert.ok(scrapeMs < 500, `a scrape took ${Math.round(scrapeMs)} ms while exports hung`);
  assert.ok(receiver.calls >= 3, `${receiver.calls} export calls`);
  assert.ok(receiver.cancelledAfterMs.length >= 2, 'no call was cut');
  for (const heldMs of receiver.cancelledAfterMs) {
    assert.ok(
      heldMs <= TIMEOUT_MS + 300,
      `a call was held ${Math.round(heldMs)} ms with a ${TIMEOUT_MS} ms timeout`,
    );
  }
  assert.ok(receiver.heldPeak <= Math.ceil(TIMEOUT_MS / 300) + 1, `${receiver.heldPeak} calls held at once`);
  t.diagnostic(`hung receiver: ${receiver.calls} calls, at most ${receiver.heldPeak} held at once`);
  assert.ok(failures(response.body) >= 2, `failures counted: ${failures(response.body)}`);
});
