/**
 * Leader election on a coordination.k8s.io Lease, with client-go's LeaseLock semantics: acquire
 * when the lease is absent, released or expired, renew every retry period, and step down when a
 * renewal has not succeeded within the renew deadline (before the lease can expire for others).
 * Expiry is judged by when this process observed the record change, not by the holder's clock.
 *
 * A partition does not always fail fast: requests to an API server behind a blackhole hang. So
 * every attempt is cut at the renew deadline, and a leader steps down on a timer at the renew
 * deadline after its last renewal, whether or not the attempt in flight has returned.
 */
import { createHash } from 'node:crypto';
import type { Logger } from '../log.js';
import { KubeApiError, type KubeClient } from './client.js';

export interface LeaseSettings {
  readonly namespace: string;
  readonly name: string;
  readonly identity: string;
  readonly leaseDurationMs: number;
  readonly renewDeadlineMs: number;
  readonly retryPeriodMs: number;
}

interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

interface Lease {
  metadata: { name: string; namespace?: string; resourceVersion?: string };
  spec?: LeaseSpec;
}

/** Lower case, anything but `a-z0-9.-` as `-`, no leading or trailing punctuation. */
function objectNamePart(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9.-]+/g, '-')
    .replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '');
}

const MAX_LEASE_NAME = 63;

/**
 * `<base>-<instrument>`, as the original names its Leases (server/leader_election.go:
 * collectorLeaseName), so a Go and a TypeScript instance with the same leaseName contend for the
 * same Lease during a migration. Past 63 characters it is cut as the original cuts it: the base,
 * then the instrument's first 16 characters and 8 hex digits of the name's sha256. Characters an
 * object name cannot have are replaced (the original sent them and the API refused them).
 */
export function leaseNameFor(base: string, instrument: string): string {
  const raw = `${base}-${instrument}`;
  const name = objectNamePart(raw);
  if (name.length <= MAX_LEASE_NAME) return name;
  const hash = createHash('sha256').update(raw).digest('hex').slice(0, 8);
  const suffix = `${(objectNamePart(instrument) || 'collector').slice(0, 16)}-${hash}`;
  const budget = MAX_LEASE_NAME - suffix.length - 1;
  if (budget <= 0) return suffix.slice(0, MAX_LEASE_NAME);
  const prefix = (objectNamePart(base) || 'collector').slice(0, budget).replace(/^[-.]+|[-.]+$/g, '');
  return prefix ? `${prefix}-${suffix}` : suffix;
}

const microTime = (ms: number) => new Date(ms).toISOString().replace(/Z$/, '000Z');

export class LeaseElector {
  readonly #client: KubeClient;
  readonly #settings: LeaseSettings;
  readonly #logger: Logger;
  readonly #onStarted: () => void;
  readonly #onStopped: () => void;
  #leading = false;
  #observed: { version: string; atMs: number } | undefined;
  #timer: NodeJS.Timeout | undefined;
  #stepDownTimer: NodeJS.Timeout | undefined;
  /** Aborts the attempt in flight: at the renew deadline, or when stopping. */
  #inFlight: AbortController | undefined;
  #stopped = false;
  #tick: Promise<void> | undefined;
  readonly firstAttempt: Promise<void>;
  #firstAttemptDone!: () => void;

  constructor(
    client: KubeClient,
    settings: LeaseSettings,
    logger: Logger,
    handlers: { onStartedLeading: () => void; onStoppedLeading: () => void },
  ) {
    this.#client = client;
    this.#settings = settings;
    this.#logger = logger;
    this.#onStarted = handlers.onStartedLeading;
    this.#onStopped = handlers.onStoppedLeading;
    this.firstAttempt = new Promise((resolve) => {
      this.#firstAttemptDone = resolve;
    });
  }

  get leading(): boolean {
    return this.#leading;
  }

  start(): void {
    this.#schedule(0);
  }

  /**
   * Stops trying. With `release`, a leader gives the lease up so another instance takes over at
   * once (process exit); without, it keeps it for whoever renews as this identity next (a reload).
   */
  async stop(options: { release: boolean }): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#inFlight?.abort(new Error('stopping'));
    await this.#tick;
    this.#firstAttemptDone();
    clearTimeout(this.#stepDownTimer);
    if (!this.#leading) return;
    this.#setLeading(false);
    if (!options.release) return;
    try {
      const signal = AbortSignal.timeout(this.#settings.renewDeadlineMs);
      const lease = await this.#get(signal);
      if (lease?.spec?.holderIdentity === this.#settings.identity) {
        await this.#put(
          { ...lease, spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1 } },
          signal,
        );
      }
    } catch (error) {
      this.#logger.warn(
        { lease: this.#settings.name, err: (error as Error).message },
        'could not release the lease',
      );
    }
  }

