/**
 * The configuration schema: the single source of defaults and validation. Keys follow the
 * original's config.example.yaml; `otlp` is ours. Unknown keys are errors.
 */
import { z } from 'zod';
import { instruments } from '../../instruments/index.js';
import { exposedName } from '../telemetry/declaration.js';
import { patternProblem } from '../telemetry/metric-selection.js';
import { selfMetrics } from '../telemetry/self-metrics.js';
import { duration } from './duration.js';
import { sectionSchema } from './metric-switches.js';

const listenAddress = z
  .string()
  .regex(/^(\[[0-9a-fA-F:.]*\]|[^:]*):\d{1,5}$/, 'must be host:port or :port, e.g. ":9090"')
  .refine((address) => Number(address.slice(address.lastIndexOf(':') + 1)) <= 65_535, {
    message: 'the port must be 0 to 65535',
  });

const urlPath = z.string().regex(/^\/[^\s?#]*$/, 'must be a path starting with "/"');

const server = z
  .strictObject({
    address: listenAddress.default(':9090').meta({
      description: 'Where /metrics and the health endpoints listen: `:9090`, `127.0.0.1:9090`, `[::]:9090`.',
      restart: true,
    }),
    metricsPath: urlPath.default('/metrics').meta({ description: 'Path of the Prometheus exposition.' }),
    healthPath: urlPath.default('/health').meta({
      description:
        "Path of the health page (the original's probe path); `/livez` and `/readyz` are served beside it.",
    }),
    tls: z
      .strictObject({
        enabled: z.boolean().default(false).meta({
          description:
            'Serve HTTPS. The files are re-read when they change (cert-manager rotation); a bad pair is refused and the old one kept.',
          restart: true,
        }),
        certFile: z
          .string()
          .default('')
          .meta({ description: 'PEM certificate (chain) for HTTPS.', restart: true }),
        keyFile: z.string().default('').meta({ description: 'PEM private key for HTTPS.', restart: true }),
      })
      .prefault({})
      .refine((tls) => !tls.enabled || (tls.certFile !== '' && tls.keyFile !== ''), {
        message: 'tls.enabled needs both certFile and keyFile',
      }),
    auth: z
      .strictObject({
        enabled: z.boolean().default(false).meta({
          description:
            '/metrics needs a bearer token the cluster allows (TokenReview, then a SubjectAccessReview for `get` on the metrics path); see "/metrics auth" below. Needs a cluster.',
          restart: true,
        }),
      })
      .prefault({}),
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
    enabled: z.boolean().default(false).meta({
      description:
        'A loopback page of collectors, health, last errors and the running config with secrets redacted; `/state.json`.',
    }),
    address: listenAddress
      .refine((address) => /^(127\.0\.0\.1|\[::1\]|localhost):\d+$/.test(address), {
        message: 'must be a loopback address such as 127.0.0.1:8080 (the debug server has no auth)',
      })
      .default('127.0.0.1:8080')
      .meta({ description: 'Where the debug page listens: loopback only (it has no auth).' }),
    port: z.number().int().min(1).max(65535).optional().meta({
      description: "The original's spelling: the debug page's port on 127.0.0.1, instead of `address`.",
    }),
    metricsPath: urlPath
      .default('/metrics')
      .meta({ description: "Path of the debug server's copy of the exposition." }),
    healthPath: urlPath.default('/health').meta({ description: "Path of the debug server's health page." }),
  })
  .prefault({});

const pprof = z
  .strictObject({
    enabled: z.boolean().default(false).meta({
      description:
        'Profiles on 127.0.0.1: `/debug/pprof/profile?seconds=N` (a V8 `.cpuprofile`), `/debug/pprof/heap` (a `.heapsnapshot`).',
    }),
    port: z
      .number()
      .int()
      .min(1)
      .max(65535)
      .default(6060)
      .meta({ description: 'Port of the profiles on 127.0.0.1.' }),
  })
  .prefault({});

const kubernetes = z
  .strictObject({
    kubeconfig: z.string().default('').meta({
      description:
        'The cluster: this file, else `KUBECONFIG`, else the in-cluster service account, else `~/.kube/config`.',
      restart: true,
    }),
    qps: z
      .number()
      .positive()
      .default(50)
      .meta({ description: 'Client-side rate limit: API requests a second.', restart: true }),
    burst: z
      .number()
      .int()
      .positive()
      .default(100)
      .meta({ description: 'Requests allowed at once above `qps`.', restart: true }),
    // A blackholed API server would otherwise hold an informer's relist for minutes.
    requestTimeout: duration('60s', { min: '100ms' }).meta({
      description:
        'A request (list page, lease, review) without a whole answer in this time is cut and retried with backoff.',
      restart: true,
    }),
    // After a partition, a dead connection is otherwise found only by TCP.
    watchIdleTimeout: duration('2m', { min: '100ms' }).meta({
      description:
        'A watch that brings nothing (no event, no bookmark) this long is reopened from its last resourceVersion.',
      restart: true,
    }),
  })
  .prefault({});

/** Regular expressions, each checked where it is written so a typo names its place. */
const metricPatterns = z
  .array(
    z.string().superRefine((pattern, ctx) => {
      const problem = patternProblem(pattern);
      if (problem)
        ctx.addIssue({ code: 'custom', message: `not a regular expression: ${problem}`, input: pattern });
    }),
  )
  .default([]);

const metrics = z
  .strictObject({
    namespace: z
      .string()
      .regex(/^([a-zA-Z_][a-zA-Z0-9_]*)?$/, 'must be a Prometheus name prefix ([a-zA-Z_][a-zA-Z0-9_]*)')
      .default('sealos')
      .meta({
        description: "Prefix of the instruments' metric names (the self-metrics keep `state_metric_`).",
      }),
    allowlist: metricPatterns.meta({
      description:
        "kube-state-metrics' `--metric-allowlist` (also a flag here): only instrument metrics whose exposed name a pattern matches, anywhere in the name (anchor with `^...$`); the self-metrics stay.",
    }),
    denylist: metricPatterns.meta({
      description:
        "kube-state-metrics' `--metric-denylist` (also a flag here): instrument metrics whose exposed name a pattern matches are left out; not together with `allowlist`.",
    }),
  })
  .prefault({})
  .refine((metrics) => metrics.allowlist.length === 0 || metrics.denylist.length === 0, {
    message: 'allowlist and denylist are mutually exclusive: set one of them',
  });

const sharding = z
  .strictObject({
    totalShards: z.number().int().min(1).max(10_000).default(1).meta({
      description:
        "kube-state-metrics' `--total-shards` (also a flag here): the per-object instruments (pod, imagepull, crds, database, node) split their objects over this many replicas by a hash of each object's UID, as kube-state-metrics does; 1 is no sharding.",
    }),
    shard: z.number().int().min(0).default(0).meta({
      description: "kube-state-metrics' `--shard` (also a flag here): this replica's shard, from 0.",
    }),
    fromStatefulSet: z.boolean().default(false).meta({
      description:
        "kube-state-metrics' automatic sharding: the shard is the ordinal of this pod (`POD_NAME`, `POD_NAMESPACE`) in its StatefulSet and the count its replicas, followed when the StatefulSet is scaled. `shard` and `totalShards` are then ignored.",
    }),
  })
  .prefault({})
  .refine((config) => config.fromStatefulSet || config.shard < config.totalShards, {
    message: 'shard must be less than totalShards',
    path: ['shard'],
  });

const leaderElection = z
  .strictObject({
    enabled: z.boolean().default(true).meta({
      description: 'Cluster-wide instruments run only on the replica holding their Lease (one Lease each).',
    }),
    namespace: z
      .string()
      .default('')
      .meta({ description: "Namespace of the Leases; empty is the pod's own, else `default`." }),
    // The original's code default (its example config and chart set sealos-state-metrics, as ours
    // do), so an instance run without either contends for the same Leases as the Go one.
    leaseName: z.string().min(1).default('sealos-state-metric').meta({
      description:
        "Leases are named `<leaseName>-<instrument>`, as the original names them; the default is the original code's (its example config and chart, and ours, set `sealos-state-metrics`).",
    }),
    leaseDuration: duration('15s', { min: '1s' }).meta({
      description: 'How long a Lease holds without renewal.',
    }),
    renewDeadline: duration('10s', { min: '1s' }).meta({
      description: 'A leader that cannot renew within this stops (shorter than `leaseDuration`).',
    }),
    retryPeriod: duration('2s', { min: '100ms' }).meta({
      description: 'Time between attempts to acquire or renew.',
    }),
    collectors: z
      .record(z.string(), z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')]))
      .default({})
      .meta({
        description: 'Per instrument, whether it runs only on the leader, over its default: `{node: false}`.',
      }),
  })
  .prefault({});

const logging = z
  .strictObject({
    level: z
      .enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal'])
      .default('info')
      .meta({ description: '`trace`, `debug`, `info`, `warn`, `error` or `fatal`; logs go to stderr.' }),
    format: z
      .enum(['json', 'text'])
      .default('json')
      .meta({ description: '`json`, or `text` (pino-pretty).' }),
    debug: z
      .boolean()
      .default(false)
      .meta({ description: "The original's switch: the same as `level: debug`." }),
  })
  .prefault({});

const performance = z
  .strictObject({
    informerResyncPeriod: duration('10m').meta({
      description: 'How often the shared informers hand every cached object to the instruments again.',
    }),
  })
  .prefault({});

const otlpUrl = z
  .union([z.literal(''), z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' })])
  .default('');

const otlp = z
  .strictObject({
    enabled: z.boolean().default(false).meta({ description: 'Push OTLP to a Collector, beside /metrics.' }),
    protocol: z.enum(['grpc', 'http/protobuf']).default('grpc').meta({
      description:
        'OTLP over `grpc` or `http/protobuf` (`OTEL_EXPORTER_OTLP_PROTOCOL`); http/json is not offered.',
    }),
    endpoint: otlpUrl.meta({
      description:
        "The Collector (`OTEL_EXPORTER_OTLP_ENDPOINT`); empty is the protocol's default, `http://localhost:4317` for gRPC and `http://localhost:4318` for HTTP. Over HTTP `/v1/metrics` is appended to its path: `https://gw/otlp` sends to `https://gw/otlp/v1/metrics`.",
    }),
    metricsEndpoint: otlpUrl.meta({
      description:
        'The metrics URL used as it is, over either protocol (`OTEL_EXPORTER_OTLP_METRICS_ENDPOINT`); beats `endpoint`.',
    }),
    headers: z
      .record(z.string(), z.string(), { error: 'must be key=value pairs, comma-separated (a pair has no =)' })
      .default({})
      .meta({
        description: 'Sent with every request (gRPC metadata or HTTP headers); the values are never logged.',
      }),
    interval: duration('30s', { min: '100ms' }).meta({ description: 'Time between exports.' }),
    timeout: duration('10s', { min: '100ms' }).meta({
      description: 'One request, retries included, is cut after this.',
    }),
    insecure: z.boolean().default(false).meta({
      description:
        'Plain-text gRPC even for an `https://` endpoint (`OTEL_EXPORTER_OTLP_INSECURE`); gRPC only, as the specification has it: over HTTP the scheme decides.',
    }),
    compression: z.enum(['none', 'gzip']).default('none').meta({ description: '`none` or `gzip`.' }),
    caFile: z.string().default('').meta({
      description:
        'PEM CA bundle to trust for an `https://` endpoint (`OTEL_EXPORTER_OTLP_CERTIFICATE`); empty: the system CAs.',
    }),
    clientCertFile: z.string().default('').meta({
      description:
        'Client certificate for mutual TLS (`OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE`), with `clientKeyFile`.',
    }),
    clientKeyFile: z.string().default('').meta({
      description: 'Its private key (`OTEL_EXPORTER_OTLP_CLIENT_KEY`).',
    }),
  })
  .prefault({})
  .refine((otlp) => (otlp.clientCertFile === '') === (otlp.clientKeyFile === ''), {
    message: 'clientCertFile and clientKeyFile go together',
  });

const instrumentNames = instruments.map((definition) => definition.name) as [string, ...string[]];

/** Every instrument's section under `collectors`. */
export const collectors = z
  .strictObject(
    Object.fromEntries(
      instruments.map((definition) => [definition.name, sectionSchema(definition)]),
    ) as Record<string, z.ZodType>,
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
    sharding,
    logging,
    performance,
    otlp,
    enabledCollectors: z
      .array(z.enum(instrumentNames, { error: (issue) => `unknown collector "${String(issue.input)}"` }))
      .default(['zombie'])
      .refine((names) => new Set(names).size === names.length, { message: 'lists a collector twice' })
      .meta({ description: 'The instruments to run.' }),
    identity: z.string().default('').meta({
      description:
        "The instance id (also the Lease holder), in the original's order: this, else the node name, else the pod name, else the first non-loopback IPv4, else the hostname, else a random id. The chart sets it to the pod name in Deployment mode, where replicas may share a node.",
      restart: true,
    }),
    nodeName: z.string().default('').meta({
      description:
        "The original's key for the node's name (`NODE_NAME`, from the Downward API): identity and `node` labels.",
      restart: true,
    }),
    podName: z.string().default('').meta({
      description: "The original's key for the pod's name (`POD_NAME`): identity.",
      restart: true,
    }),
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
