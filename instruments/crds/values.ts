/**
 * From a field's value to a sample value: numbers, booleans, numeric strings, Kubernetes
 * quantities ("500m", "1Gi", "1e3"), RFC 3339 timestamps (to Unix seconds), and a configured
 * mapping of strings (e.g. phases) to numbers. Anything else is a wrong type, reported by the
 * caller, never thrown.
 */
/** Binary and decimal multipliers; the sub-unit ones divide, so "7n" is exactly 7e-9. */
const DIVISORS: Readonly<Record<string, number>> = { n: 1e9, u: 1e6, m: 1e3 };
const SUFFIXES: Readonly<Record<string, number>> = {
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/** A Kubernetes resource quantity as a number; undefined when it is not one. */
export function parseQuantity(text: string): number | undefined {
  const match = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E))?$/.exec(
    text.trim(),
  );
  if (!match) return undefined;
  const base = Number(match[1]);
  if (match[2]) return Number(`${match[1]}${match[2]}`);
  const suffix = match[3] ?? '';
  return DIVISORS[suffix] ? base / DIVISORS[suffix] : base * (SUFFIXES[suffix] as number);
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$/;

export type Converted = { readonly value: number } | { readonly problem: string };

export function toNumber(raw: unknown, mapping?: Readonly<Record<string, number>>): Converted {
  if (typeof raw === 'number') return { value: raw };
  if (typeof raw === 'boolean') return { value: raw ? 1 : 0 };
  if (typeof raw === 'string') {
    if (mapping && Object.hasOwn(mapping, raw)) return { value: mapping[raw] as number };
    if (mapping) return { problem: `"${raw.slice(0, 60)}" is not in valueMapping` };
    const lower = raw.toLowerCase();
    if (lower === 'true') return { value: 1 };
    if (lower === 'false') return { value: 0 };
    const quantity = parseQuantity(raw);
    if (quantity !== undefined) return { value: quantity };
    if (RFC3339.test(raw)) return { value: Date.parse(raw) / 1000 };
    return { problem: `"${raw.slice(0, 60)}" is not a number, quantity, boolean or timestamp` };
  }
  if (raw === null) return { problem: 'is null' };
  return { problem: `is ${Array.isArray(raw) ? 'a list' : typeof raw}, not a number` };
}

/** A label value from a field: strings as they are, numbers and booleans printed, else empty. */
export function toLabel(raw: unknown): string {
  if (typeof raw === 'string') return raw;
  if (typeof raw === 'number' || typeof raw === 'boolean') return String(raw);
  return '';
}
