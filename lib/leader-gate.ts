/**
 * Runs an instrument only while this process holds its Lease. The gate registers each declared
 * metric once, with a callback that reports only while leading, so a follower's series vanish at
 * the next scrape whatever the instrument still holds; each term of leadership gets a fresh
 * instrument (create + start), stopped when the term ends.
 */
import type { z } from 'zod';
import type {
  Instrument,
  InstrumentContext,
  InstrumentDefinition,
  InstrumentHealth,
  MetricDeclaration,
} from './instrument.js';
import type { KubeClient } from './kube/client.js';
import { LeaseElector, type LeaseSettings } from './kube/lease.js';
import type { PipelineSink } from './telemetry/pipeline.js';
import { EMPTY_PASS, type OpenPass, sinkOver } from './telemetry/source.js';

/** The gate registers on the pipeline's own sink, where metrics are registered as passes. */
export type GateContext = Omit<InstrumentContext, 'metrics'> & { readonly metrics: PipelineSink };

export class LeaderGate implements Instrument {
  readonly #definition: InstrumentDefinition;
  readonly #config: z.output<z.ZodType>;
  readonly #context: GateContext;
  readonly #elector: LeaseElector;
  readonly #release: () => boolean;
  /** The current incarnation's pass per declaration; each is registered on the pipeline once. */
  readonly #opens = new Map<MetricDeclaration, OpenPass>();
  #incarnation: Instrument | undefined;
  #exporting = false;
  #failure: string | undefined;
  #transition: Promise<void> = Promise.resolve();

  constructor(
    definition: InstrumentDefinition,
    config: unknown,
    context: GateContext,
    client: KubeClient,
    lease: LeaseSettings,
    /** Whether stopping should give the lease up (process exit) or keep it (a reload takes over). */
    release: () => boolean,
  ) {
    this.#definition = definition;
    this.#config = config;
    this.#context = context;
    this.#release = release;
    this.#elector = new LeaseElector(client, lease, context.logger, {
      onStartedLeading: () => this.#queue(() => this.#begin()),
      onStoppedLeading: () => {
        this.#exporting = false; // at once: the next scrape must not show a follower's series
        this.#queue(() => this.#end());
      },
    });
  }

  #queue(step: () => Promise<void>): void {
    this.#transition = this.#transition.then(step).catch((error: unknown) => {
      this.#failure = (error as Error).message;
      this.#context.logger.error({ err: this.#failure }, 'leadership transition failed');
    });
  }

  #gatedContext(): InstrumentContext {
    return {
      ...this.#context,
      metrics: sinkOver((declaration, open) => {
        const registered = this.#opens.has(declaration);
        this.#opens.set(declaration, open);
        if (registered) return;
        this.#context.metrics.observeSource(declaration, () =>
          this.#exporting ? (this.#opens.get(declaration)?.() ?? EMPTY_PASS) : EMPTY_PASS,
        );
      }),
    };
  }

  async #begin(): Promise<void> {
    this.#failure = undefined;
    const incarnation = this.#definition.create(this.#gatedContext(), this.#config);
    this.#incarnation = incarnation;
    await incarnation.start();
    if (this.#elector.leading) this.#exporting = true;
  }

  async #end(): Promise<void> {
    const incarnation = this.#incarnation;
    this.#incarnation = undefined;
    await incarnation?.stop();
  }

  get leading(): boolean {
    return this.#elector.leading;
  }

  async start(): Promise<void> {
    this.#elector.start();
  }

  async stop(): Promise<void> {
    await this.#elector.stop({ release: this.#release() });
    this.#exporting = false;
    this.#queue(() => this.#end());
    await this.#transition;
  }

  health(): InstrumentHealth {
    if (this.#failure) return { state: 'unhealthy', reason: this.#failure };
    return this.#incarnation ? this.#incarnation.health() : { state: 'standby' };
  }

  async ready(): Promise<void> {
    await this.#elector.firstAttempt;
    await this.#transition;
    await this.#incarnation?.ready?.();
  }
}
