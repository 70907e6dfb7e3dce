/**
 * Config assembly: schema defaults <- YAML file <- OTEL_* env <- our env <- CLI flags, then one
 * validation that names the path, the value and where the value came from.
 */
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { type Env, envOverrides, type Override, otelEnvOverrides } from './env.js';
import { MAX_CONFIG_BYTES, readNamedFileSync } from './named-file.js';
import { isSecretPath, redact } from './redact.js';
import { filePaths } from './reference.js';
import { type Config, collectors, configSchema } from './schema.js';
import { isTree, type Tree, weaklyTyped } from './weak-input.js';

export class ConfigError extends Error {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(problems.join('; '));
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

export interface ConfigSources {
  /** YAML file; absent means defaults plus overrides (the embedded default config). */
  readonly file?: string;
  readonly env: Env;
  /** Overrides from CLI flags, highest precedence. */
  readonly flags?: readonly Override[];
}

export interface LoadedConfig {
  // The merged input before validation is not kept: nothing reads it, and with 100k users it
  // held a second copy of them for the life of the generation.
  readonly config: Config;
  /**
   * sha256 of the validated config and of the files it names for their content (keys marked
   * `file`), for the config-hash self-metric and change detection.
   */
  readonly hash: string;
  /** The files keys marked `file` name: watched like the config file. */
  readonly files: readonly string[];
}

/** A value put into the config from the environment: never printed, named by its variable. */
interface Substitution {
  readonly name: string;
  readonly value: string;
}

/**
 * `${env:NAME}` in any string value is replaced by that environment variable, as in OpenTelemetry
 * Collector configs, so secrets can come from a Kubernetes Secret exposed as env. A missing
 * variable is an error naming the path and the variable; `$${env:X}` stays literal.
 */
function expandEnv(
  value: unknown,
  env: Env,
  path: string[],
  problems: string[],
  substitutions: Substitution[] = [],
): unknown {
  if (typeof value === 'string') {
    // Most strings name no variable. (A 100k-user config spent ~0.3 s here, copying a path per
    // node and running the regex on every string.)
    if (!value.includes('${env:')) return value;
    return value.replace(/(\$?)\$\{env:([^}]*)\}/g, (whole, escaped: string, name: string) => {
      if (escaped) return whole.slice(1);
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
        problems.push(
          `${path.join('.')}: "\${env:${name.slice(0, 40)}}" does not name an environment variable`,
        );
        return '';
      }
      const found = env[name];
      if (found === undefined) {
        problems.push(`${path.join('.')}: environment variable ${name} is not set`);
        return '';
      }
      if (found !== '') substitutions.push({ name, value: found });
      return found;
    });
  }
  // `path` is one stack, pushed and popped, joined only for a problem.
  if (Array.isArray(value)) {
    return value.map((item, index) => {
      path.push(String(index));
      const expanded = expandEnv(item, env, path, problems, substitutions);
      path.pop();
      return expanded;
    });
  }
  if (isTree(value)) {
    return Object.fromEntries(
      Object.entries(value).map(([key, child]) => {
        path.push(key);
        const expanded = expandEnv(child, env, path, problems, substitutions);
        path.pop();
        return [key, expanded];
      }),
    );
  }
  return value;
}

/** YAML nulls (a key with only comments under it) mean "not set", at any depth. */
function dropNulls(tree: Tree): Tree {
  // Built with fromEntries: an assignment would take a `__proto__` key for the prototype and
  // lose it, where it must reach validation to be reported as an unknown key.
  return Object.fromEntries(
    Object.entries(tree)
      .filter(([, value]) => value !== null && value !== undefined)
      .map(([key, value]) => [key, isTree(value) ? dropNulls(value) : value]),
  );
}

function setPath(tree: Tree, path: readonly string[], value: unknown): Tree {
  const [head, ...rest] = path;
  if (head === undefined) return tree;
  const child = tree[head];
  return { ...tree, [head]: rest.length === 0 ? value : setPath(isTree(child) ? child : {}, rest, value) };
}

