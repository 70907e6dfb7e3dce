/**
 * The configuration schema: the single source of defaults and validation. Keys follow the
 * original's config.example.yaml; `otlp` is ours. Unknown keys are errors.
 */
import { z } from 'zod';
import { instruments } from '../../instruments/index.js';
import { exposedName } from '../telemetry/declaration.js';
import { selfMetrics } from '../telemetry/self-metrics.js';
import { duration } from './duration.js';

const listenAddress = z
  .string()
  .regex(/^(\[[0-9a-fA-F:.]*\]|[^:]*):\d{1,5}$/, 'must be host:port or :port, e.g. ":9090"')
  .refine((address) => Number(address.slice(address.lastIndexOf(':') + 1)) <= 65_535, {
    message: 'the port must be 0 to 65535',
  });

const urlPath = z.string().regex(/^\/[^\s?#]*$/, 'must be a path starting with "/"');

const server = z
  .strictObject({
    address: listenAddress.default(':9090'),
    metricsPath: urlPath.default('/metrics'),
    healthPath: urlPath.default('/health'),
    tls: z
      .strictObject({
        enabled: z.boolean().default(false),
        certFile: z.string().default(''),
        keyFile: z.string().default(''),
      })
      .prefault({})
      .refine((tls) => !tls.enabled || (tls.certFile !== '' && tls.keyFile !== ''), {
        message: 'tls.enabled needs both certFile and keyFile',
      }),
    auth: z.strictObject({ enabled: z.boolean().default(false) }).prefault({}),
  })
  .prefault({})
  // Probes must stay reachable: behind auth, a liveness probe on the metrics path gets 401 and the
  // pod restarts in a loop.
  .superRefine((server, ctx) => {
    for (const taken of [server.healthPath, '/livez', '/readyz']) {
      if (server.metricsPath === taken) {
        ctx.addIssue({
          code: 'custom',
          path: ['metricsPath'],
          message: `must differ from ${taken === server.healthPath ? 'healthPath' : taken}`,
          input: server.metricsPath,
        });
      }
    }
    for (const taken of ['/livez', '/readyz']) {
      if (server.healthPath === taken) {
        ctx.addIssue({
          code: 'custom',
          path: ['healthPath'],
          message: `must differ from ${taken}, which is served apart`,
          input: server.healthPath,
        });
      }
    }
  });

const debugServer = z
  .strictObject({
    enabled: z.boolean().default(false),
    /** Loopback only; `port` is the original's spelling and sets the port on 127.0.0.1. */
    address: listenAddress
      .refine((address) => /^(127\.0\.0\.1|\[::1\]|localhost):\d+$/.test(address), {
        message: 'must be a loopback address such as 127.0.0.1:8080 (the debug server has no auth)',
      })
      .default('127.0.0.1:8080'),
    port: z.number().int().min(1).max(65535).optional(),
    metricsPath: urlPath.default('/metrics'),
    healthPath: urlPath.default('/health'),
  })
  .prefault({});

const pprof = z
  .strictObject({
    enabled: z.boolean().default(false),
    port: z.number().int().min(1).max(65535).default(6060),
  })
  .prefault({});

const kubernetes = z
  .strictObject({
    kubeconfig: z.string().default(''),
    qps: z.number().positive().default(50),
    burst: z.number().int().positive().default(100),
    /**
     * Cuts a request (list page, lease, review) that gets no answer: a blackholed API server
     * would otherwise hold an informer's relist for minutes.
     */
    requestTimeout: duration('60s', { min: '100ms' }),
    /**
     * A watch that brings nothing (no event, no bookmark) for this long is reopened from its last
     * resourceVersion: after a partition, a dead connection is otherwise found only by TCP.
     */
    watchIdleTimeout: duration('2m', { min: '100ms' }),
  })
  .prefault({});

const metrics = z
  .strictObject({
    namespace: z
      .string()
      .regex(/^([a-zA-Z_][a-zA-Z0-9_]*)?$/, 'must be a Prometheus name prefix ([a-zA-Z_][a-zA-Z0-9_]*)')
      .default('sealos'),
  })
  .prefault({});

const leaderElection = z
  .strictObject({
    enabled: z.boolean().default(true),
    namespace: z.string().default(''),
    // The original's code default (its example config and chart set sealos-state-metrics, as ours
    // do), so an instance run without either contends for the same Leases as the Go one.
    leaseName: z.string().min(1).default('sealos-state-metric'),
    leaseDuration: duration('15s', { min: '1s' }),
    renewDeadline: duration('10s', { min: '1s' }),
    retryPeriod: duration('2s', { min: '100ms' }),
    /** Per-collector override of whether it runs only on the leader, e.g. `{node: false}`. */
    collectors: z
      .record(z.string(), z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')]))
      .default({}),
  })
  .prefault({});

const logging = z
  .strictObject({
    level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']).default('info'),
    format: z.enum(['json', 'text']).default('json'),
    /** The original's switch: the same as level "debug". */
    debug: z.boolean().default(false),
  })
  .prefault({});

const performance = z.strictObject({ informerResyncPeriod: duration('10m') }).prefault({});

const otlpUrl = z
  .union([z.literal(''), z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' })])
  .default('');

const otlp = z
  .strictObject({
    enabled: z.boolean().default(false),
    /** OTLP's two binary transports (OTEL_EXPORTER_OTLP_PROTOCOL); http/json is not offered. */
    protocol: z.enum(['grpc', 'http/protobuf']).default('grpc'),
    /**
     * The Collector's address; empty = the protocol's default (localhost:4317 for gRPC, :4318 for
     * HTTP). Over HTTP it is a base URL that `/v1/metrics` is appended to, as for
     * OTEL_EXPORTER_OTLP_ENDPOINT.
     */
    endpoint: otlpUrl,
    /** The metrics URL used as is, over either protocol (OTEL_EXPORTER_OTLP_METRICS_ENDPOINT); beats `endpoint`. */
    metricsEndpoint: otlpUrl,
    headers: z
      .record(z.string(), z.string(), { error: 'must be key=value pairs, comma-separated (a pair has no =)' })
      .default({}),
    interval: duration('30s', { min: '100ms' }),
    timeout: duration('10s', { min: '100ms' }),
    /**
     * Plain-text gRPC even for an https endpoint (the OTEL_EXPORTER_OTLP_INSECURE switch). As the
     * specification has it, gRPC only: over HTTP the URL's scheme decides.
     */
    insecure: z.boolean().default(false),
    compression: z.enum(['none', 'gzip']).default('none'),
    /** PEM CA bundle to trust for an https endpoint (OTEL_EXPORTER_OTLP_CERTIFICATE); empty = system CAs. */
    caFile: z.string().default(''),
    /** Client certificate and key for mutual TLS (OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE / _CLIENT_KEY). */
    clientCertFile: z.string().default(''),
    clientKeyFile: z.string().default(''),
  })
  .prefault({})
  .refine((otlp) => (otlp.clientCertFile === '') === (otlp.clientKeyFile === ''), {
    message: 'clientCertFile and clientKeyFile go together',
  });

const instrumentNames = instruments.map((definition) => definition.name) as [string, ...string[]];

/** Every instrument's section under `collectors`. */
export const collectors = z
  .strictObject(
    Object.fromEntries(instruments.map((definition) => [definition.name, definition.configSchema])) as Record<
      string,
      z.ZodType
    >,
  )
  .prefault({});

/**
 * Names a configuration defines (crds) must not clash with declared ones, nor with each other,
 * as exposed under the metrics namespace.
 */
function checkConfiguredMetrics(
  collectors: Record<string, unknown>,
  namespace: string,
  ctx: z.RefinementCtx,
): void {
  const taken = new Map<string, string>();
  for (const definition of instruments) {
    for (const declaration of definition.metrics)
      taken.set(exposedName(declaration, namespace), `the ${definition.name} collector`);
  }
  for (const declaration of selfMetrics) taken.set(exposedName(declaration, namespace), 'the self-metrics');
  for (const definition of instruments) {
    if (!definition.configuredMetrics) continue;
    for (const declaration of definition.configuredMetrics(collectors[definition.name] as never)) {
      const name = exposedName(declaration, namespace);
      const owner = taken.get(name);
      if (owner) {
        ctx.addIssue({
          code: 'custom',
          path: ['collectors', definition.name],
          message: `metric "${name}" is already defined by ${owner}`,
          input: declaration.name,
        });
      }
      taken.set(name, `collectors.${definition.name}`);
    }
  }
}

export const configSchema = z
  .strictObject({
    server,
    debugServer,
    pprof,
    kubernetes,
    metrics,
    leaderElection,
    logging,
    performance,
    otlp,
    enabledCollectors: z
      .array(z.enum(instrumentNames, { error: (issue) => `unknown collector "${String(issue.input)}"` }))
      .default(['zombie'])
      .refine((names) => new Set(names).size === names.length, { message: 'lists a collector twice' }),
    identity: z.string().default(''),
    /** The original's keys: the node (NODE_NAME) and pod (POD_NAME) names, for identity and node labels. */
    nodeName: z.string().default(''),
    podName: z.string().default(''),
    collectors,
  })
  .superRefine((config, ctx) => {
    checkConfiguredMetrics(config.collectors as Record<string, unknown>, config.metrics.namespace, ctx);
    if (config.leaderElection.renewDeadline >= config.leaderElection.leaseDuration) {
      ctx.addIssue({
        code: 'custom',
        path: ['leaderElection', 'renewDeadline'],
        message: 'must be shorter than leaseDuration',
        input: config.leaderElection.renewDeadline,
      });
    }
  });

export type Config = z.output<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
