import { z } from 'zod';

export const podConfig = z
  .strictObject({
    namespaces: z
      .array(z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a namespace name'))
      .default([])
      .meta({
        description: 'Namespaces to watch; empty watches all (one informer per listed namespace otherwise).',
      }),
    restartThreshold: z
      .number()
      .int()
      .min(0)
      .default(5)
      .meta({ description: 'Containers are reported once their restart count reaches this.' }),
  })
  .prefault({});

export type PodConfig = z.output<typeof podConfig>;
