/**
 * The shape every probe instrument shares: resolve each target's host, probe every address on
 * its own under one concurrency limit, and count healthy and unhealthy addresses.
 */
import pLimit from 'p-limit';
import { ProbeError } from './probe-error.js';
import type { HostResolver } from './resolve.js';

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
    ['resolve', outcome.dnsError && outcome.dnsError.errorType !== 'dns_no_answer' ? 0 : 1],
    ['ip_count', outcome.addresses.length],
    ['healthy_ips', healthy],
    ['unhealthy_ips', outcome.addresses.length - healthy],
  ];
}
