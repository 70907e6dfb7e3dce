/**
 * What an instrument registers for a metric, in one shape for both kinds of callback: a pass is
 * the items to walk and what to observe for each. Both exports (the Prometheus pull path and the
 * OTLP producer) walk the same passes, in time slices.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { MetricDeclaration, MetricSink, Observe } from '../instrument.js';
import type { ExposedMetric, LabelFormatter } from './exposition.js';

export interface SourcePass {
  readonly items: Iterable<unknown>;
  each(item: unknown, observe: Observe): void;
}

/** Opens one pass over the instrument's current state; called once per collection. */
export type OpenPass = () => SourcePass;

export type ObserveSource = (declaration: MetricDeclaration, open: OpenPass) => void;

export const EMPTY_PASS: SourcePass = { items: [], each: () => {} };

/** A declared metric as the pipeline holds it: its exposed name, label writer and passes. */
export interface RegisteredMetric {
  readonly exposed: ExposedMetric;
  readonly labels: LabelFormatter;
  readonly opens: OpenPass[];
}

const ONE_ITEM = [0] as const;

/** The instrument-facing sink over a function that registers passes. */
export function sinkOver(observeSource: ObserveSource): MetricSink {
  return {
    observe: (declaration, callback) => {
      const pass: SourcePass = { items: ONE_ITEM, each: (_item, observe) => callback(observe) };
      observeSource(declaration, () => pass);
    },
    observeEach: (declaration, items, each) => {
      observeSource(declaration, () => ({
        items: items(),
        each: each as (item: unknown, observe: Observe) => void,
      }));
    },
  };
}

/**
 * How long one slice of a walk may hold the event loop. Small against the 50 ms stall budget so
 * that a garbage collection landing in a slice still fits.
 */
export const SLICE_MS = 8;

/** Checking the clock every item would cost more than the work; every 128 items is below 1 ms. */
const CLOCK_EVERY = 128;

/**
 * Cuts a long piece of work into slices of SLICE_MS, yielding to the event loop between them
 * (other requests, watch events and timers run there) and stopping when its signal aborts.
 */
export class TimeSlicer {
  readonly #signal: AbortSignal | undefined;
  #sliceEnd = performance.now() + SLICE_MS;

  constructor(signal?: AbortSignal) {
    this.#signal = signal;
  }

  /** Yields if the current slice is used up. */
  async pause(): Promise<void> {
    if (performance.now() < this.#sliceEnd) return;
    await nextTurn();
    this.#signal?.throwIfAborted();
    this.#sliceEnd = performance.now() + SLICE_MS;
  }

  async walk<T>(items: Iterable<T>, visit: (item: T) => void): Promise<void> {
    let count = 0;
    for (const item of items) {
      visit(item);
      count += 1;
      if (count % CLOCK_EVERY === 0) await this.pause();
    }
  }

  /** Walks one pass of a source. */
  walkPass(pass: SourcePass, observe: Observe): Promise<void> {
    return this.walk(pass.items, (item) => pass.each(item, observe));
  }
}
