/**
 * Environment overrides: every config leaf has an upper-snake name of its path
 * (`collectors.zombie.checkInterval` -> `COLLECTORS_ZOMBIE_CHECK_INTERVAL`), lists are
 * comma-separated, maps are `key=value` pairs. The standard OTEL_* variables are honoured too.
 */
import type { z } from 'zod';
import { type SchemaDef, unwrap } from './schema-def.js';

type LeafKind = 'string' | 'number' | 'boolean' | 'list' | 'numberList' | 'map';

export interface EnvLeaf {
  readonly path: readonly string[];
  readonly envName: string;
  readonly kind: LeafKind;
}

/** `checkInterval` -> `CHECK_INTERVAL`, `includeIPv4` -> `INCLUDE_IPV4`, `skipTLSVerify` -> `SKIP_TLS_VERIFY`. */
export function upperSnake(key: string): string {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]{2,})([A-Z][a-z])/g, '$1_$2')
    .toUpperCase();
}

export function envNameOf(path: readonly string[]): string {
  return path.map(upperSnake).join('_');
}

function leafKind(def: SchemaDef): LeafKind {
  switch (def.type) {
    case 'number':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'record':
      return 'map';
    case 'array':
      return def.element && unwrap(def.element).type === 'number' ? 'numberList' : 'list';
    default:
      return 'string';
  }
}

/** Every leaf of an object schema, with the environment variable that sets it. */
export function envLeaves(schema: z.ZodType, prefix: readonly string[] = []): EnvLeaf[] {
  const def = unwrap(schema);
  if (def.type !== 'object' || !def.shape) {
    return [{ path: prefix, envName: envNameOf(prefix), kind: leafKind(def) }];
  }
  return Object.entries(def.shape).flatMap(([key, child]) => envLeaves(child, [...prefix, key]));
}

function splitList(raw: string): string[] {
  return raw
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/**
 * `key=value` pairs for a map setting; the raw text when a pair has no `=` or no key, so the
 * setting is refused with its source instead of a pair (an auth header, say) silently dropped.
 */
export function parseKeyValuePairs(raw: string): Record<string, string> | string {
  return splitList(raw).every((pair) => pair.indexOf('=') > 0) ? parseKeyValues(raw) : raw;
}

/** key=value pairs, comma-separated, values percent-decoded as OTEL_EXPORTER_OTLP_HEADERS defines. */
export function parseKeyValues(raw: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of splitList(raw)) {
    const eq = pair.indexOf('=');
    if (eq <= 0) continue;
    const key = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    try {
      out[key] = decodeURIComponent(value);
    } catch {
      out[key] = value;
    }
  }
  return out;
}

function parseBoolean(raw: string): boolean | string {
  const value = raw.trim().toLowerCase();
  if (value === 'true' || value === '1' || value === 'yes') return true;
  if (value === 'false' || value === '0' || value === 'no') return false;
  return raw;
}

function parseNumber(raw: string): number | string {
  const value = Number(raw.trim());
  return raw.trim() !== '' && Number.isFinite(value) ? value : raw;
}

/** Converts an environment string to the value a leaf of that kind takes; bad values pass through for validation to name. */
export function parseEnvValue(kind: LeafKind, raw: string): unknown {
  switch (kind) {
    case 'number':
      return parseNumber(raw);
    case 'boolean':
      return parseBoolean(raw);
    case 'list':
      return splitList(raw);
    case 'numberList':
      return splitList(raw).map(parseNumber);
    case 'map':
      return parseKeyValuePairs(raw);
    case 'string':
      return raw;
  }
}

export interface Override {
  readonly path: readonly string[];
  readonly value: unknown;
  /** Where the value came from, for error messages: `env COLLECTORS_ZOMBIE_PROC_PATH`. */
  readonly source: string;
}

export type Env = Readonly<Record<string, string | undefined>>;

