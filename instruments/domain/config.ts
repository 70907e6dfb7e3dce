import { isIP } from 'node:net';
import { z } from 'zod';
import { duration } from '../../lib/config/duration.js';
import { probeSettings } from '../../lib/probe/config.js';

export interface Endpoint {
  readonly scheme: 'http' | 'https';
  readonly host: string;
  readonly port: number;
}

/** `host`, `host:port`, `[v6]:port`, optionally `https://` or `http://` in front; undefined if none. */
export function parseEndpoint(text: string): Endpoint | undefined {
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

const domainObject = z.strictObject({
  /** `host` or `host:port`; `http://` in front probes plain HTTP (no certificate check). */
  endpoint: z.string().min(1),
  /** Skip chain and host-name verification (dates are still checked and exported). */
  skipTLSVerify: z.boolean().default(false),
  followHTTPRedirects: z.boolean().default(true),
  path: z.string().startsWith('/', 'must start with /').default('/'),
  method: z
    .string()
    .regex(/^[A-Z]+$/, 'must be an HTTP method in capitals, e.g. GET')
    .default('GET'),
  headers: z.record(z.string(), z.string()).default({}),
  /** Accepted statuses; empty accepts any 2xx, 3xx or 4xx, as the original did. */
  expectedStatusCodes: z.array(z.number().int().min(100).max(599)).default([]),
});

const domainEntry = z
  .union([z.string().min(1), domainObject])
  .transform((entry) => domainObject.parse(typeof entry === 'string' ? { endpoint: entry } : entry))
  .superRefine((entry, ctx) => {
    if (!parseEndpoint(entry.endpoint)) {
      ctx.addIssue({
        code: 'custom',
        message: `not host, host:port or http(s)://host[:port] (got "${entry.endpoint}")`,
        path: ['endpoint'],
      });
    }
  });

export const domainConfig = z
  .strictObject({
    domains: z
      .array(domainEntry)
      .default([])
      .refine((entries) => new Set(entries.map((e) => e.endpoint)).size === entries.length, {
        message: 'lists the same endpoint twice',
      }),
    checkInterval: duration('1m', { min: '5s' }),
    /** One address's whole probe: every dial attempt, handshake and response. */
    checkTimeout: duration('30s', { min: '100ms' }),
    /** Connection attempts per address (TCP, and TLS for https). */
    dialRetries: z.number().int().min(1).max(10).default(3),
    includeCertCheck: z.boolean().default(true),
    includeHTTPCheck: z.boolean().default(true),
    ...probeSettings,
  })
  .prefault({});

export type DomainConfig = z.output<typeof domainConfig>;
export type DomainEntry = DomainConfig['domains'][number];
