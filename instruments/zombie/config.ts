import { z } from 'zod';
import { duration } from '../../lib/config/duration.js';

export const zombieConfig = z
  .strictObject({
    checkInterval: duration('30s', { min: '1s' }).meta({
      description: 'Time between scans of the process table; a scan is cut at the same length.',
    }),
    procPath: z.string().min(1).default('/proc').meta({
      description: "Where the host's proc filesystem is mounted (`/host/proc` in the chart's DaemonSet).",
    }),
  })
  .prefault({});

export type ZombieConfig = z.output<typeof zombieConfig>;
