/**
 * The shape every probe instrument shares: resolve each target's host, probe every address on
 * its own under one concurrency limit, and count healthy and unhealthy addresses.
 */
import pLimit from 'p-limit';
import type { InstrumentContext } from '../instrument.js';
import { Poller } from '../poller.js';
import { isNoUsableAddress, ProbeError } from './probe-error.js';
import { HostResolver } from './resolve.js';

export interface AddressOutcome<R> {
  readonly address: string;
  readonly healthy: boolean;
  readonly result: R;
}

export interface TargetOutcome<T, R> {
  readonly target: T;
  /** Set when the host did not resolve to any usable address. */
  readonly dnsError?: ProbeError;
  readonly addresses: readonly AddressOutcome<R>[];
}

export interface FanoutOptions<T, R> {
  readonly targets: readonly T[];
  readonly hostOf: (target: T) => string;
  readonly resolver: HostResolver;
  /** Probes in flight at once, over all targets and addresses. */
  readonly concurrency: number;
  readonly probe: (target: T, address: string) => Promise<{ healthy: boolean; result: R }>;
}

export async function probeAll<T, R>(options: FanoutOptions<T, R>): Promise<TargetOutcome<T, R>[]> {
  const limit = pLimit(options.concurrency);
  return Promise.all(
    options.targets.map(async (target): Promise<TargetOutcome<T, R>> => {
      let addresses: string[];
      try {
        addresses = await limit(() => options.resolver.resolve(options.hostOf(target)));
      } catch (error) {
        const dnsError =
          error instanceof ProbeError ? error : new ProbeError('dns_error', (error as Error).message);
        return { target, dnsError, addresses: [] };
      }
      const outcomes = await Promise.all(
        addresses.map((address) =>
          limit(async () => ({ address, ...(await options.probe(target, address)) })),
        ),
      );
      return { target, addresses: outcomes };
    }),
  );
}

/** The four `type` values of a `*_health` metric, in the original's order. */
export function healthCounts(outcome: TargetOutcome<unknown, unknown>): [string, number][] {
  const healthy = outcome.addresses.filter((a) => a.healthy).length;
  return [
    // A name that resolves but has no usable address still resolved, as the original counts it.
    [
      'resolve',
      outcome.dnsError && !isNoUsableAddress(outcome.dnsError.errorType, outcome.dnsError.code) ? 0 : 1,
    ],
    ['ip_count', outcome.addresses.length],
    ['healthy_ips', healthy],
    ['unhealthy_ips', outcome.addresses.length - healthy],
  ];
}

export interface ProbeLoopSettings {
  readonly checkInterval: number;
  readonly checkTimeout: number;
  readonly resolver: string;
  readonly includeIPv4: boolean;
  readonly includeIPv6: boolean;
  readonly concurrency: number;
}

/**
 * A probe instrument's loop: every interval, resolve and probe every target's addresses; the
 * latest outcomes are what its metrics read. A run may last up to an interval (at least two
 * check timeouts, for redirects and queueing), each address being cut at its own timeout.
 */
export function probeLoop<T, R>(
  context: InstrumentContext,
  settings: ProbeLoopSettings,
  targets: readonly T[],
  hostOf: (target: T) => string,
  probe: (target: T, address: string, signal: AbortSignal) => Promise<{ healthy: boolean; result: R }>,
): { poller: Poller; outcomes: () => readonly TargetOutcome<T, R>[]; resolver: HostResolver } {
  const resolver = new HostResolver({
    server: settings.resolver,
    ipv4: settings.includeIPv4,
    ipv6: settings.includeIPv6,
    timeoutMs: Math.min(settings.checkTimeout, 10_000),
  });
  let outcomes: TargetOutcome<T, R>[] = [];
  const poller = new Poller(context, {
    intervalMs: settings.checkInterval,
    timeoutMs: Math.max(settings.checkInterval, settings.checkTimeout * 2),
    run: async (signal) => {
      outcomes = await probeAll({
        targets,
        hostOf,
        resolver,
        concurrency: settings.concurrency,
        probe: (target, address) => probe(target, address, signal),
      });
      const failing = outcomes.filter((o) => o.dnsError || o.addresses.some((a) => !a.healthy)).length;
      context.logger.debug({ targets: outcomes.length, failing }, 'probed');
      return undefined;
    },
  });
  return { poller, outcomes: () => outcomes, resolver };
}
