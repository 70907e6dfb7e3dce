import { z } from 'zod';
import { duration } from '../../lib/config/duration.js';
import { resolverSetting } from '../../lib/probe/config.js';

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
    resolver: resolverSetting,
    clusterDomain: z.string().min(1).default('cluster.local'),
  })
  .prefault({});

export type DatabaseConfig = z.output<typeof databaseConfig>;
