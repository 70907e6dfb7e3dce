import { z } from 'zod';
import { duration } from '../../lib/config/duration.js';

export const cockroachlicenseConfig = z
  .strictObject({
    checkInterval: duration('5m', { min: '10s' }),
    checkTimeout: duration('10s', { min: '1s' }),
    clusters: z
      .array(
        z.strictObject({
          name: z.string().min(1),
          /** PostgreSQL-protocol URL of the cluster (`sslmode=verify-full&sslrootcert=...` for secure ones). */
          dsn: z.string().min(1),
        }),
      )
      .default([])
      .refine((clusters) => new Set(clusters.map((c) => c.name)).size === clusters.length, {
        message: 'lists the same cluster name twice',
      }),
  })
  .prefault({});

export type CockroachlicenseConfig = z.output<typeof cockroachlicenseConfig>;
