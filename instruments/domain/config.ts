import { isIP } from 'node:net';
import { z } from 'zod';
import { duration } from '../../lib/config/duration.js';
import { lastOfEach } from '../../lib/config/entries.js';
import { probeSettings } from '../../lib/probe/config.js';

export interface Endpoint {
  readonly scheme: 'http' | 'https';
  readonly host: string;
  readonly port: number;
}

/**
 * `host`, `host:port`, `[v6]`, `[v6]:port` or a bare IPv6 address (port 443, as the original reads
 * `2001:db8::1:5000`), optionally `https://` or `http://` in front; undefined if none.
 */
export function parseEndpoint(text: string): Endpoint | undefined {
  const bare = /^(?:(https?):\/\/)?([0-9a-fA-F:.]+)$/.exec(text.trim());
  if (bare && isIP(bare[2] as string) === 6) {
    const scheme = (bare[1] ?? 'https') as 'http' | 'https';
    return { scheme, host: (bare[2] as string).toLowerCase(), port: scheme === 'https' ? 443 : 80 };
  }
  const match = /^(?:(https?):\/\/)?(\[[0-9a-fA-F:.]+\]|[^/:?#[\]@\s]+)(?::(\d{1,5}))?$/.exec(text.trim());
  if (!match) return undefined;
  const scheme = (match[1] ?? 'https') as 'http' | 'https';
  const rawHost = match[2] as string;
  const host = rawHost.startsWith('[') ? rawHost.slice(1, -1) : rawHost.toLowerCase();
  if (rawHost.startsWith('[') && isIP(host) !== 6) return undefined;
  const port = match[3] === undefined ? (scheme === 'https' ? 443 : 80) : Number(match[3]);
  if (port < 1 || port > 65_535) return undefined;
  return { scheme, host, port };
}

/** The original's request-path rule: trimmed, `/` when empty, a leading `/` added. */
const requestPath = z
  .string()
  .default('/')
  .transform((value) => {
    const path = value.trim();
    return path === '' ? '/' : path.startsWith('/') ? path : `/${path}`;
  })
  .refine((path) => !path.startsWith('//') && !path.includes('://'), {
    message: 'must be a path, not an absolute URL',
  });

const domainObject = z.strictObject({
  endpoint: z
    .string()
    .transform((value) => value.trim())
    .pipe(z.string().min(1, 'is required'))
    .meta({
      description:
        '`host`, `host:port` or `http(s)://host[:port]` (the string form of an entry); `http://` probes plain HTTP (no certificate check). Also the `domain` label.',
    }),
  skipTLSVerify: z
    .boolean()
    .default(false)
    .meta({ description: 'Skip chain and host-name verification (dates are still checked and exported).' }),
  followHTTPRedirects: z.boolean().default(true).meta({ description: 'Follow 301, 302, 303, 307 and 308.' }),
  path: requestPath.meta({ description: 'Request path, query allowed; trimmed, a leading `/` added.' }),
  method: z
    .string()
    .default('GET')
    .transform((value) => value.trim().toUpperCase() || 'GET')
    .pipe(z.string().regex(/^[A-Z]+$/, 'must be an HTTP method, e.g. GET'))
    .meta({ description: 'Request method, upper-cased as the original does; empty is GET.' }),
  headers: z.record(z.string(), z.string()).default({}).meta({ description: 'Request headers.' }),
  expectedStatusCodes: z
    .array(z.number().int().min(100).max(599))
    .default([])
    .transform((codes) => [...new Set(codes)])
    .meta({
      description:
        'Accepted statuses (duplicates dropped); empty accepts any 2xx, 3xx or 4xx, as the original did.',
    }),
});

/** A string entry is the object form's `endpoint`. */
const domainEntry = z
  .preprocess((entry) => (typeof entry === 'string' ? { endpoint: entry } : entry), domainObject)
  .superRefine((entry, ctx) => {
    if (!parseEndpoint(entry.endpoint)) {
      ctx.addIssue({
        code: 'custom',
        message: 'not host, host:port or http(s)://host[:port]',
        path: ['endpoint'],
      });
    }
  });

/** Blank string entries are skipped, as the original skips them. */
function withoutBlankEntries(entries: unknown): unknown {
  return Array.isArray(entries)
    ? entries.filter((entry) => !(typeof entry === 'string' && entry.trim() === ''))
    : entries;
}

export const domainConfig = z
  .strictObject({
    domains: z
      .preprocess(withoutBlankEntries, z.array(domainEntry))
      .default([])
      // The same endpoint twice is one domain, as the original keys its results by endpoint.
      .transform((entries) => lastOfEach(entries, (e) => [e.endpoint]))
      .meta({
        description:
          'The domains to probe: strings (`host`, `host:port`, `http(s)://host[:port]`; the environment takes these, comma-separated) or objects with the keys below. Blank entries are skipped and the same endpoint twice is one domain, as in the original.',
      }),
    checkInterval: duration('1m', { min: '5s' }).meta({ description: 'Time between runs.' }),
    checkTimeout: duration('30s', { min: '100ms' }).meta({
      description: "One address's whole probe: every dial attempt, handshake and response.",
    }),
    dialRetries: z
      .number()
      .int()
      .max(100, 'at most 100: every attempt is a connection to the target')
      .default(3)
      .transform((retries) => Math.max(1, retries))
      .meta({
        description:
          'Connection attempts per address (TCP, and TLS for https); below 1 is 1, as in the original.',
      }),
    includeCertCheck: z.boolean().default(true).meta({ description: 'Run the certificate check.' }),
    includeHTTPCheck: z
      .boolean()
      .default(true)
      .meta({ description: 'Run the HTTP check (off: no request is sent).' }),
    ...probeSettings,
  })
  .prefault({});

export type DomainConfig = z.output<typeof domainConfig>;
export type DomainEntry = DomainConfig['domains'][number];
