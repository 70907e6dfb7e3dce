/**
 * kube-state-metrics' Custom Resource State paths (registry_factory.go `compilePath`): a list of
 * segments, each a map key (`k=v` also matches a key whose value is v), a list index (negative
 * from the end) or a `[key=value]` lookup of the first list element whose field matches, as a
 * string, a number or a boolean. A path that does not resolve gives nil (undefined), never an
 * error.
 */
import { goParseBool, ksmFloat } from './ksm-values.js';

export interface PathOp {
  /** The segment as written, for error texts (`[status,conditions]`). */
  readonly part: string;
  readonly op: (value: unknown) => unknown;
}

export type ValuePath = readonly PathOp[];

export class KsmPathError extends Error {}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Go's strconv.Atoi: an optional sign and decimal digits that fit an int64. */
function goAtoi(text: string): number | undefined {
  if (!/^[+-]?\d+$/.test(text)) return undefined;
  const value = BigInt(text);
  if (value > (1n << 63n) - 1n || value < -(1n << 63n)) return undefined;
  return Number(value);
}

function listLookup(part: string): PathOp {
  const inner = part.slice(1, -1);
  const eq = inner.indexOf('=');
  if (eq < 0) throw new KsmPathError(`invalid list lookup: ${part}`);
  const key = inner.slice(0, eq);
  const wanted = inner.slice(eq + 1);
  const asNumber = ksmFloat(wanted, false);
  const asBool = goParseBool(wanted);
  return {
    part,
    op: (value) => {
      if (!Array.isArray(value)) return undefined;
      for (const element of value) {
        if (!isRecord(element) || !Object.hasOwn(element, key)) continue;
        const candidate = element[key];
        if (candidate === wanted) return element;
        if ('value' in asNumber) {
          const converted = ksmFloat(candidate, false);
          if ('value' in converted && converted.value === asNumber.value) return element;
        }
        if (asBool !== undefined && candidate === asBool) return element;
      }
      return undefined;
    },
  };
}

function fieldOrIndex(part: string): PathOp {
  const pair = part.split('=');
  const index = goAtoi(part);
  return {
    part,
    op: (value) => {
      if (isRecord(value)) {
        if (pair.length === 2) {
          const [key, wanted] = pair as [string, string];
          if (Object.hasOwn(value, key) && value[key] === wanted) return wanted;
        }
        return Object.hasOwn(value, part) ? value[part] : undefined;
      }
      if (Array.isArray(value)) {
        if (index === undefined) return undefined;
        const at = index < 0 ? index + value.length : index;
        return at < 0 || at >= value.length ? undefined : value[at];
      }
      return undefined;
    },
  };
}

/** Compiles a path; a `[...]` segment without `=` is kube-state-metrics' "invalid list lookup". */
export function compilePath(path: readonly string[]): ValuePath {
  return path.map((part) =>
    part.startsWith('[') && part.endsWith(']') && part.length >= 2 ? listLookup(part) : fieldOrIndex(part),
  );
}

export function getPath(path: ValuePath, object: unknown): unknown {
  let value = object;
  for (const { op } of path) {
    if (value === null || value === undefined) return undefined;
    value = op(value);
  }
  return value === null ? undefined : value;
}

/** `[a,b]`, as kube-state-metrics prints a path in its errors. */
export function pathText(path: ValuePath): string {
  return `[${path.map((op) => op.part).join(',')}]`;
}
