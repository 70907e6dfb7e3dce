/**
 * The fast-fail steps before a connection: does the Service the host names exist, does it have
 * ready endpoints (both from the shared informers, no API call per check), and does the host
 * resolve. The address resolved here is the one connected to, so a check looks the name up once.
 */
import { lookup, Resolver } from 'node:dns/promises';
import { isIP } from 'node:net';
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

/** Resolves hosts to one address: the system resolver, or a configured DNS server. */
export class AddressResolver {
  readonly #resolver: Resolver | undefined;
  readonly #clusterDomain: string;
  readonly #timeoutMs: number;

  constructor(options: { server: string | undefined; clusterDomain: string; checkTimeoutMs: number }) {
    this.#timeoutMs = Math.min(DNS_TIMEOUT_MS, options.checkTimeoutMs);
    this.#clusterDomain = options.clusterDomain;
    if (options.server) {
      this.#resolver = new Resolver({ timeout: this.#timeoutMs, tries: 1 });
      this.#resolver.setServers([options.server]);
    }
  }

  async resolve(host: string): Promise<string> {
    if (isIP(host)) return host;
    try {
      if (!this.#resolver) return await this.#systemLookup(host);
      // The configured server gets no search list: qualify Service names as the cluster does.
      const name = /\.svc\.?$/.test(host) ? `${host.replace(/\.$/, '')}.${this.#clusterDomain}` : host;
      try {
        const [address] = await this.#resolver.resolve4(name);
        if (address) return address;
      } catch (error) {
        if ((error as { code?: string }).code !== 'ENODATA') throw error;
      }
      const [address] = await this.#resolver.resolve6(name);
      if (!address) throw Object.assign(new Error('no address'), { code: 'ENODATA' });
      return address;
    } catch (error) {
      if (error instanceof CheckFailure) throw error;
      const code = (error as { code?: string }).code ?? 'error';
      throw new CheckFailure('dns', `DNS lookup of ${host} failed: ${code}`);
    }
  }

  async #systemLookup(host: string): Promise<string> {
    let timer: NodeJS.Timeout | undefined;
    try {
      const result = await Promise.race([
        lookup(host),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(Object.assign(new Error('timeout'), { code: 'ETIMEOUT' })),
            this.#timeoutMs,
          );
        }),
      ]);
      return result.address;
    } finally {
      clearTimeout(timer);
    }
  }
}
