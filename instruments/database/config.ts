import { isIP } from 'node:net';
import { z } from 'zod';
import { duration } from '../../lib/config/duration.js';

const concurrency = (defaultValue: number) => z.number().int().min(1).max(10_000).default(defaultValue);

export const databaseConfig = z
  .strictObject({
    checkInterval: duration('5m', { min: '10s' }),
    /** One database's whole check: preflight, connect, authenticate, ping. */
    checkTimeout: duration('10s', { min: '100ms' }),
    /** Namespaces to watch; empty watches all. */
    namespaces: z.array(z.string().min(1)).default([]),
    mysqlConcurrency: concurrency(50),
    postgresqlConcurrency: concurrency(50),
    mongodbConcurrency: concurrency(50),
    redisConcurrency: concurrency(100),
    /** KubeBlocks' Cluster API; `apps.kubeblocks.io/v1` on KubeBlocks 1.x. */
    clusterApiVersion: z
      .string()
      .regex(/^[a-z0-9.-]+\/v[0-9a-z]+$/, 'must be group/version, e.g. apps.kubeblocks.io/v1alpha1')
      .default('apps.kubeblocks.io/v1alpha1'),
    /**
     * Which Secrets to watch. KubeBlocks labels the Secrets it creates this way; narrowing the
     * watch keeps every other Secret in the cluster out of this process. Empty watches all.
     */
    secretLabelSelector: z.string().default('app.kubernetes.io/managed-by=kubeblocks'),
    /**
     * A DNS server (`host:port`) for the preflight lookup instead of the system resolver.
     * Service names (`x.ns.svc`) are then qualified with `clusterDomain`.
     */
    resolver: z
      .string()
      .default('')
      .refine((value) => value === '' || resolverAddress(value) !== undefined, {
        message: 'must be host:port with an IP address, e.g. 10.96.0.10:53',
      }),
    clusterDomain: z.string().min(1).default('cluster.local'),
  })
  .prefault({});

export type DatabaseConfig = z.output<typeof databaseConfig>;

/** `10.0.0.1:53`, `[fd00::a]:53` or a bare IP (port 53); undefined when it is none of these. */
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
