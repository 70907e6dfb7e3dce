import { z } from 'zod';
import { duration } from '../../lib/config/duration.js';

export const cockroachlicenseConfig = z
  .strictObject({
    checkInterval: duration('5m', { min: '10s' }).meta({
      description: 'Time between reads of every cluster.',
    }),
    checkTimeout: duration('10s', { min: '1s' }).meta({ description: 'Connect plus query, per cluster.' }),
    clusters: z
      .array(
        z.strictObject({
          name: z.string().min(1).meta({ description: 'The `cluster` label.' }),
          dsn: z.string().min(1).meta({
            description:
              // biome-ignore lint/suspicious/noTemplateCurlyInString: the config's own ${env:NAME} syntax, shown
              'PostgreSQL-protocol URL of the cluster, e.g. `postgresql://root@cockroach-public:26257/defaultdb?sslmode=verify-full&sslrootcert=/certs/ca.crt&sslcert=/certs/client.root.crt&sslkey=/certs/client.root.key`; `${env:NAME}` keeps a password out of the file.',
          }),
        }),
      )
      .default([])
      .refine((clusters) => new Set(clusters.map((c) => c.name)).size === clusters.length, {
        message: 'lists the same cluster name twice',
      })
      .meta({ description: 'The CockroachDB clusters whose license is read.' }),
  })
  .prefault({});

export type CockroachlicenseConfig = z.output<typeof cockroachlicenseConfig>;
