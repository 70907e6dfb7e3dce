/**
 * The process measured by bench/world.ts, compiled and run with plain node as the image runs
 * it: the compiled application (loaded from the build directory given), started on a config
 * file with the pod's environment and service-account directory, with an event-loop delay
 * monitor. It answers its parent over IPC:
 *   ready     -> sync figures, once every collector is healthy
 *   mark      -> resets the stall monitor (a scrape window starts)
 *   report    -> longest stall since `mark`, RSS, heap
 *   rss       -> RSS now and its peak so far (VmHWM), without a forced GC
 *   otlp-settle -> waits for a running OTLP export, then exports once (unmeasured)
 *   otlp      -> one OTLP export now: wall time, CPU time (process, main thread), longest stall
 *   sample    -> RSS, heap retained after a full GC, open file descriptors, active handles,
 *                longest stall since the last sample (the soak's readings)
 *   stop      -> graceful stop, exit 0
 * With BENCH_PROFILE_DIR set, the main thread's CPU is profiled from `mark` to `report` (the
 * scrapes) and through `otlp`, into scrape.cpuprofile and otlp.cpuprofile there (Chrome DevTools,
 * speedscope), with the allocations sampled in the same windows (.heapprofile) and the loop's
 * stalls over 20 ms (.stalls.json, read with bench/profile-stalls.ts). Profiling slows what it
 * measures: for where time goes, not for the figures.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import type { App as AppClass } from '../lib/app.js';
import type { LogHub as LogHubClass } from '../lib/log.js';

const [buildDir = '', configPath = '', serviceAccountDir = ''] = process.argv.slice(2);
const load = <T>(path: string) => import(pathToFileURL(join(buildDir, path)).href) as Promise<T>;
const { App } = await load<{ App: typeof AppClass }>('lib/app.js');
const { LogHub } = await load<{ LogHub: typeof LogHubClass }>('lib/log.js');

const send = (message: unknown) => process.send?.(message);
const stalls = monitorEventLoopDelay({ resolution: 5 });
stalls.enable();
/** Garbage-collection pauses since the last mark: how much of a stall is the collector's. */
let longestGcMs = 0;
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) longestGcMs = Math.max(longestGcMs, entry.duration);
}).observe({ entryTypes: ['gc'] });

const started = performance.now();
const app = await App.start({
  file: configPath,
  env: process.env,
  serviceAccountDir,
  logs: new LogHub({ level: 'warn' }),
});
const appStartMs = performance.now() - started;
/** When each collector was first seen healthy, ms after start: informers synced, first rounds done. */
const healthyAtMs: Record<string, number> = {};
for (;;) {
  const health = app.runtime.current.health();
  for (const [name, entry] of Object.entries(health))
    if (entry.state === 'healthy') healthyAtMs[name] ??= performance.now() - started;
  if (Object.values(health).every((entry) => entry.state === 'healthy')) break;
  if (performance.now() - started > 300_000) {
    // A world that cannot get healthy is a broken bench, not a figure.
    console.error(`not every collector healthy after 300 s: ${JSON.stringify(health)}`);
    process.exit(1);
  }
  await new Promise((resolve) => setTimeout(resolve, 20));
}
const healthyMs = performance.now() - started;
send({
  type: 'ready',
  appStartMs,
  healthyMs,
  healthyAtMs,
  port: app.server.address().port,
  rssMiB: process.memoryUsage.rss() / 2 ** 20,
  resident: residentByMapping(),
});

const maxStallMs = () => stalls.max / 1e6;

const profileDir = process.env.BENCH_PROFILE_DIR;
const profiler = profileDir ? new Session() : undefined;
profiler?.connect();
await profiler?.post('Profiler.enable');
let profiling = false;
/**
 * While profiling, every gap of more than STALL_MS between ticks of a 5 ms timer, on the clock
 * V8's profiles use (CLOCK_MONOTONIC, µs): bench/profile-stalls.ts finds the samples inside each
 * gap, which is the one task that held the loop, where the histogram only says how long.
 */
