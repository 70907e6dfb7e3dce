import { z } from 'zod';
import { duration } from '../../lib/config/duration.js';

const account = z
  .strictObject({
    provider: z.enum(['alicloud', 'tencentcloud', 'volcengine']),
    accountId: z.string().min(1),
    /** Inline credentials, or files (a mounted Kubernetes Secret), read at every check so rotation works. */
    accessKeyId: z.string().default(''),
    accessKeySecret: z.string().default(''),
    accessKeyIdFile: z.string().default(''),
    accessKeySecretFile: z.string().default(''),
    regionId: z.string().default(''),
    /** Override of the provider's API endpoint, `host[:port]` or a URL (tests, private gateways). */
    endpoint: z.string().default(''),
    /** HTTP proxy for this account's API calls, e.g. `http://egress-proxy:3128`. */
    proxy: z.string().default(''),
  })
  // Tencent's SDK signs with the first label of the host as the service name.
  .refine(
    (a) => a.provider !== 'tencentcloud' || a.endpoint === '' || /^(https?:\/\/)?billing\./.test(a.endpoint),
    {
      message: 'a tencentcloud endpoint must be a billing.* host (the SDK signs with its first label)',
      path: ['endpoint'],
    },
  )
  .refine((a) => (a.accessKeyId === '') !== (a.accessKeyIdFile === ''), {
    message: 'set exactly one of accessKeyId and accessKeyIdFile',
  })
  .refine((a) => (a.accessKeySecret === '') !== (a.accessKeySecretFile === ''), {
    message: 'set exactly one of accessKeySecret and accessKeySecretFile',
  });

export const cloudbalanceConfig = z
  .strictObject({
    checkInterval: duration('5m', { min: '10s' }),
    /** One provider call taking longer is cut and counted failed. */
    checkTimeout: duration('30s', { min: '1s' }),
    accounts: z.array(account).default([]),
  })
  .prefault({})
  .refine((c) => new Set(c.accounts.map((a) => `${a.provider}/${a.accountId}`)).size === c.accounts.length, {
    message: 'lists the same provider/accountId twice',
  });

export type CloudbalanceConfig = z.output<typeof cloudbalanceConfig>;
export type Account = CloudbalanceConfig['accounts'][number];