function valueAt(tree: unknown, path: readonly PropertyKey[]): unknown {
  let node = tree;
  for (const key of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node;
}

/**
 * A value as an error shows it: JSON, but Infinity and NaN as themselves (JSON has them as null),
 * and every string that came from `${env:NAME}` as that reference, never its content.
 */
function shown(value: unknown, substitutions: readonly Substitution[] = []): string {
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  const text = JSON.stringify(value, (_key, child: unknown) =>
    typeof child === 'number' && !Number.isFinite(child) ? String(child) : child,
  );
  return withoutSubstitutions(text, substitutions, (secret) => JSON.stringify(secret).slice(1, -1));
}

/** `text` with every substituted value, as `encode` writes it there, replaced by its `${env:NAME}`. */
function withoutSubstitutions(
  text: string,
  substitutions: readonly Substitution[],
  encode: (value: string) => string = (value) => value,
): string {
  let out = text;
  // Longest first, so a value that contains another is replaced whole.
  for (const { name, value } of [...substitutions].sort((a, b) => b.value.length - a.value.length)) {
    out = out.replaceAll(encode(value), `\${env:${name}}`);
  }
  return out;
}

/** Longer shown values are cut: a whole document as a value (an inline config) would bury the problem. */
const MAX_SHOWN = 200;

/** The parenthesised tail of an error line: the value given (redacted where secret) and where it came from. */
function describeInput(
  path: readonly PropertyKey[],
  value: unknown,
  source: string | undefined,
  substitutions: readonly Substitution[] = [],
): string {
  const parts: string[] = [];
  if (value !== undefined) {
    const text = isSecretPath(path.map(String)) ? '<redacted>' : shown(redact(value), substitutions);
    parts.push(
      `got ${text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN)}... (${text.length} characters)` : text}`,
    );
  }
  if (source) parts.push(`from ${source}`);
  return parts.length > 0 ? ` (${parts.join(', ')})` : '';
}

/** One line per problem: `collectors.zombie.checkInterval: "x" is not a duration ... (got "x", from env ...)`. */
export function formatIssues(
  issues: readonly z.core.$ZodIssue[],
  input: Tree,
  sources: Map<string, string>,
  substitutions: readonly Substitution[] = [],
): string[] {
  return issues.map((issue) => {
    const path = issue.path.map(String);
    const where = path.length > 0 ? path.join('.') : '(root)';
    if (issue.code === 'unrecognized_keys') {
      const keys = issue.keys.map((key) => [...path, key].join('.'));
      return `${keys.join(', ')}: unknown key${keys.length > 1 ? 's' : ''}`;
    }
    // Some messages quote the value: those are scrubbed too.
    const message = withoutSubstitutions(issue.message, substitutions);
    return `${where}: ${message}${describeInput(issue.path, valueAt(input, issue.path), sourceOf(sources, path), substitutions)}`;
  });
}

/** Where the value at `path` came from: its own override, or the one that set a list or map holding it. */
function sourceOf(sources: Map<string, string>, path: readonly string[]): string | undefined {
  for (let length = path.length; length > 0; length--) {
    const source = sources.get(path.slice(0, length).join('.'));
    if (source !== undefined) return source;
  }
  return undefined;
}

/**
 * JSON is YAML, and a generated config (100k userbalance users) is usually JSON: JSON.parse reads
 * it in a tenth of a second where the YAML parser takes seconds and a gigabyte of heap for its
 * document tree. Anything JSON.parse refuses goes to the YAML parser, which reports line and column.
 */
function parseJsonConfig(text: string): unknown {
  if (!/^\s*\{/.test(text)) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** Deeper than any config has reason to be; each later step walks the tree recursively. */
export const MAX_CONFIG_DEPTH = 64;

/** How deep a parsed tree nests, counted without recursion, stopping past `limit`. */
function depthOf(root: unknown, limit: number): number {
  let deepest = 0;
  const pending: [unknown, number][] = [[root, 0]];
  while (pending.length > 0) {
    const [node, depth] = pending.pop() as [unknown, number];
    if (depth > deepest) deepest = depth;
    if (deepest > limit) return deepest;
    if (node !== null && typeof node === 'object')
      for (const child of Object.values(node)) pending.push([child, depth + 1]);
  }
  return deepest;
}

/** Parses YAML text into a tree; errors carry file, line and column. */
export function parseYaml(text: string, fileName: string): Tree {
  try {
    const tree = parseTree(text, fileName);
    if (depthOf(tree, MAX_CONFIG_DEPTH) > MAX_CONFIG_DEPTH)
      throw new ConfigError([`${fileName}: nests deeper than ${MAX_CONFIG_DEPTH} levels`]);
    return tree;
  } catch (error) {
    // A parser that recursed past the stack: the same answer, with the file named.
    if (error instanceof RangeError)
      throw new ConfigError([`${fileName}: nests deeper than ${MAX_CONFIG_DEPTH} levels`]);
    throw error;
  }
}

function parseTree(text: string, fileName: string): Tree {
  const json = parseJsonConfig(text);
  if (json !== undefined) {
    if (!isTree(json)) throw new ConfigError([`${fileName}: the top level must be a mapping of keys`]);
    return json;
  }
  const document = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (document.errors.length > 0) {
    // A parser out of stack reports it, then whatever failed after it: the first says it all.
    const overflow = document.errors.find((error) => /Maximum call stack|Stack overflow/.test(error.message));
    throw new ConfigError(
      (overflow ? [overflow] : document.errors).map((error) => {
        const pos = error.linePos?.[0];
        const at = pos ? `${fileName}:${pos.line}:${pos.col}` : fileName;
        if (error === overflow) return `${at}: nests deeper than ${MAX_CONFIG_DEPTH} levels`;
        return `${at}: ${error.message.split('\n')[0]}`;
      }),
    );
  }
  let value: unknown;
  try {
    // Some problems only show when the tree is built (an alias to an anchor not yet defined).
    value = document.toJS();
  } catch (error) {
    throw new ConfigError([`${fileName}: ${(error as Error).message.split('\n')[0]}`]);
  }
  if (value === null || value === undefined) return {};
  if (!isTree(value))
    throw new ConfigError([`${fileName}: the top level must be a mapping of keys, got ${typeof value}`]);
  return value;
}

const ARRAY_INDEX = /^(?:0|[1-9]\d{0,9})$/;
const isArrayIndex = (key: string) => {
  const first = key.charCodeAt(0);
  return first >= 48 && first <= 57 && ARRAY_INDEX.test(key) && Number(key) < 4_294_967_295;
};

/**
 * `JSON.stringify(value)` with every mapping's keys sorted, written directly: the text
 * `JSON.stringify` gives with a replacer that rebuilds each mapping sorted (where an engine puts
 * array-index keys first, in numeric order), without building those copies. A 100k-user config
 * spent ~0.5 s of each load in them.
 */
export function canonicalJson(input: unknown): string | undefined {
  let value = input;
  if (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { toJSON?: unknown }).toJSON === 'function'
  )
    value = (value as { toJSON(): unknown }).toJSON();
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      return Number.isFinite(value) ? String(value) : 'null';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      throw new TypeError('a BigInt has no JSON form');
    case 'object': {
      if (value === null) return 'null';
      if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item) ?? 'null').join(',')}]`;
      const record = value as Record<string, unknown>;
      let keys = Object.keys(record).sort((a, b) => (a < b ? -1 : 1));
      if (keys.some(isArrayIndex)) {
        const indexes = keys.filter(isArrayIndex).sort((a, b) => Number(a) - Number(b));
        keys = [...indexes, ...keys.filter((key) => !isArrayIndex(key))];
      }
      let text = '{';
      for (const key of keys) {
        const child = canonicalJson(record[key]);
        if (child === undefined) continue;
        text += `${text.length > 1 ? ',' : ''}${JSON.stringify(key)}:${child}`;
      }
      return `${text}}`;
    }
    default:
      return undefined;
  }
}

