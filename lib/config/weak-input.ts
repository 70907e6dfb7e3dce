/**
 * The original decodes every collector's section with mapstructure's WeaklyTypedInput
 * (pkg/config/module_loader.go), so `skipTLSVerify: "true"`, `dialRetries: "3"` and a numeric
 * header value start it. This converts a YAML value where the schema asks for another basic type,
 * by mapstructure's rules; what it cannot convert is left for the schema to refuse with the path.
 */
import type { z } from 'zod';
import { unwrap } from './schema-def.js';

/** A YAML mapping, as a config file's parse gives it. */
export type Tree = Record<string, unknown>;

export function isTree(value: unknown): value is Tree {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// strconv.ParseBool's spellings.
const TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const FALSE = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False', '']);

function toBoolean(value: unknown): unknown {
  if (typeof value === 'string') return TRUE.has(value) ? true : FALSE.has(value) ? false : value;
  if (typeof value === 'number' && Number.isFinite(value)) return value !== 0;
  return value;
}

function toNumber(value: unknown): unknown {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value !== 'string') return value;
  const text = value.trim();
  if (text === '') return 0;
  // strconv.ParseInt with base 0 takes 0x, 0o and 0b prefixes; ParseFloat the rest.
  if (/^[+-]?0[xob][0-9a-f_]+$/i.test(text)) {
    const negative = text.startsWith('-');
    const parsed = Number(text.replace(/^[+-]/, '').replaceAll('_', ''));
    return Number.isNaN(parsed) ? value : negative ? -parsed : parsed;
  }
  const parsed = Number(text);
  return Number.isFinite(parsed) ? parsed : value;
}

function toText(value: unknown): unknown {
  if (typeof value === 'boolean') return value ? '1' : '0';
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return value;
}

/** `value` with its basic types converted to what `schema` expects, wherever the two differ. */
export function weaklyTyped(schema: z.ZodType, value: unknown): unknown {
  const def = unwrap(schema);
  switch (def.type) {
    case 'boolean':
      return toBoolean(value);
    case 'number':
      return toNumber(value);
    case 'string':
      return toText(value);
    case 'object': {
      if (!isTree(value) || !def.shape) return value;
      const shape = def.shape;
      return Object.fromEntries(
        Object.entries(value).map(([key, child]) => [
          key,
          Object.hasOwn(shape, key) ? weaklyTyped(shape[key] as z.ZodType, child) : child,
        ]),
      );
    }
    case 'array': {
      if (!def.element) return value;
      const element = def.element;
      // mapstructure makes a slice of a single value, and of an empty map.
      if (isTree(value) && Object.keys(value).length === 0) return [];
      const items = Array.isArray(value) ? value : value === undefined || value === null ? value : [value];
      return Array.isArray(items) ? items.map((item) => weaklyTyped(element, item)) : items;
    }
    case 'record': {
      if (!isTree(value) || !def.valueType) return value;
      const valueType = def.valueType;
      return Object.fromEntries(
        Object.entries(value).map(([key, child]) => [key, weaklyTyped(valueType, child)]),
      );
    }
    case 'union': {
      // The option of the value's own shape: an object entry beside a string form.
      if (!isTree(value)) return value;
      const objectOption = (def.options ?? []).find((option) =>
        ['object', 'union'].includes(unwrap(option).type),
      );
      return objectOption ? weaklyTyped(objectOption, value) : value;
    }
    default:
      return value;
  }
}