  #schedule(delayMs: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#tick = this.#attempt().finally(() => {
        this.#firstAttemptDone();
        this.#schedule(this.#settings.retryPeriodMs);
      });
    }, delayMs);
    this.#timer.unref();
  }

  #path(name?: string): string {
    const base = `/apis/coordination.k8s.io/v1/namespaces/${this.#settings.namespace}/leases`;
    return name ? `${base}/${name}` : base;
  }

  async #get(signal: AbortSignal): Promise<Lease | undefined> {
    try {
      return await this.#client.request<Lease>('GET', this.#path(this.#settings.name), { signal });
    } catch (error) {
      if (error instanceof KubeApiError && error.code === 404) return undefined;
      throw error;
    }
  }

  #put(lease: Lease, signal: AbortSignal): Promise<Lease> {
    return this.#client.request<Lease>('PUT', this.#path(this.#settings.name), { body: lease, signal });
  }

  async #attempt(): Promise<void> {
    const now = Date.now();
    const { renewDeadlineMs } = this.#settings;
    const inFlight = new AbortController();
    this.#inFlight = inFlight;
    const cut = setTimeout(
      () => inFlight.abort(new Error(`no answer from the API server within ${renewDeadlineMs} ms`)),
      renewDeadlineMs,
    );
    try {
      if (await this.#tryAcquireOrRenew(now, inFlight.signal)) {
        if (this.#stopped) return;
        this.#armStepDown(now);
        if (!this.#leading) this.#setLeading(true);
        return;
      }
      if (this.#leading) this.#setLeading(false);
    } catch (error) {
      if (this.#stopped) return;
      const reason = inFlight.signal.aborted ? inFlight.signal.reason : error;
      this.#logger.warn(
        { lease: this.#settings.name, err: (reason as Error).message },
        'lease request failed',
      );
    } finally {
      clearTimeout(cut);
      this.#inFlight = undefined;
    }
  }

  /**
   * A leader that cannot renew steps down at the renew deadline, before the lease expires for
   * others. Each renewal re-arms the timer, so it fires only when none came in time.
   */
  #armStepDown(renewedAtMs: number): void {
    clearTimeout(this.#stepDownTimer);
    this.#stepDownTimer = setTimeout(
      () => {
        if (this.#leading) {
          this.#logger.warn(
            { lease: this.#settings.name, renewDeadlineMs: this.#settings.renewDeadlineMs },
            'lease not renewed within the renew deadline',
          );
          this.#setLeading(false);
        }
      },
      Math.max(0, renewedAtMs + this.#settings.renewDeadlineMs - Date.now()),
    );
    this.#stepDownTimer.unref();
  }

  async #tryAcquireOrRenew(now: number, signal: AbortSignal): Promise<boolean> {
    const { identity, leaseDurationMs } = this.#settings;
    const spec = (transitions: number, acquiredMs: number): LeaseSpec => ({
      holderIdentity: identity,
      leaseDurationSeconds: Math.ceil(leaseDurationMs / 1000),
      acquireTime: microTime(acquiredMs),
      renewTime: microTime(now),
      leaseTransitions: transitions,
    });
    // A conflict while the lease is ours comes from this process's other generation renewing
    // during a reload: read again and take it at once, so the series do not gap for a retry period.
    for (let round = 0; ; round += 1) {
      const outcome = await this.#tryOnce(now, signal, spec);
      if (outcome !== 'own-conflict' || round >= 2) return outcome === true;
    }
  }

  async #tryOnce(
    now: number,
    signal: AbortSignal,
    spec: (transitions: number, acquiredMs: number) => LeaseSpec,
  ): Promise<boolean | 'own-conflict'> {
    const { identity } = this.#settings;
    const lease = await this.#get(signal);
    if (!lease) {
      try {
        await this.#client.request('POST', this.#path(), {
          body: {
            apiVersion: 'coordination.k8s.io/v1',
            kind: 'Lease',
            metadata: { name: this.#settings.name },
            spec: spec(0, now),
          },
          signal,
        });
        return true;
      } catch (error) {
        if (error instanceof KubeApiError && error.code === 409) return false; // someone else created it first
        throw error;
      }
    }
    const version = lease.metadata.resourceVersion ?? '';
    if (this.#observed?.version !== version) this.#observed = { version, atMs: now };
    const holder = lease.spec?.holderIdentity ?? '';
    const durationMs = (lease.spec?.leaseDurationSeconds ?? 0) * 1000;
    const held = holder !== '' && holder !== identity && now < (this.#observed?.atMs ?? now) + durationMs;
    if (held) return false;
    const transitions = (lease.spec?.leaseTransitions ?? 0) + (holder === identity ? 0 : 1);
    const acquiredMs =
      holder === identity && lease.spec?.acquireTime ? Date.parse(lease.spec.acquireTime) : now;
    try {
      const updated = await this.#put({ ...lease, spec: spec(transitions, acquiredMs) }, signal);
      this.#observed = { version: updated.metadata.resourceVersion ?? '', atMs: now };
      return true;
    } catch (error) {
      // Lost the race this round; to ourselves (a reload's two generations) it is worth a re-read.
      if (error instanceof KubeApiError && error.code === 409)
        return holder === identity ? 'own-conflict' : false;
      throw error;
    }
  }

  #setLeading(leading: boolean): void {
    this.#leading = leading;
    this.#logger.info(
      { lease: this.#settings.name, identity: this.#settings.identity },
      leading ? 'became leader' : 'stopped leading',
    );
    if (leading) this.#onStarted();
    else this.#onStopped();
  }
}
