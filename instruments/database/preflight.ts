/**
 * The fast-fail steps before a connection: does the Service the host names exist, does it have
 * ready endpoints (both from the shared informers, no API call per check), and does the host
 * resolve. The address resolved here is the one connected to, so a check looks the name up once.
 */
import { ProbeError } from '../../lib/probe/probe-error.js';
import { HostResolver } from '../../lib/probe/resolve.js';
import { CheckFailure } from './failure.js';

/** The longest a lookup may take, whatever the check timeout: DNS answers fast or not at all. */
const DNS_TIMEOUT_MS = 2000;

export interface ServiceRef {
  readonly namespace: string;
  readonly name: string;
}

/** The Service a `name.namespace.svc[.clusterDomain]` host names; undefined for other hosts. */
export function serviceOf(host: string, clusterDomain: string): ServiceRef | undefined {
  const match = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)\.([a-z0-9]([-a-z0-9]*[a-z0-9])?)\.svc(?:\.(.+?))?\.?$/.exec(
    host.toLowerCase(),
  );
  if (!match) return undefined;
  if (match[5] !== undefined && match[5] !== clusterDomain.toLowerCase()) return undefined;
  return { name: match[1] as string, namespace: match[3] as string };
}

export interface ServiceState {
  /** Undefined when that namespace's Services are not watched (then the step is skipped). */
  serviceExists(service: ServiceRef): boolean | undefined;
  readyEndpoints(service: ServiceRef): number;
}

export function checkService(host: string, clusterDomain: string, state: ServiceState): void {
  const service = serviceOf(host, clusterDomain);
  if (!service) return;
  const exists = state.serviceExists(service);
  if (exists === undefined) return;
  if (!exists) throw new CheckFailure('no_service', `service ${service.namespace}/${service.name} not found`);
  if (state.readyEndpoints(service) === 0) {
    throw new CheckFailure(
      'no_endpoints',
      `service ${service.namespace}/${service.name} has no ready endpoints`,
    );
  }
}

/**
 * Resolves a database host to the one address connected to, with the probe instruments'
 * resolver (system, or a configured DNS server). A configured server gets no search list, so
 * Service names are qualified as the cluster does.
 */
export class AddressResolver {
  readonly #hosts: HostResolver;
  readonly #clusterDomain: string;
  readonly #custom: boolean;

  constructor(options: { server: string | undefined; clusterDomain: string; checkTimeoutMs: number }) {
    this.#clusterDomain = options.clusterDomain;
    this.#custom = Boolean(options.server);
    this.#hosts = new HostResolver({
      server: options.server ?? '',
      ipv4: true,
      ipv6: true,
      timeoutMs: Math.min(DNS_TIMEOUT_MS, options.checkTimeoutMs),
    });
  }

  async resolve(host: string): Promise<string> {
    const name =
      this.#custom && /\.svc\.?$/.test(host) ? `${host.replace(/\.$/, '')}.${this.#clusterDomain}` : host;
    try {
      return (await this.#hosts.resolve(name))[0] as string;
    } catch (error) {
      const type = error instanceof ProbeError ? error.errorType : 'dns_error';
      throw new CheckFailure('dns', `DNS lookup of ${host} failed: ${type}`);
    }
  }
}
