import { z } from 'zod';
import { duration } from '../../lib/config/duration.js';

export const imagepullConfig = z
  .strictObject({
    slowPullThreshold: duration('5m', { min: '1s' }).meta({
      description: 'A container creating for longer than this while its image is pulled is a slow pull.',
    }),
    namespaces: z
      .array(z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a namespace name'))
      .default([])
      .meta({ description: 'Namespaces to watch; empty watches all.' }),
    useEvents: z.boolean().default(true).meta({
      description:
        'Also watch Pod events (Pulling, Pulled, Failed): the pull\'s real start, the root cause (`cause`) behind a generic back-off, and "already pulled" for containers that wait for something else. Needs list/watch on events; off falls back to Pod status alone.',
    }),
    allRegistries: z.boolean().default(false).meta({
      description:
        "Off (the original): failures are reported for the public registries of the original's allow-list only (Docker Hub, gcr.io, ghcr.io, quay.io, registry.k8s.io, Aliyun, Sealos hubs). On: for every registry. Slow pulls are reported for every registry either way.",
    }),
  })
  .prefault({});

export type ImagepullConfig = z.output<typeof imagepullConfig>;
