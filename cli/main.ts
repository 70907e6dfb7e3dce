#!/usr/bin/env node
/**
 * The command line: `run` (default) serves metrics, `check-config` validates a file, `metrics`
 * lists every declared metric. The only module that reads process.argv and exits.
 */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { App } from '../lib/app.js';
import type { Override } from '../lib/config/env.js';
import { ConfigError, loadConfig } from '../lib/config/load.js';
import type { Config } from '../lib/config/schema.js';
import { LogHub } from '../lib/log.js';
import { loadCertificatePair } from '../lib/server/tls.js';
import { catalogMarkdown, catalogText, configuredCatalog } from '../lib/telemetry/catalog.js';
import { VERSION } from '../lib/version.js';

interface RunFlags {
  config?: string;
  address?: string;
  'log-level'?: string;
  'log-format'?: string;
  'enabled-collectors'?: string[];
  'metrics-namespace'?: string;
  identity?: string;
  'otlp-endpoint'?: string;
  'metric-allowlist'?: string[];
  'metric-denylist'?: string[];
  'custom-resource-state-config'?: string;
  'custom-resource-state-config-file'?: string;
  shard?: number;
  'total-shards'?: number;
}

/** A list flag given once comma-separated or several times, as kube-state-metrics takes its lists. */
const listOf = (values: readonly string[] | undefined) =>
  values?.flatMap((item) => item.split(',')).filter((item) => item !== '');

function flagOverrides(flags: RunFlags): Override[] {
  const out: Override[] = [];
  const add = (flag: keyof RunFlags, path: string[], value: unknown) => {
    if (value !== undefined) out.push({ path, value, source: `flag --${flag}` });
  };
  add('address', ['server', 'address'], flags.address);
  add('log-level', ['logging', 'level'], flags['log-level']);
  add('log-format', ['logging', 'format'], flags['log-format']);
  add('enabled-collectors', ['enabledCollectors'], listOf(flags['enabled-collectors']));
  add('metric-allowlist', ['metrics', 'allowlist'], listOf(flags['metric-allowlist']));
  add('metric-denylist', ['metrics', 'denylist'], listOf(flags['metric-denylist']));
  add('metrics-namespace', ['metrics', 'namespace'], flags['metrics-namespace']);
  add(
    'custom-resource-state-config',
    ['collectors', 'crds', 'customResourceStateConfig'],
    flags['custom-resource-state-config'],
  );
  add(
    'custom-resource-state-config-file',
    ['collectors', 'crds', 'customResourceStateConfigFile'],
    flags['custom-resource-state-config-file'],
  );
  add('identity', ['identity'], flags.identity);
  add('shard', ['sharding', 'shard'], flags.shard);
  add('total-shards', ['sharding', 'totalShards'], flags['total-shards']);
  if (flags['otlp-endpoint'] !== undefined) {
    add('otlp-endpoint', ['otlp', 'endpoint'], flags['otlp-endpoint']);
    add('otlp-endpoint', ['otlp', 'enabled'], true);
  }
  return out;
}

function metricListOption(key: string) {
  return {
    type: 'array',
    string: true,
    describe: `regular expressions, comma-separated, as kube-state-metrics takes them (${key})`,
  } as const;
}

/** A config error's problems, or the message of any other error. */
function problemsOf(error: unknown): readonly string[] {
  return error instanceof ConfigError ? error.problems : [(error as Error).message];
}

function failStart(error: unknown): never {
  process.stderr.write(`sealos-state-metrics: cannot start: ${problemsOf(error).join('; ')}\n`);
  process.exit(1);
}

/** check-config and metrics: every problem on a line of its own, then exit 1. */
function failConfig(error: unknown): never {
  for (const problem of problemsOf(error)) process.stderr.write(`${problem}\n`);
  process.exit(1);
}

async function run(flags: RunFlags): Promise<void> {
  const logs = new LogHub();
  const logger = logs.child({ component: 'cli' });
  // Handlers go in before anything starts: a signal that arrives while starting must not fall
  // through to Node's default action (which ends the process without a clean stop).
  let app: App | undefined;
  let stopping = false;
  let reloadWanted = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const hardStop = setTimeout(() => {
      logger.error('shutdown took too long, exiting');
      process.exit(1);
    }, 20_000);
    hardStop.unref();
    if (!app) return; // start() sees `stopping` and stops what it started
    app.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: (error as Error).message }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGHUP', () => {
    if (app) void app.runtime.reload();
    else reloadWanted = true;
  });
  try {
    app = await App.start({
      ...(flags.config !== undefined ? { file: flags.config } : {}),
      env: process.env,
      flags: flagOverrides(flags),
      logs,
    });
  } catch (error) {
    failStart(error);
  }
  if (stopping) {
    stopping = false;
    stop('signal during start');
    return;
  }
  if (reloadWanted) void app.runtime.reload();
}

