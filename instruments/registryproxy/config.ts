import { isIP } from 'node:net';
import { z } from 'zod';
import { duration } from '../../lib/config/duration.js';
import { lastOfEach } from '../../lib/config/entries.js';
import { probeSettings } from '../../lib/probe/config.js';

export interface RegistryEndpoint {
  readonly scheme: 'http' | 'https';
  readonly host: string;
  readonly port: number;
}

/**
 * `http(s)://host:port` with nothing else: the probe builds the `/v2/` paths itself, so a path,
 * query, fragment or user info is a mistake, and the port must be explicit (as the original
 * required). Undefined when the text is not of that form.
 */
export function parseRegistryEndpoint(text: string): RegistryEndpoint | undefined {
  const match = /^(https?):\/\/(\[[0-9a-fA-F:.]+\]|[^/:?#[\]@\s]+):(\d{1,5})\/?$/i.exec(text.trim());
  if (!match) return undefined;
  const rawHost = match[2] as string;
  // The host keeps its case, as the original's `host` label does.
  const host = rawHost.startsWith('[') ? rawHost.slice(1, -1) : rawHost;
  if (rawHost.startsWith('[') && isIP(host) !== 6) return undefined;
  const port = Number(match[3]);
  if (port < 1 || port > 65_535) return undefined;
  return { scheme: (match[1] as string).toLowerCase() as 'http' | 'https', host, port };
}

/**
 * Go's url.PathEscape, which the original applies to the reference: everything but letters,
 * digits and `-_.~$&+:=@` is percent-encoded, so `sha256:...` stays as it is.
 */
export function pathEscape(segment: string): string {
  let out = '';
  for (const byte of new TextEncoder().encode(segment)) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-_.~$&+:=@]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

const trimmed = z.string().transform((value) => value.trim());

const registry = z.strictObject({
  endpoint: trimmed
    .pipe(
      z
        .string()
        .min(1, 'is required')
        .refine((value) => parseRegistryEndpoint(value) !== undefined, {
          message: 'must be http(s)://host:port with no path, query or user info',
        }),
    )
    .meta({
      description:
        '`http(s)://host:port`, nothing else: no path, query or user info, the port explicit (a trailing `/` and any case of the scheme are taken); trimmed.',
    }),
  info: trimmed
    .default('')
    .meta({ description: 'A short label of your own (high cardinality is yours to avoid); trimmed.' }),
  repository: z
    .string()
    .transform((value) => value.trim().replace(/^\/+|\/+$/g, ''))
    .pipe(
      z
        .string()
        .min(1, 'is required')
        .regex(/^[^\s?#%]+$/, 'must be a repository name such as library/busybox (no spaces, ?, # or %)')
        .refine((value) => !value.split('/').some((part) => part === '' || part === '.' || part === '..'), {
          message: 'must be a repository name such as library/busybox (no empty, . or .. parts)',
        }),
    )
    .meta({
      description:
        'Repository of the manifest fetched, e.g. `library/busybox`; trimmed, surrounding `/` dropped (as the original). No spaces, `?`, `#`, `%` or empty, `.` or `..` parts, which would change the request path; what a registry itself refuses (upper case) fails the manifest check, not the start.',
    }),
  reference: trimmed.pipe(z.string().min(1, 'is required')).meta({
    description:
      "A tag or a digest (`sha256:abc123` too); trimmed, and path-escaped in the request as Go's `url.PathEscape` does.",
  }),
  manifestAcceptHeader: trimmed
    .default('application/vnd.docker.distribution.manifest.v2+json')
    .transform((value) => value || 'application/vnd.docker.distribution.manifest.v2+json')
    .meta({ description: "The manifest request's Accept; blank is the default." }),
  headers: z
    .record(z.string(), z.string())
    .default({})
    .transform((headers) =>
      Object.fromEntries(
        Object.entries(headers)
          .map(([name, value]) => [name.trim(), value] as const)
          .filter(([name]) => name !== ''),
      ),
    )
    .meta({
      description:
        'Extra request headers (both requests); names trimmed, blank names dropped, as the original does.',
    }),
});

export const registryproxyConfig = z
  .strictObject({
    registries: z
      .array(registry)
      .default([])
      .transform((entries) => lastOfEach(entries, (e) => [e.endpoint, e.info, e.repository, e.reference]))
      .meta({
        description:
          "The registry proxies to check. The same endpoint, info, repository and reference twice is one registry, as the original keys its results by them; the later entry's options win.",
      }),
    checkInterval: duration('1m', { min: '5s' }).meta({ description: 'Time between runs.' }),
    checkTimeout: duration('30s', { min: '100ms' }).meta({
      description: 'One request (the `/v2/` check or the manifest fetch) to one address.',
    }),
    ...probeSettings,
  })
  .prefault({});

export type RegistryproxyConfig = z.output<typeof registryproxyConfig>;
export type RegistryEntry = RegistryproxyConfig['registries'][number];