export function canonicalHash(value: unknown): string {
  return createHash('sha256')
    .update(canonicalJson(value) ?? '')
    .digest('hex');
}

/** Builds and validates a config from a parsed YAML tree and overrides; throws ConfigError. */
export function buildConfig(fileTree: Tree, env: Env, flags: readonly Override[] = []): LoadedConfig {
  const sources = new Map<string, string>();
  let input = fileTree;
  const overridden: string[] = [];
  for (const override of [...otelEnvOverrides(env), ...envOverrides(configSchema, env), ...flags]) {
    // An override into a section the file gives as something else would hide that mistake.
    for (let depth = 1; depth < override.path.length; depth += 1) {
      const prefix = override.path.slice(0, depth);
      const found = valueAt(fileTree, prefix);
      if (found !== undefined && found !== null && !isTree(found)) {
        overridden.push(
          `${prefix.join('.')}: must be a mapping${describeInput(prefix, found, undefined)}; ${override.source} sets ${override.path.join('.')} inside it`,
        );
        break;
      }
    }
    input = setPath(input, override.path, override.value);
    sources.set(override.path.join('.'), override.source);
  }
  if (overridden.length > 0) throw new ConfigError([...new Set(overridden)]);
  input = dropNulls(input);
  const envProblems: string[] = [];
  const substitutions: Substitution[] = [];
  input = expandEnv(input, env, [], envProblems, substitutions) as Tree;
  if (envProblems.length > 0) throw new ConfigError(envProblems);
  // Collector sections take the original's loosely typed values (mapstructure's WeaklyTypedInput).
  if (isTree(input.collectors)) input = { ...input, collectors: weaklyTyped(collectors, input.collectors) };
  const parsed = configSchema.safeParse(input);
  if (!parsed.success)
    throw new ConfigError(formatIssues(parsed.error.issues, input, sources, substitutions));
  const config = parsed.data;
  if (config.logging.debug) config.logging.level = 'debug';
  if (config.debugServer.port !== undefined)
    config.debugServer.address = `127.0.0.1:${config.debugServer.port}`;
  namedFilePaths ??= filePaths(configSchema);
  const files = namedFilePaths
    .map((path) => valueAt(config, path))
    .filter((value): value is string => typeof value === 'string' && value !== '');
  return { config, hash: hashWithFiles(canonicalHash(config), files), files };
}

