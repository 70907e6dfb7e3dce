/** Settings every probe instrument shares, as zod fields to spread into its schema. */
import { z } from 'zod';
import { resolverAddress } from './resolve.js';

/** A DNS server `ip:port` instead of the system resolver; empty uses the system's. */
export const resolverSetting = z
  .string()
  .default('')
  .refine((value) => value === '' || resolverAddress(value) !== undefined, {
    message: 'must be ip:port, e.g. 10.96.0.10:53',
  });

export const probeSettings = {
  includeIPv4: z.boolean().default(true).meta({ description: 'Probe the A records (IPv4 addresses).' }),
  includeIPv6: z.boolean().default(true).meta({ description: 'Probe the AAAA records (IPv6 addresses).' }),
  resolver: resolverSetting.meta({ description: "A DNS server `ip:port` instead of the system's resolver." }),
  concurrency: z
    .number()
    .int()
    .min(1)
    .max(1000)
    .default(32)
    .meta({ description: 'Probes in flight at once, over all targets and addresses.' }),
};
