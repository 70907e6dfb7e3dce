import { z } from 'zod';
import { duration } from '../../lib/config/duration.js';

export const lvmConfig = z
  .strictObject({
    updateInterval: duration('10s', { min: '1s' }).meta({ description: 'Time between runs of vgs.' }),
    timeout: duration('5s', { min: '100ms' }).meta({
      description: 'A run of vgs still going after this is killed (SIGKILL) and counted as failed.',
    }),
    command: z.array(z.string().min(1)).min(1).default(['vgs']).meta({
      description:
        'The command that runs vgs, as an argument list (never a shell string); the report arguments are appended. `[nsenter, -t, "1", -m, --, vgs]` uses the host\'s LVM from a container, `[vgs, vg0, vg1]` reports only some volume groups.',
    }),
    nodeName: z.string().default('').meta({
      description: "The original's key: the `node` label; empty means `NODE_NAME` (the instance's node).",
    }),
  })
  .prefault({});

export type LvmConfig = z.output<typeof lvmConfig>;
