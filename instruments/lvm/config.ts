import { z } from 'zod';
import { duration } from '../../lib/config/duration.js';

export const lvmConfig = z
  .strictObject({
    updateInterval: duration('10s', { min: '1s' }),
    /** A run of vgs still going after this is killed and counted as failed. */
    timeout: duration('5s', { min: '100ms' }),
    /**
     * The command that runs vgs, as an argument list (never a shell string); the report arguments
     * are appended. E.g. `[nsenter, -t, "1", -m, --, vgs]` to use the host's LVM from a container.
     */
    command: z.array(z.string().min(1)).min(1).default(['vgs']),
    /** The original's key: the node label; empty means NODE_NAME (the instance's node). */
    nodeName: z.string().default(''),
  })
  .prefault({});

export type LvmConfig = z.output<typeof lvmConfig>;
