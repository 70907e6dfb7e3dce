import { isIP } from 'node:net';
import { z } from 'zod';
import { duration } from '../../lib/config/duration.js';
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
  const match = /^(https?):\/\/(\[[0-9a-fA-F:.]+\]|[^/:?#[\]@\s]+):(\d{1,5})\/?$/.exec(text.trim());
  if (!match) return undefined;
  const rawHost = match[2] as string;
  const host = rawHost.startsWith('[') ? rawHost.slice(1, -1) : rawHost.toLowerCase();
  if (rawHost.startsWith('[') && isIP(host) !== 6) return undefined;
  const port = Number(match[3]);
  if (port < 1 || port > 65_535) return undefined;
  return { scheme: match[1] as 'http' | 'https', host, port };
}

const registry = z.strictObject({
  endpoint: z.string().refine((value) => parseRegistryEndpoint(value) !== undefined, {
    message: 'must be http(s)://host:port with no path, query or user info',
  }),
  /** A short free-text label (high cardinality is yours to avoid). */
  info: z.string().default(''),
  /** Repository of the manifest fetched, e.g. library/busybox. */
  repository: z
    .string()
    .regex(
      /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/,
      'must be a repository name such as library/busybox',
    ),
  /** Tag or digest. */
  reference: z
    .string()
    .regex(
      /^(?:[\w][\w.-]{0,127}|[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-fA-F0-9]{32,})$/,
      'must be a tag or a digest',
    ),
  manifestAcceptHeader: z.string().min(1).default('application/vnd.docker.distribution.manifest.v2+json'),
  headers: z.record(z.string(), z.string()).default({}),
});

export const registryproxyConfig = z
  .strictObject({
    registries: z
      .array(registry)
      .default([])
      .refine(
        (entries) =>
          new Set(entries.map((e) => JSON.stringify([e.endpoint, e.info, e.repository, e.reference])))
            .size === entries.length,
        { message: 'lists the same endpoint, info, repository and reference twice' },
      ),
    checkInterval: duration('1m', { min: '5s' }),
    /** One request (the /v2/ check or the manifest fetch) to one address. */
    checkTimeout: duration('30s', { min: '100ms' }),
    ...probeSettings,
  })
  .prefault({});

export type RegistryproxyConfig = z.output<typeof registryproxyConfig>;
export type RegistryEntry = RegistryproxyConfig['registries'][number];
