/**
 * Host name to addresses for probes: the system resolver (getaddrinfo, so /etc/hosts and the
 * search list apply) or a configured DNS server. Failures are ProbeErrors of the dns_* types.
 */
import { lookup, Resolver } from 'node:dns/promises';
import { isIP } from 'node:net';
import { ProbeError, type ProbeErrorType } from './probe-error.js';

export interface ResolveOptions {
  /** A DNS server `ip:port`; empty uses the system resolver. */
  readonly server: string;
  readonly ipv4: boolean;
  readonly ipv6: boolean;
  readonly timeoutMs: number;
}

/** `10.0.0.1:53`, `[fd00::a]:53` or a bare IP (port 53) in the form c-ares takes; undefined when it is none. */
export function resolverAddress(value: string): string | undefined {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(value);
  const [host, port] = bracketed
    ? [bracketed[1] ?? '', bracketed[2] ?? '53']
    : value.includes(':') && isIP(value) !== 6
      ? [value.slice(0, value.lastIndexOf(':')), value.slice(value.lastIndexOf(':') + 1)]
      : [value, '53'];
  const portNumber = Number(port);
  if (!isIP(host) || !Number.isInteger(portNumber) || portNumber < 1 || portNumber > 65_535) return undefined;
  return isIP(host) === 6 ? `[${host}]:${portNumber}` : `${host}:${portNumber}`;
}

const DNS_CODES: Readonly<Record<string, ProbeErrorType>> = {
  ENOTFOUND: 'dns_no_such_host',
  ENODATA: 'dns_no_answer',
  ESERVFAIL: 'dns_server_failure',
  EREFUSED: 'dns_server_failure',
  ETIMEOUT: 'dns_timeout',
  EAI_AGAIN: 'dns_server_failure',
};

function dnsFailure(host: string, error: unknown): ProbeError {
  if (error instanceof ProbeError) return error;
  const code = String((error as { code?: unknown }).code ?? 'error');
  return new ProbeError(DNS_CODES[code] ?? 'dns_error', `resolving ${host}: ${code}`, code);
}

export class HostResolver {
  readonly #options: ResolveOptions;
  readonly #resolver: Resolver | undefined;

  constructor(options: ResolveOptions) {
    this.#options = options;
    const server = options.server ? resolverAddress(options.server) : undefined;
    if (options.server && !server) throw new Error(`resolver: not ip:port (got "${options.server}")`);
    if (server) {
      this.#resolver = new Resolver({ timeout: options.timeoutMs, tries: 1 });
      this.#resolver.setServers([server]);
    }
  }

  /** Every address of the enabled families, deduplicated, IPv4 first. An IP literal is itself. */
  async resolve(host: string): Promise<string[]> {
    const family = isIP(host);
    if (family) {
      if ((family === 4 && !this.#options.ipv4) || (family === 6 && !this.#options.ipv6)) {
        throw new ProbeError('dns_no_answer', `${host}: its address family is disabled`);
      }
      return [host];
    }
    if (!this.#options.ipv4 && !this.#options.ipv6) {
      throw new ProbeError('dns_no_answer', 'both includeIPv4 and includeIPv6 are off');
    }
    const addresses = this.#resolver ? await this.#fromServer(host) : await this.#fromSystem(host);
    const unique = [...new Set(addresses)].sort((a, b) => isIP(a) - isIP(b));
    if (unique.length === 0)
      throw new ProbeError('dns_no_answer', `${host}: no address of an enabled family`);
    return unique;
  }

  async #fromServer(host: string): Promise<string[]> {
    const resolver = this.#resolver as Resolver;
    // Both families are asked, as Go's LookupHost asks them: a name with addresses of a disabled
    // family only is then told apart from one without any (NODATA, "no such host" to Go).
    const [v4, v6] = await Promise.allSettled([resolver.resolve4(host), resolver.resolve6(host)]);
    const found = [
      ...(this.#options.ipv4 && v4.status === 'fulfilled' ? v4.value : []),
      ...(this.#options.ipv6 && v6.status === 'fulfilled' ? v6.value : []),
    ];
    if (found.length > 0) return found;
    if ([v4, v6].some((r) => r.status === 'fulfilled' && r.value.length > 0)) return [];
    const settled = [...(this.#options.ipv4 ? [v4] : []), ...(this.#options.ipv6 ? [v6] : [])];
    // Nothing in any family: the most telling failure (NXDOMAIN over "no AAAA") names the cause.
    const failures = settled.flatMap((r) => (r.status === 'rejected' ? [dnsFailure(host, r.reason)] : []));
    throw (
      failures.find((f) => f.errorType !== 'dns_no_answer') ??
      failures[0] ??
      new ProbeError('dns_no_answer', host)
    );
  }

  async #fromSystem(host: string): Promise<string[]> {
    let timer: NodeJS.Timeout | undefined;
    try {
      const found = await Promise.race([
        lookup(host, { all: true, order: 'ipv4first' }),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new ProbeError('dns_timeout', `resolving ${host}: no answer`)),
            this.#options.timeoutMs,
          );
        }),
      ]);
      return found
        .filter((entry) => (entry.family === 4 ? this.#options.ipv4 : this.#options.ipv6))
        .map((entry) => entry.address);
    } catch (error) {
      throw dnsFailure(host, error);
    } finally {
      clearTimeout(timer);
    }
  }
}
