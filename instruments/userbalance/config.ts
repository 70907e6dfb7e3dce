import { z } from 'zod';
import { duration } from '../../lib/config/duration.js';
import { lastOfEach } from '../../lib/config/entries.js';

const label = (name: string) =>
  z
    .string()
    .default('')
    .meta({ description: `The \`${name}\` label.` });

const user = z.strictObject({
  region: label('region'),
  uuid: label('uuid'),
  uid: z.string().min(1).meta({
    description: 'The Sealos user id ("User".id) the balance is looked up by; also the `uid` label.',
  }),
  owner: label('owner'),
  type: label('type'),
  level: label('level'),
  quota: z.number().finite().default(0).meta({
    description: 'Exported beside the balance as the user\'s `type="quota"` series, as in the original.',
  }),
});

export const userbalanceConfig = z
  .strictObject({
    checkInterval: duration('5m', { min: '10s' }).meta({ description: 'Time between queries.' }),
    checkTimeout: duration('30s', { min: '1s' }).meta({
      description: 'Connect plus query; longer is cut and counted failed.',
    }),
    database: z
      .strictObject({
        dsn: z.string().default('').meta({
          description:
            // biome-ignore lint/suspicious/noTemplateCurlyInString: the config's own ${env:NAME} syntax, shown
            'PostgreSQL or CockroachDB connection URL (`postgresql://user:password@host:port/db?sslmode=...`); `${env:NAME}` keeps the password out of the file. Shown redacted on the debug page.',
        }),
      })
      .prefault({}),
    users: z
      .array(user)
      .default([])
      .transform((users) => lastOfEach(users, (u) => [u.region, u.uid]))
      .meta({
        description:
          "One user per region and uid, as the original keys its balances: the same uid may stand in two regions; the same pair twice is one user, the later entry's labels winning.",
      }),
  })
  .prefault({})
  .refine((c) => c.users.length === 0 || c.database.dsn !== '', {
    message: 'users are listed but database.dsn is empty',
    path: ['database', 'dsn'],
  });

export type UserbalanceConfig = z.output<typeof userbalanceConfig>;
export type UserEntry = UserbalanceConfig['users'][number];