async function checkConfig(file: string): Promise<void> {
  try {
    const loaded = await loadConfig({ file, env: process.env });
    // What start would refuse beyond the schema: the TLS pair must be readable and load.
    const { tls } = loaded.config.server;
    if (tls.enabled) {
      try {
        await loadCertificatePair(tls.certFile, tls.keyFile);
      } catch (error) {
        throw new ConfigError([(error as Error).message]);
      }
    }
    process.stdout.write(
      `${file}: ok (collectors: ${loaded.config.enabledCollectors.join(', ') || 'none'}; hash ${loaded.hash.slice(0, 12)})\n`,
    );
  } catch (error) {
    failConfig(error);
  }
}

/** The catalog under the config (file, environment, list flags): each metric marked exposed or not. */
async function listMetrics(format: string, flags: RunFlags): Promise<void> {
  let config: Config;
  try {
    ({ config } = await loadConfig({ file: flags.config, env: process.env, flags: flagOverrides(flags) }));
  } catch (error) {
    failConfig(error);
  }
  const catalog = configuredCatalog(config);
  const out =
    format === 'json'
      ? JSON.stringify(catalog, null, 2)
      : format === 'md'
        ? catalogMarkdown(catalog)
        : catalogText(catalog);
  process.stdout.write(`${out}\n`);
}

await yargs(hideBin(process.argv))
  .scriptName('sealos-state-metrics')
  .version(VERSION)
  .command(
    ['run', '$0'],
    'serve metrics (Prometheus pull, and OTLP push when enabled)',
    (y) =>
      y
        .option('config', { alias: 'c', type: 'string', describe: 'YAML config file (watched and reloaded)' })
        .option('address', { type: 'string', describe: 'listen address, e.g. :9090 (server.address)' })
        .option('log-level', { type: 'string', describe: 'trace|debug|info|warn|error (logging.level)' })
        .option('log-format', { type: 'string', describe: 'json|text (logging.format)' })
        .option('enabled-collectors', {
          type: 'array',
          string: true,
          describe: 'collectors to run (enabledCollectors)',
        })
        .option('metrics-namespace', { type: 'string', describe: 'metric name prefix (metrics.namespace)' })
        .option('identity', { type: 'string', describe: 'instance id (identity)' })
        .option('metric-allowlist', metricListOption('metrics.allowlist'))
        .option('metric-denylist', metricListOption('metrics.denylist'))
        .option('custom-resource-state-config', {
          type: 'string',
          describe:
            "kube-state-metrics' Custom Resource State document, inline YAML (collectors.crds.customResourceStateConfig)",
        })
        .option('custom-resource-state-config-file', {
          type: 'string',
          describe: 'a file with that document, watched (collectors.crds.customResourceStateConfigFile)',
        })
        .option('shard', { type: 'number', describe: "this replica's shard, from 0 (sharding.shard)" })
        .option('total-shards', {
          type: 'number',
          describe: 'split per-object instruments over this many replicas (sharding.totalShards)',
        })
        .option('otlp-endpoint', {
          type: 'string',
          describe:
            'push OTLP to this collector (enables otlp; over gRPC unless otlp.protocol is http/protobuf)',
        })
        .example('$0', 'serve the embedded default config on :9090')
        .example(
          '$0 --config /etc/sealos-state-metrics/config.yaml',
          'serve a config file, reloading it on change',
        )
        .example('$0 --otlp-endpoint http://otel-collector:4317', 'also push to an OpenTelemetry Collector'),
    (argv) => run(argv as RunFlags),
  )
  .command(
    'check-config <file>',
    'validate a config file (with the current environment applied) and exit',
    (y) =>
      y.positional('file', { type: 'string', demandOption: true }).example('$0 check-config config.yaml', ''),
    (argv) => checkConfig(argv.file),
  )
  .command(
    'metrics',
    'list every metric this build can expose',
    (y) =>
      y
        .option('format', { choices: ['text', 'json', 'md'], default: 'text' })
        .option('config', {
          alias: 'c',
          type: 'string',
          describe: 'the config whose lists and namespace apply',
        })
        .option('namespace', { type: 'string', describe: 'metric name prefix to apply (metrics.namespace)' })
        .option('metric-allowlist', metricListOption('metrics.allowlist'))
        .option('metric-denylist', metricListOption('metrics.denylist'))
        .example('$0 metrics --format md', 'the README metrics table')
        .example('$0 metrics --metric-denylist "_lvm_"', 'which metrics a denylist leaves'),
    (argv) => listMetrics(argv.format, { ...(argv as RunFlags), 'metrics-namespace': argv.namespace }),
  )
  .strict()
  .help()
  .parseAsync();
