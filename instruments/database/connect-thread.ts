/**
 * The drivers' connect + ping, run on one worker thread (connect-worker.ts). A round of 10k
 * checks makes gigabytes of short-lived driver objects (sockets, parsers, client state). In the
 * main isolate, whose young generation --optimize-for-size holds at 1 MiB, they outlived their
 * scavenges, were promoted, and were collected by full collections of the main heap (150 MiB
 * live at 30k pods): pauses of 100-150 ms that stalled scrapes (issue 15). On their own isolate
 * they are collected there, and the event loop that serves scrapes never waits for them.
 *
 * Everything but the connect stays on the main thread: discovery, the preflight, DNS, the
 * deadline, the results. A worker that dies fails the checks it had (reason `unknown`, the
 * cause logged) and the next check starts a new one. Between rounds the worker is stopped: an
 * idle isolate would keep the heap its round grew (tens of MiB) for the whole interval.
 */
import { getHeapStatistics } from 'node:v8';
import { Worker, type WorkerOptions } from 'node:worker_threads';
import type { Logger } from '../../lib/instrument.js';
import type { Connector, Endpoint } from './connectors.js';
import type { DatabaseType } from './discovery.js';
import { CheckFailure, type FailureReason } from './failure.js';

export type ConnectRequest =
  | {
      readonly type: 'connect';
      readonly id: number;
      readonly databaseType: DatabaseType;
      readonly endpoint: Endpoint;
      readonly timeoutMs: number;
    }
  | { readonly type: 'abort'; readonly id: number };

export type ConnectAnswer =
  | { readonly id: number; readonly ok: true }
  | { readonly id: number; readonly ok: false; readonly reason: FailureReason; readonly message: string };

/**
 * Compiled, the worker is the .js beside this file. From the sources (tests, `npm start`) it is
 * the .ts, loaded through tsx: a worker does not inherit the loader hooks `--import tsx` set up.
 */
function startWorker(options: WorkerOptions): Worker {
  if (!import.meta.url.endsWith('.ts'))
    return new Worker(new URL('./connect-worker.js', import.meta.url), options);
  const source = JSON.stringify(new URL('./connect-worker.ts', import.meta.url).href);
  const parent = JSON.stringify(import.meta.url);
  return new Worker(`import('tsx/esm/api').then(({ tsImport }) => tsImport(${source}, ${parent}))`, {
    ...options,
    eval: true,
  });
}

/**
 * The worker's old generation: half the main heap's limit, 64 to 256 MiB. What a round keeps
 * live is its checks in flight: per 50 at once about 15-26 MiB of heap for MongoDB, 6 for
 * PostgreSQL, 2-3 for MySQL and Redis (heap sampling, this machine), so the default concurrency
 * (250) needs about 40 MiB. The bound stops a driver's runaway from taking the pod; hitting it
 * costs the checks in flight (the worker restarts), so it is not set tight.
 */
function workerHeapMiB(): number {
  const mainMiB = getHeapStatistics().heap_size_limit / 2 ** 20;
  return Math.round(Math.min(256, Math.max(64, mainMiB / 2)));
}

/** How long the worker outlives its last check: past the gaps between a round's checks. */
export const IDLE_STOP_MS = 2_000;

export class ConnectThread {
  readonly #logger: Logger;
  readonly #idleStopMs: number;
  #worker: Worker | undefined;
  #idleTimer: NodeJS.Timeout | undefined;
  #nextId = 1;
  readonly #pending = new Map<number, (answer: ConnectAnswer) => void>();

  constructor(logger: Logger, idleStopMs = IDLE_STOP_MS) {
    this.#logger = logger;
    this.#idleStopMs = idleStopMs;
  }

  /** Whether a worker is running (it stops once idle). */
  get running(): boolean {
    return this.#worker !== undefined;
  }

  /** A Connector for `type` whose connect runs on the worker; same contract as connectors.ts'. */
  connector(type: DatabaseType): Connector {
    return (endpoint, timeoutMs, signal) => this.#connect(type, endpoint, timeoutMs, signal);
  }

  /** Stops the worker; checks still on it fail. */
  async close(): Promise<void> {
    await this.#stopWorker();
    this.#failPending('the database checks stopped');
  }

  async #stopWorker(): Promise<void> {
    clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
    const worker = this.#worker;
    this.#worker = undefined;
    if (worker) await worker.terminate();
  }

  #connect(type: DatabaseType, endpoint: Endpoint, timeoutMs: number, signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    const worker = this.#start();
    clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
    const id = this.#nextId++;
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => worker.postMessage({ type: 'abort', id } satisfies ConnectRequest);
      signal.addEventListener('abort', onAbort, { once: true });
      this.#pending.set(id, (answer) => {
        signal.removeEventListener('abort', onAbort);
        if (this.#pending.size === 0 && this.#worker === worker) this.#stopWhenIdle();
        if (answer.ok) resolve();
        else reject(new CheckFailure(answer.reason, answer.message));
      });
      worker.postMessage({
        type: 'connect',
        id,
        databaseType: type,
        endpoint,
        timeoutMs,
      } satisfies ConnectRequest);
    });
  }

  #stopWhenIdle(): void {
    clearTimeout(this.#idleTimer);
    this.#idleTimer = setTimeout(() => {
      if (this.#pending.size === 0) void this.#stopWorker();
    }, this.#idleStopMs);
    this.#idleTimer.unref();
  }

  #start(): Worker {
    if (this.#worker) return this.#worker;
    const worker = startWorker({ resourceLimits: { maxOldGenerationSizeMb: workerHeapMiB() } });
    // The checks' own deadlines keep the process alive while they run; an idle worker must not.
    worker.unref();
    worker.on('message', (answer: ConnectAnswer) => {
      const settle = this.#pending.get(answer.id);
      this.#pending.delete(answer.id);
      settle?.(answer);
    });
    worker.on('error', (error) => {
      this.#logger.warn(
        { err: error.message },
        'the database check worker failed; it restarts with the next check',
      );
    });
    worker.on('exit', (code) => {
      if (this.#worker !== worker) return;
      this.#worker = undefined;
      this.#failPending(`the database check worker stopped (exit code ${code})`);
    });
    this.#worker = worker;
    return worker;
  }

  #failPending(message: string): void {
    const pending = [...this.#pending];
    this.#pending.clear();
    for (const [id, settle] of pending) settle({ id, ok: false, reason: 'unknown', message });
  }
}