export function envOverrides(schema: z.ZodType, env: Env): Override[] {
  const overrides: Override[] = [];
  for (const leaf of envLeaves(schema)) {
    const raw = env[leaf.envName];
    if (raw === undefined) continue;
    overrides.push({ path: leaf.path, value: parseEnvValue(leaf.kind, raw), source: `env ${leaf.envName}` });
  }
  return overrides;
}

function millisToDuration(raw: string): string {
  const ms = Number(raw.trim());
  return Number.isFinite(ms) && raw.trim() !== '' ? `${ms}ms` : raw;
}

/**
 * The OpenTelemetry SDK variables that concern us. They apply before our own variables, so
 * `OTLP_ENDPOINT` beats `OTEL_EXPORTER_OTLP_ENDPOINT`. Naming an endpoint, or listing `otlp` in
 * OTEL_METRICS_EXPORTER, turns the OTLP push on; `none` there turns it off.
 */
export function otelEnvOverrides(env: Env): Override[] {
  const out: Override[] = [];
  const pick = (...names: string[]) => {
    for (const name of names) {
      const value = env[name];
      if (value !== undefined && value.trim() !== '') return { name, value };
    }
    return undefined;
  };
  const add = (key: string, value: unknown, name: string) =>
    out.push({ path: ['otlp', key], value, source: `env ${name}` });

  // The two are kept apart: over HTTP the base gets `/v1/metrics` appended, the metrics URL not.
  for (const [key, name] of [
    ['endpoint', 'OTEL_EXPORTER_OTLP_ENDPOINT'],
    ['metricsEndpoint', 'OTEL_EXPORTER_OTLP_METRICS_ENDPOINT'],
  ] as const) {
    const endpoint = pick(name);
    if (!endpoint) continue;
    add(key, endpoint.value.trim(), endpoint.name);
    add('enabled', true, endpoint.name);
  }
  const protocol = pick('OTEL_EXPORTER_OTLP_METRICS_PROTOCOL', 'OTEL_EXPORTER_OTLP_PROTOCOL');
  if (protocol) add('protocol', protocol.value.trim(), protocol.name);
  const exporters = pick('OTEL_METRICS_EXPORTER');
  if (exporters) {
    const names = splitList(exporters.value.toLowerCase());
    if (names.includes('otlp')) add('enabled', true, exporters.name);
    else if (names.includes('none')) add('enabled', false, exporters.name);
  }
  const headers = pick('OTEL_EXPORTER_OTLP_METRICS_HEADERS', 'OTEL_EXPORTER_OTLP_HEADERS');
  if (headers) add('headers', parseKeyValuePairs(headers.value), headers.name);
  const timeout = pick('OTEL_EXPORTER_OTLP_METRICS_TIMEOUT', 'OTEL_EXPORTER_OTLP_TIMEOUT');
  if (timeout) add('timeout', millisToDuration(timeout.value), timeout.name);
  const compression = pick('OTEL_EXPORTER_OTLP_METRICS_COMPRESSION', 'OTEL_EXPORTER_OTLP_COMPRESSION');
  if (compression) add('compression', compression.value.trim(), compression.name);
  const insecure = pick('OTEL_EXPORTER_OTLP_METRICS_INSECURE', 'OTEL_EXPORTER_OTLP_INSECURE');
  if (insecure) add('insecure', parseBoolean(insecure.value), insecure.name);
  const files: [string, string][] = [
    ['caFile', 'CERTIFICATE'],
    ['clientCertFile', 'CLIENT_CERTIFICATE'],
    ['clientKeyFile', 'CLIENT_KEY'],
  ];
  for (const [key, suffix] of files) {
    const file = pick(`OTEL_EXPORTER_OTLP_METRICS_${suffix}`, `OTEL_EXPORTER_OTLP_${suffix}`);
    if (file) add(key, file.value.trim(), file.name);
  }
  const interval = pick('OTEL_METRIC_EXPORT_INTERVAL');
  if (interval) add('interval', millisToDuration(interval.value), interval.name);
  return out;
}
