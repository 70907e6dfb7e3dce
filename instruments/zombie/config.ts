import { z } from 'zod';
import { duration } from '../../lib/config/duration.js';

export const zombieConfig = z
  .strictObject({
    /** How often the process table is scanned. */
    checkInterval: duration('30s', { min: '1s' }),
    /** Where the host's proc filesystem is mounted (`/host/proc` in the chart's DaemonSet). */
    procPath: z.string().min(1).default('/proc'),
  })
  .prefault({});

export type ZombieConfig = z.output<typeof zombieConfig>;
