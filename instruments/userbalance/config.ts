import { z } from 'zod';
import { duration } from '../../lib/config/duration.js';

const user = z.strictObject({
  region: z.string().default(''),
  uuid: z.string().default(''),
  /** The Sealos user id ("User".id) the balance is looked up by. */
  uid: z.string().min(1),
  owner: z.string().default(''),
  type: z.string().default(''),
  level: z.string().default(''),
});

export const userbalanceConfig = z
  .strictObject({
    checkInterval: duration('5m', { min: '10s' }),
    /** Connect plus query; longer is cut and counted failed. */
    checkTimeout: duration('30s', { min: '1s' }),
    database: z
      .strictObject({
        /** PostgreSQL or CockroachDB connection URL; `${env:NAME}` keeps the password out of the file. */
        dsn: z.string().default(''),
      })
      .prefault({}),
    users: z.array(user).default([]),
  })
  .prefault({})
  .refine((c) => c.users.length === 0 || c.database.dsn !== '', {
    message: 'users are listed but database.dsn is empty',
    path: ['database', 'dsn'],
  })
  .refine((c) => new Set(c.users.map((u) => u.uid)).size === c.users.length, {
    message: 'lists the same uid twice',
    path: ['users'],
  });

export type UserbalanceConfig = z.output<typeof userbalanceConfig>;
export type UserEntry = UserbalanceConfig['users'][number];