const STALL_MS = 20;
let gaps: { fromUs: number; toUs: number }[] = [];
let gapTimer: NodeJS.Timeout | undefined;
function watchGaps(): void {
  gaps = [];
  let last = Number(process.hrtime.bigint() / 1000n);
  gapTimer = setInterval(() => {
    const now = Number(process.hrtime.bigint() / 1000n);
    if (now - last > STALL_MS * 1000) gaps.push({ fromUs: last, toUs: now });
    last = now;
  }, 5);
}
async function startProfile(): Promise<void> {
  if (!profiler || profiling) return;
  profiling = true;
  await profiler.post('Profiler.start');
  // Every allocation sampled, also what the next collection frees: where the garbage comes from.
  await profiler.post('HeapProfiler.startSampling', {
    samplingInterval: 32 * 1024,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  // After the profiler's own start-up, which holds the loop for ~200 ms.
  watchGaps();
}
async function saveProfile(name: string): Promise<void> {
  if (!profiler || !profiling || !profileDir) return;
  profiling = false;
  const { profile } = await profiler.post('Profiler.stop');
  writeFileSync(join(profileDir, `${name}.cpuprofile`), JSON.stringify(profile));
  const { profile: allocations } = await profiler.post('HeapProfiler.stopSampling');
  writeFileSync(join(profileDir, `${name}.heapprofile`), JSON.stringify(allocations));
  clearInterval(gapTimer);
  writeFileSync(join(profileDir, `${name}.stalls.json`), JSON.stringify(gaps));
}

/** Resident memory by kind of mapping: malloc's heap, anonymous (V8 pages, large mallocs), files. */
function residentByMapping(): Record<string, number> {
  const totals: Record<string, number> = { mallocHeapMiB: 0, anonymousMiB: 0, filesMiB: 0 };
  let kind = 'anonymousMiB';
  for (const line of readFileSync('/proc/self/smaps', 'utf8').split('\n')) {
    const header = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (header) {
      const name = header[1] ?? '';
      kind = name === '[heap]' ? 'mallocHeapMiB' : name.startsWith('/') ? 'filesMiB' : 'anonymousMiB';
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss) {
      const mib = Number(rss[1]) / 1024;
      totals[kind] = (totals[kind] ?? 0) + mib;
      if (kind === 'anonymousMiB' && mib >= 16) {
        totals.anonymousOver16MiB = (totals.anonymousOver16MiB ?? 0) + mib;
        totals.anonymousRegionsOver16 = (totals.anonymousRegionsOver16 ?? 0) + 1;
      }
    }
  }
  return totals;
}

/** The peak resident set since the process started (VmHWM), MiB. */
function peakRssMiB(): number {
  const match = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
  return match ? Number(match[1]) / 1024 : Number.NaN;
}

process.on('message', async (message: { type: string }) => {
  switch (message.type) {
    case 'rss':
      send({ type: 'rss', rssMiB: process.memoryUsage.rss() / 2 ** 20, peakRssMiB: peakRssMiB() });
      break;
    case 'mark':
      await startProfile();
      stalls.reset();
      longestGcMs = 0;
      send({ type: 'marked' });
      break;
    case 'report': {
      const maxStall = maxStallMs();
      await saveProfile('scrape');
      const memory = process.memoryUsage();
      // What the process holds, without the garbage the scrapes left behind.
      (globalThis as { gc?: () => void }).gc?.();
      send({
        type: 'report',
        maxStallMs: maxStall,
        longestGcMs,
        rssMiB: memory.rss / 2 ** 20,
        heapUsedMiB: memory.heapUsed / 2 ** 20,
        heapTotalMiB: memory.heapTotal / 2 ** 20,
        externalMiB: memory.external / 2 ** 20,
        retainedHeapMiB: process.memoryUsage().heapUsed / 2 ** 20,
        resident: residentByMapping(),
      });
      break;
    }
    case 'otlp-settle': {
      // A periodic export may be running: `flush` would wait for it, then export again, and the
      // figures would be of two. This one ends it and exports once, unmeasured.
      await app.runtime.current.pipeline.flush();
      send({ type: 'otlp-settle' });
      break;
    }
    case 'otlp': {
      await startProfile();
      stalls.reset();
      const cpu = process.cpuUsage();
      const thread = process.threadCpuUsage();
      const at = performance.now();
      await app.runtime.current.pipeline.flush();
      const used = process.cpuUsage(cpu);
      const usedByThread = process.threadCpuUsage(thread);
      await saveProfile('otlp');
      send({
        type: 'otlp',
        wallMs: performance.now() - at,
        cpuMs: (used.user + used.system) / 1000,
        // The main thread alone: the process's figure also counts the thread pool (the database
        // checks' password hashing, DNS) and V8's helper threads, whatever they were doing.
        mainThreadCpuMs: (usedByThread.user + usedByThread.system) / 1000,
        maxStallMs: maxStallMs(),
      });
      break;
    }
    case 'sample': {
      const maxStall = maxStallMs();
      stalls.reset();
      (globalThis as { gc?: () => void }).gc?.();
      const handles: Record<string, number> = {};
      for (const kind of process.getActiveResourcesInfo()) handles[kind] = (handles[kind] ?? 0) + 1;
      send({
        type: 'sample',
        rssMiB: process.memoryUsage.rss() / 2 ** 20,
        retainedHeapMiB: process.memoryUsage().heapUsed / 2 ** 20,
        fds: readdirSync('/proc/self/fd').length,
        handles,
        maxStallMs: maxStall,
        health: Object.fromEntries(
          Object.entries(app.runtime.current.health()).map(([name, health]) => [name, health.state]),
        ),
      });
      break;
    }
    case 'stop':
      await app.stop();
      process.exit(0);
  }
});
