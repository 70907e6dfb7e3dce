import { z } from 'zod';
import { duration } from '../../lib/config/duration.js';
import { resolverSetting } from '../../lib/probe/config.js';

const concurrency = (engine: string, defaultValue: number) =>
  z
    .number()
    .int()
    .min(1)
    .max(10_000)
    .default(defaultValue)
    .meta({ description: `${engine} checks at once.` });

export const databaseConfig = z
  .strictObject({
    checkInterval: duration('5m', { min: '10s' }).meta({ description: 'Time between runs.' }),
    checkTimeout: duration('10s', { min: '100ms' }).meta({
      description: "One database's whole check: preflight, connect, authenticate, ping.",
    }),
    namespaces: z
      .array(z.string().min(1))
      .default([])
      .meta({ description: 'Namespaces to watch; empty watches all.' }),
    mysqlConcurrency: concurrency('MySQL', 50),
    postgresqlConcurrency: concurrency('PostgreSQL', 50),
    mongodbConcurrency: concurrency('MongoDB', 50),
    redisConcurrency: concurrency('Redis', 100),
    discovery: z.enum(['secrets', 'clusters']).default('secrets').meta({
      description:
        "`secrets`, the original's: each `<name>-conn-credential` Secret with its type's label is a database. `clusters`: each KubeBlocks Cluster of the four engines is, a Cluster without its Secret counting as unavailable (`secret_missing`), a stopped one as `stopped`.",
    }),
    clusterApiVersion: z
      .string()
      .regex(/^[a-z0-9.-]+\/v[0-9a-z]+$/, 'must be group/version, e.g. apps.kubeblocks.io/v1alpha1')
      .default('apps.kubeblocks.io/v1alpha1')
      .meta({
        description:
          "KubeBlocks' Cluster API, with `discovery: clusters` (`apps.kubeblocks.io/v1` on KubeBlocks 1.x).",
      }),
    secretLabelSelector: z.string().default('').meta({
      description:
        "Narrows the Secrets watched: with `discovery: secrets` it is added to each type's selector (empty: the original's selectors alone); with `discovery: clusters` it is the only one, and `app.kubernetes.io/managed-by=kubeblocks` keeps every other Secret out of this process.",
    }),
    resolver: resolverSetting.meta({
      description:
        'A DNS server `ip:port` for the preflight lookup instead of the system resolver; service names (`x.ns.svc`) are then qualified with `clusterDomain`.',
    }),
    clusterDomain: z.string().min(1).default('cluster.local').meta({
      description: 'Appended to `*.svc` names when `resolver` is set (a DNS server gets no search list).',
    }),
  })
  .prefault({});

export type DatabaseConfig = z.output<typeof databaseConfig>;
