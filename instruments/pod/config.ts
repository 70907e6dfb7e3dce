import { z } from 'zod';

export const podConfig = z
  .strictObject({
    /** Namespaces to watch; empty watches all (one informer per listed namespace otherwise). */
    namespaces: z
      .array(z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a namespace name'))
      .default([]),
    /** Containers are reported once their restart count reaches this. */
    restartThreshold: z.number().int().min(0).default(5),
  })
  .prefault({});

export type PodConfig = z.output<typeof podConfig>;
