/**
 * A polling loop for instruments: one run in flight at most, each run cut at its timeout, the
 * outcome recorded for self-metrics and health. A scrape never waits for a run.
 */
import { MAX_DURATION_MS } from './config/duration.js';
import type { InstrumentContext, InstrumentHealth } from './instrument.js';

export interface PollerOptions {
  readonly intervalMs: number;
  /** A run still going after this is aborted and counted as failed. */
  readonly timeoutMs: number;
  /**
   * One collection. It may resolve with a warning: the run still counts as a success, and the
   * warning becomes the health reason (debug page, /health) and is logged when it changes.
   */
  readonly run: (signal: AbortSignal) => Promise<string | undefined>;
}

export class TimeoutError extends Error {
  constructor(ms: number) {
    super(`collection timed out after ${ms} ms`);
    this.name = 'TimeoutError';
  }
}

export class Poller {
  readonly #context: InstrumentContext;
  readonly #options: PollerOptions;
  #timer: NodeJS.Timeout | undefined;
  #inFlight: Promise<void> | undefined;
  #abort: AbortController | undefined;
  #stopped = true;
  #health: InstrumentHealth = { state: 'starting' };
  #firstRun: Promise<void> | undefined;
  /** A run that outlived its timeout because it ignored the abort: no new run starts beside it. */
  #straggler: Promise<void> | undefined;
  #warning = '';

  constructor(context: InstrumentContext, options: PollerOptions) {
    this.#context = context;
    // Durations are capped at what a timer waits, but a timeout derived from one (interval + 1 s,
    // twice a check timeout) may pass it and would then fire after 1 ms.
    this.#options = {
      ...options,
      intervalMs: Math.min(options.intervalMs, MAX_DURATION_MS),
      timeoutMs: Math.min(options.timeoutMs, MAX_DURATION_MS),
    };
  }

  /** Starts the loop; the first run begins at once, in the background. */
  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#tick();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#abort?.abort(new Error('instrument stopping'));
    await this.#inFlight;
  }

  health(): InstrumentHealth {
    return this.#health;
  }

  /**
   * The instrument lifecycle a poller gives: instruments return it, spreading it and overriding
   * what they add (closing a subscription on stop, a health of their own). `collectNow` is for tests.
   */
  asInstrument() {
    return {
      start: async () => this.start(),
      stop: () => this.stop(),
      health: (): InstrumentHealth => this.health(),
      ready: () => this.ready(),
      collectNow: () => this.runOnce(),
    };
  }

  /** Runs one collection now (tests and the first run use it); resolves when it has finished. */
  runOnce(): Promise<void> {
    if (this.#inFlight) return this.#inFlight;
    this.#inFlight = this.#runGuarded().finally(() => {
      this.#inFlight = undefined;
    });
    return this.#inFlight;
  }

  /** Resolves when the first run after start has finished, whatever its outcome. */
  ready(): Promise<void> {
    return this.#firstRun ?? Promise.resolve();
  }

  #tick(): void {
    if (this.#stopped) return;
    const run = this.runOnce();
    this.#firstRun ??= run;
    void run.then(() => {
      if (this.#stopped) return;
      this.#timer = setTimeout(() => this.#tick(), this.#options.intervalMs);
      this.#timer.unref?.();
    });
  }

  async #runGuarded(): Promise<void> {
    if (this.#straggler) {
      const error = new Error('the previous run is still going past its timeout; this run was skipped');
      this.#context.recordCollection({ durationSeconds: 0, error });
      this.#health = { state: 'unhealthy', reason: error.message };
      this.#context.logger.warn('collection skipped: the previous run has not finished');
      return;
    }
    const abort = new AbortController();
    this.#abort = abort;
    const started = performance.now();
    const timeout = setTimeout(
      () => abort.abort(new TimeoutError(this.#options.timeoutMs)),
      this.#options.timeoutMs,
    );
    let error: Error | undefined;
    let warning = '';
    const run = this.#options.run(abort.signal);
    try {
      warning =
        (await Promise.race([
          run,
          new Promise<never>((_, reject) => {
            abort.signal.addEventListener('abort', () => reject(abort.signal.reason), { once: true });
          }),
        ])) || '';
    } catch (caught) {
      error = caught instanceof Error ? caught : new Error(String(caught));
    } finally {
      clearTimeout(timeout);
    }
    if (abort.signal.aborted) {
      // The race ended, but the run itself may not have: remember it until it settles.
      const straggler = run.then(
        () => undefined,
        () => undefined,
      );
      this.#straggler = straggler;
      void straggler.then(() => {
        if (this.#straggler === straggler) this.#straggler = undefined;
      });
    }
    if (this.#stopped && abort.signal.aborted) return;
    const durationSeconds = (performance.now() - started) / 1000;
    this.#context.recordCollection(error ? { durationSeconds, error } : { durationSeconds });
    if (error) {
      this.#health = { state: 'unhealthy', reason: error.message };
      this.#context.logger.warn({ err: error.message, durationSeconds }, 'collection failed');
    } else {
      this.#health = warning ? { state: 'healthy', reason: warning } : { state: 'healthy' };
      if (warning && warning !== this.#warning) {
        this.#context.logger.warn({ warning }, 'collection succeeded with a warning');
      }
      this.#warning = warning;
      this.#context.logger.debug({ durationSeconds }, 'collection finished');
    }
  }
}
