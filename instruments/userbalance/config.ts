import { z } from 'zod';
import { duration } from '../../lib/config/duration.js';
import { lastOfEach } from '../../lib/config/entries.js';

const user = z.strictObject({
  region: z.string().default(''),
  uuid: z.string().default(''),
  /** The Sealos user id ("User".id) the balance is looked up by. */
  uid: z.string().min(1),
  owner: z.string().default(''),
  type: z.string().default(''),
  level: z.string().default(''),
  /** Exported beside the balance as the user's `type="quota"` series (0 when unset), as in the original. */
  quota: z.number().finite().default(0),
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
    /**
     * A user is one per region and uid, as the original keys its balances; the same uid may stand
     * in two regions. The same pair twice is one user, the later entry's labels winning.
     */
    users: z
      .array(user)
      .default([])
      .transform((users) => lastOfEach(users, (u) => [u.region, u.uid])),
  })
  .prefault({})
  .refine((c) => c.users.length === 0 || c.database.dsn !== '', {
    message: 'users are listed but database.dsn is empty',
    path: ['database', 'dsn'],
  });

export type UserbalanceConfig = z.output<typeof userbalanceConfig>;
export type UserEntry = UserbalanceConfig['users'][number];
