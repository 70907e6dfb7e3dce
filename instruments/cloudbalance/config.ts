import { z } from 'zod';
import { duration } from '../../lib/config/duration.js';

const account = z
  .strictObject({
    provider: z
      .enum(['alicloud', 'tencentcloud', 'volcengine'])
      .meta({ description: '`alicloud`, `tencentcloud` or `volcengine`.' }),
    accountId: z.string().min(1).meta({ description: 'The `account_id` label.' }),
    accessKeyId: z.string().default('').meta({
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the config's own ${env:NAME} syntax, shown
      description: 'Inline (or `${env:NAME}`); exactly one of this and `accessKeyIdFile`.',
    }),
    accessKeySecret: z.string().default('').meta({
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the config's own ${env:NAME} syntax, shown
      description: 'Inline (or `${env:NAME}`); exactly one of this and `accessKeySecretFile`.',
    }),
    accessKeyIdFile: z.string().default('').meta({
      description: 'A file holding the key id, read at every check (a mounted Secret: rotation works).',
    }),
    accessKeySecretFile: z.string().default('').meta({ description: 'A file holding the secret, likewise.' }),
    regionId: z.string().default('').meta({
      description:
        "Signing region (`cn-hangzhou`, `ap-guangzhou`, `cn-beijing`, ...); empty: the provider's default.",
    }),
    endpoint: z.string().default('').meta({
      description:
        "`host[:port]` or URL of a regional or private API endpoint; empty: the provider's public one. For Tencent it must be a `billing.*` host (its SDK signs with the first label).",
    }),
    proxy: z
      .string()
      .default('')
      .meta({ description: "HTTP proxy for this account's API calls, e.g. `http://egress-proxy:3128`." }),
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
    checkInterval: duration('5m', { min: '10s' }).meta({ description: 'Time between checks.' }),
    checkTimeout: duration('30s', { min: '1s' }).meta({
      description: 'One provider call, per account; longer is cut and counted failed.',
    }),
    accounts: z.array(account).default([]).meta({ description: 'The cloud accounts whose balance is read.' }),
  })
  .prefault({})
  .refine((c) => new Set(c.accounts.map((a) => `${a.provider}/${a.accountId}`)).size === c.accounts.length, {
    message: 'lists the same provider/accountId twice',
  });

export type CloudbalanceConfig = z.output<typeof cloudbalanceConfig>;
export type Account = CloudbalanceConfig['accounts'][number];
