import { z } from 'zod';
import { duration } from '../../lib/config/duration.js';

export const imagepullConfig = z
  .strictObject({
    /** A container creating for longer than this while its image is pulled is a slow pull. */
    slowPullThreshold: duration('5m', { min: '1s' }),
    /** Namespaces to watch; empty watches all. */
    namespaces: z
      .array(z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a namespace name'))
      .default([]),
    /**
     * Also watch Pod events (Pulling, Pulled, Failed): the pull's real start, the root cause behind
     * a generic back-off, and "already pulled" for containers that wait for something else.
     * Needs list/watch on events; off falls back to Pod status alone.
     */
    useEvents: z.boolean().default(true),
    /**
     * Off (the original): failures are reported for the public registries of the original's
     * allow-list only (Docker Hub, gcr.io, ghcr.io, quay.io, registry.k8s.io, Aliyun, Sealos
     * hubs). On: for every registry. Slow pulls are reported for every registry either way.
     */
    allRegistries: z.boolean().default(false),
  })
  .prefault({});

export type ImagepullConfig = z.output<typeof imagepullConfig>;
