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
    /**
     * `secrets` (the original): each `<name>-conn-credential` Secret with its type's label is a
     * database. `clusters`: each KubeBlocks Cluster of the four engines is, a Cluster without its
     * Secret counting as unavailable, a stopped one as stopped.
     */
    discovery: z.enum(['secrets', 'clusters']).default('secrets'),
    /** KubeBlocks' Cluster API, for discovery: clusters; `apps.kubeblocks.io/v1` on KubeBlocks 1.x. */
    clusterApiVersion: z
      .string()
      .regex(/^[a-z0-9.-]+\/v[0-9a-z]+$/, 'must be group/version, e.g. apps.kubeblocks.io/v1alpha1')
      .default('apps.kubeblocks.io/v1alpha1'),
    /**
     * Narrows the Secrets watched: with discovery: secrets it is added to each type's selector
     * (empty: the original's selectors alone); with discovery: clusters it is the only one, and
     * `app.kubernetes.io/managed-by=kubeblocks` keeps every other Secret out of this process.
     */
    secretLabelSelector: z.string().default(''),
    /**
     * A DNS server (`host:port`) for the preflight lookup instead of the system resolver.
     * Service names (`x.ns.svc`) are then qualified with `clusterDomain`.
     */
    resolver: resolverSetting,
    clusterDomain: z.string().min(1).default('cluster.local'),
  })
  .prefault({});

export type DatabaseConfig = z.output<typeof databaseConfig>;
