/**
 * The configuration reference, read from the schema: every key with its environment variable,
 * default, description and whether it applies live or at the next restart. Descriptions and the
 * restart flag are the keys' zod metadata (`.meta({ description, restart })`), so the README
 * tables, the restart-only check and the schema cannot drift apart.
 */
import { z } from 'zod';
import { envNameOf } from './env.js';
import { defOf, type SchemaDef, schemaChain, unwrap } from './schema-def.js';

export interface KeyMeta {
  readonly description?: string;
  /** Read once at start: a change in the file is reported and applies at the next restart. */
  readonly restart?: boolean;
  /** Names a file whose content is configuration too: read at every load, watched like the config file. */
  readonly file?: boolean;
}

/** The metadata given anywhere along a key's wrappers (defaults, optionals, pipes), the outermost first. */
export function metaOf(schema: z.ZodType): KeyMeta {
  const found: { description?: string; restart?: boolean; file?: boolean } = {};
  for (const layer of schemaChain(schema)) {
    const meta = z.globalRegistry.get(layer) as KeyMeta | undefined;
    if (meta?.description !== undefined) found.description ??= meta.description;
    if (meta?.restart !== undefined) found.restart ??= meta.restart;
    if (meta?.file !== undefined) found.file ??= meta.file;
  }
  return found;
}

export interface ConfigRow {
  /** The YAML path, `[]` marking a list's entries. */
  readonly key: string;
  /** The environment variable that sets it; undefined where only YAML can (inside lists). */
  readonly env: string | undefined;
  /** The default as a config file writes it; `required` and `unset` (optional, no default) stand apart. */
  readonly default: string | { readonly none: 'required' | 'unset' };
  readonly description: string;
  readonly restart: boolean;
  readonly file: boolean;
}

interface DefaultDef extends SchemaDef {
  defaultValue?: unknown;
}

function formatValue(value: unknown): string {
  if (typeof value === 'string') return value === '' ? '""' : value;
  if (Array.isArray(value)) return `[${value.map(formatValue).join(', ')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value);
    return entries.length === 0 ? '{}' : `{${entries.map(([k, v]) => `${k}: ${formatValue(v)}`).join(', ')}}`;
  }
  return String(value);
}

/** The default as a config file writes it (durations as given, `""`, `[]`): the outermost one given. */
function defaultOf(schema: z.ZodType): ConfigRow['default'] {
  for (const layer of schemaChain(schema)) {
    const def = defOf(layer) as DefaultDef;
    if (def.type === 'default' || def.type === 'prefault') return formatValue(def.defaultValue);
    if (def.type === 'optional') return { none: 'unset' };
  }
  return { none: 'required' };
}

/** The object schemas a list's entries may be (an entry may also be a plain string). */
function entryObjects(element: z.ZodType): z.ZodType[] {
  const def = unwrap(element);
  if (def.type === 'object') return [element];
  if (def.type === 'union') return (def.options ?? []).filter((option) => unwrap(option).type === 'object');
  return [];
}

/** Whether a list's entry may be written as a string (then the list has an environment form). */
function takesStrings(element: z.ZodType): boolean {
  const refused = element.safeParse('example').error?.issues ?? [];
  return !refused.some((issue) => issue.code === 'invalid_type' && issue.path.length === 0);
}

/**
 * The rows of an object schema's keys, depth first: a section's keys, a list's own row and then
 * its entries' keys (`list[].key`). `env` is the path environment names are made from, or null
 * inside a list, where only YAML reaches.
 */
export function configRows(
  schema: z.ZodType,
  key: readonly string[] = [],
  env: readonly string[] | null = key,
): ConfigRow[] {
  const def = unwrap(schema);
  if (def.type === 'object' && def.shape) {
    return Object.entries(def.shape).flatMap(([name, child]) =>
      configRows(child, [...key, name], env === null ? null : [...env, name]),
    );
  }
  const meta = metaOf(schema);
  const row: ConfigRow = {
    key: key.join('.'),
    env: env === null ? undefined : envNameOf(env),
    default: defaultOf(schema),
    description: meta.description ?? '',
    restart: meta.restart ?? false,
    file: meta.file ?? false,
  };
  if (def.type !== 'array' || !def.element) return [row];
  const entries = entryObjects(def.element);
  if (entries.length === 0) return [row];
  // A list of objects is set in YAML only, unless its entries may also be written as strings.
  const listRow = takesStrings(def.element) ? row : { ...row, env: undefined };
  const entryKey = [...key.slice(0, -1), `${key.at(-1)}[]`];
  return [listRow, ...entries.flatMap((entry) => configRows(entry, entryKey, null))];
}

/** The paths of every key marked `restart`. */
export function restartPaths(schema: z.ZodType): string[][] {
  return configRows(schema)
    .filter((row) => row.restart)
    .map((row) => row.key.split('.'));
}

/** The paths of every key marked `file` (outside lists). */
export function filePaths(schema: z.ZodType): string[][] {
  return configRows(schema)
    .filter((row) => row.file && !row.key.includes('[]'))
    .map((row) => row.key.split('.'));
}

const cell = (text: string) => text.replaceAll('|', '\\|');
const code = (text: string) => `\`${text}\``;

/** The Markdown table of `rows` (keys shown below `prefix`, which is dropped from them). */
export function configMarkdown(rows: readonly ConfigRow[], prefix = ''): string {
  const lines = rows.map((row) => {
    const key = row.key.startsWith(prefix) ? row.key.slice(prefix.length) : row.key;
    const env = row.env === undefined ? '(YAML only)' : code(row.env);
    const applies = row.restart ? 'at restart' : 'live';
    const fallback = typeof row.default === 'string' ? code(row.default) : `(${row.default.none})`;
    return `| ${code(key)} | ${env} | ${fallback} | ${applies} | ${cell(row.description)} |`;
  });
  return ['| key | env | default | applies | description |', '|---|---|---|---|---|', ...lines].join('\n');
}