/** The keys marked `file`, read from the schema once. */
let namedFilePaths: string[][] | undefined;

/** A change in a named file's content is a change of the config (a read error counts as content). */
function hashWithFiles(configHash: string, files: readonly string[]): string {
  if (files.length === 0) return configHash;
  const hash = createHash('sha256').update(configHash);
  for (const file of files) {
    try {
      hash.update('\0').update(readNamedFileSync(file, file, MAX_CONFIG_BYTES));
    } catch (error) {
      hash.update(`\0unreadable:${(error as Error).message}`);
    }
  }
  return hash.digest('hex');
}

export { MAX_CONFIG_BYTES } from './named-file.js';

/** A config file's text: a regular file (not a device or a pipe) no larger than MAX_CONFIG_BYTES. */
async function readConfigFile(file: string): Promise<string> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    // Non-blocking, so a named pipe answers at once (and is then refused) instead of waiting for a writer.
    handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
    const stats = await handle.stat();
    if (!stats.isFile())
      throw new ConfigError([`${file}: not a regular file (a config is read from a file)`]);
    if (stats.size > MAX_CONFIG_BYTES) {
      throw new ConfigError([
        `${file}: ${stats.size} bytes, more than the ${MAX_CONFIG_BYTES / 1024 / 1024} MiB a config file may have`,
      ]);
    }
    // Read at most one byte past the limit: a file that grows meanwhile is caught too.
    const buffer = Buffer.alloc(Math.min(stats.size, MAX_CONFIG_BYTES) + 1);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    if (bytesRead > MAX_CONFIG_BYTES)
      throw new ConfigError([
        `${file}: more than the ${MAX_CONFIG_BYTES / 1024 / 1024} MiB a config file may have`,
      ]);
    return buffer.subarray(0, bytesRead).toString('utf8');
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError([`${file}: cannot read config file: ${(error as Error).message}`]);
  } finally {
    await handle?.close();
  }
}

export async function loadConfig(sources: ConfigSources): Promise<LoadedConfig> {
  let tree: Tree = {};
  if (sources.file !== undefined) tree = parseYaml(await readConfigFile(sources.file), sources.file);
  return buildConfig(tree, sources.env, sources.flags);
}
