/**
 * kube-state-metrics' Custom Resource State conversions, as its Go code does them
 * (pkg/customresourcestate/registry_factory.go `toFloat64`, `addPathLabels`): a field's value to a
 * sample value, and to a label value as Go's `%v` prints it. The Go functions they rest on
 * (apimachinery's ParseQuantity and AsApproximateFloat64, time.Parse with RFC 3339,
 * strconv.ParseFloat, math.Pow10) are ported with their edge cases, so that a number here is
 * the number kube-state-metrics exports; test/real/ksm-crs.test.ts compares both on the same
 * objects.
 */

/** A conversion's answer: a number, or kube-state-metrics' error text. */
export type GoFloat = { readonly value: number } | { readonly error: string };

const POW10 = Array.from({ length: 32 }, (_, n) => Number(`1e${n}`));
const POW10_POS32 = Array.from({ length: 10 }, (_, n) => Number(`1e${n * 32}`));
const POW10_NEG32 = Array.from({ length: 11 }, (_, n) => Number(`1e-${n * 32}`));

/** Go's math.Pow10: the same two-table product, so it rounds as Go's does. */
export function goPow10(n: number): number {
  if (n >= 0 && n <= 308) return (POW10_POS32[n >> 5] as number) * (POW10[n & 31] as number);
  if (n < 0 && n >= -323) return (POW10_NEG32[-n >> 5] as number) / (POW10[-n & 31] as number);
  return n > 0 ? Number.POSITIVE_INFINITY : 0;
}

const DECIMAL_SUFFIX: Readonly<Record<string, number>> = {
  n: -9,
  u: -6,
  m: -3,
  '': 0,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
};
const BINARY_SUFFIX: Readonly<Record<string, number>> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const SUFFIX_CHARS = 'eEinumkKMGTP';
const MAX_INT64 = (1n << 63n) - 1n;
const isDigit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9';

/** apimachinery's parseQuantityString: sign, numerator, denominator and suffix, or undefined. */
function splitQuantity(
  text: string,
): { positive: boolean; value: string; num: string; denom: string; suffix: string } | undefined {
  let positive = true;
  let pos = 0;
  const end = text.length;
  if (text[0] === '-') {
    positive = false;
    pos++;
  } else if (text[0] === '+') pos++;
  while (pos < end && text[pos] === '0') pos++;
  if (pos >= end) return { positive, value: '0', num: '0', denom: '', suffix: '' };
  let start = pos;
  while (pos < end && isDigit(text[pos])) pos++;
  if (pos >= end) return { positive, value: text, num: text.slice(start, end), denom: '', suffix: '' };
  const num = text.slice(start, pos) || '0';
  let denom = '';
  if (text[pos] === '.') {
    pos++;
    start = pos;
    while (pos < end && isDigit(text[pos])) pos++;
    denom = text.slice(start, pos);
    if (pos >= end) return { positive, value: text, num, denom, suffix: '' };
  }
  const value = text.slice(0, pos);
  const suffixStart = pos;
  while (pos < end && SUFFIX_CHARS.includes(text[pos] as string)) pos++;
  if (pos >= end) return { positive, value, num, denom, suffix: text.slice(suffixStart) };
  if (text[pos] === '-' || text[pos] === '+') pos++;
  while (pos < end && isDigit(text[pos])) pos++;
  if (pos < end) return undefined;
  return { positive, value, num, denom, suffix: text.slice(suffixStart) };
}

/** Go's strconv.ParseInt(s, 10, 64) on a suffix's exponent digits. */
function parseInt64(text: string): bigint | undefined {
  if (!/^[+-]?\d+$/.test(text)) return undefined;
  const parsed = BigInt(text);
  return parsed > MAX_INT64 || parsed < -MAX_INT64 - 1n ? undefined : parsed;
}

/**
 * apimachinery's `ParseQuantity(text).AsApproximateFloat64()`: undefined where ParseQuantity
 * errs. Its int64 fast path and its exact decimal path (rounded up to nano units, binary values
 * capped at the largest int64) give different floats for the same number; both are kept.
 */
export function quantityFloat(text: string): number | undefined {
  if (text.length === 0) return undefined;
  if (text === '0') return 0;
  const parts = splitQuantity(text);
  if (!parts) return undefined;
  const { positive, value, num, denom, suffix } = parts;
  let base: 2 | 10;
  let exponent: number;
  let binary = false;
  if (Object.hasOwn(DECIMAL_SUFFIX, suffix)) {
    base = 10;
    exponent = DECIMAL_SUFFIX[suffix] as number;
  } else if (Object.hasOwn(BINARY_SUFFIX, suffix)) {
    base = 2;
    exponent = BINARY_SUFFIX[suffix] as number;
    binary = true;
  } else if (suffix.length > 1 && (suffix[0] === 'e' || suffix[0] === 'E')) {
    const parsed = parseInt64(suffix.slice(1));
    if (parsed === undefined) return undefined;
    base = 10;
    // Go keeps int32(parsed): it wraps.
    exponent = Number(BigInt.asIntN(32, parsed));
  } else return undefined;

  let precision: number;
  let scale = 0;
  let mantissa = 1n;
  if (!binary) {
    scale = exponent;
    precision = 18 - (num.length + denom.length);
  } else if (exponent >= 0 && denom.length === 0) {
    mantissa = 1n << BigInt(exponent);
    precision = 15 - num.length - Math.trunc((exponent * 3) / 10) - 1;
  } else precision = -1;

  if (precision >= 0) {
    scale -= denom.length;
    if (scale >= -9) {
      const shifted = parseInt64(num + denom);
      if (shifted === undefined) return undefined;
      const product = shifted * mantissa;
      if (product <= MAX_INT64 && product >= -MAX_INT64 - 1n) {
        const result = Number(positive ? product : -product);
        return scale === 0 ? result : result * goPow10(scale);
      }
    }
  }

  // The exact path: inf.Dec of the number as written, the suffix folded in.
  const digits = value.replace(/^[+-]/, '');
  const dot = digits.indexOf('.');
  let unscaled = BigInt(dot < 0 ? digits || '0' : digits.slice(0, dot) + digits.slice(dot + 1) || '0');
  let decScale = dot < 0 ? 0 : digits.length - dot - 1;
  if (base === 10) decScale -= exponent;
  else unscaled *= 1n << BigInt(exponent);
  if (unscaled !== 0n) {
    // Rounded up (away from zero) to nano units: scale 9.
    if (decScale > 9) {
      const divisor = 10n ** BigInt(decScale - 9);
      unscaled = (unscaled + divisor - 1n) / divisor;
    } else unscaled *= 10n ** BigInt(9 - decScale);
    decScale = 9;
  }
  // Binary values are capped at the largest int64 (zero keeps its scale and is never over).
  if (binary && decScale >= 0 && unscaled > MAX_INT64 * 10n ** BigInt(decScale)) {
    unscaled = MAX_INT64;
    decScale = 0;
  }
  const float = Number(positive ? unscaled : -unscaled);
  return decScale === 0 ? float : float * goPow10(-decScale);
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:[.,]\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** Go's `time.Parse(time.RFC3339, text).Unix()`, or undefined where Parse errs. */
export function rfc3339Seconds(text: string): number | undefined {
  const match = RFC3339.exec(text);
  if (!match) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as number[];
  const zone = match[7] as string;
  if (month === undefined || month < 1 || month > 12) return undefined;
  const leap = (year as number) % 4 === 0 && ((year as number) % 100 !== 0 || (year as number) % 400 === 0);
  const days = (DAYS_IN_MONTH[month - 1] as number) + (month === 2 && leap ? 1 : 0);
  if ((day as number) < 1 || (day as number) > days) return undefined;
  if ((hour as number) > 23 || (minute as number) > 59 || (second as number) > 59) return undefined;
  let offset = 0;
  if (zone !== 'Z') {
    const zoneHours = Number(zone.slice(1, 3));
    const zoneMinutes = Number(zone.slice(4, 6));
    if (zoneHours > 23 || zoneMinutes > 59) return undefined;
    offset = (zone[0] === '-' ? -1 : 1) * (zoneHours * 3600 + zoneMinutes * 60);
  }
  const date = new Date(0);
  date.setUTCFullYear(year as number, month - 1, day);
  date.setUTCHours(hour as number, minute, second, 0);
  return date.getTime() / 1000 - offset;
}

/** Go's strconv.ParseFloat(text, 64), or its error text. */
export function goParseFloat(text: string): GoFloat {
  const invalid = { error: `strconv.ParseFloat: parsing ${goQuote(text)}: invalid syntax` };
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) {
    const value = Number(text);
    if (!Number.isFinite(value))
      return { error: `strconv.ParseFloat: parsing ${goQuote(text)}: value out of range` };
    return { value };
  }
  const special = /^([+-]?)(inf|infinity)$/i.exec(text);
  if (special) return { value: special[1] === '-' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY };
  if (/^nan$/i.test(text)) return { value: Number.NaN };
  const hex = /^([+-]?)0[xX]([0-9a-fA-F]*)\.?([0-9a-fA-F]*)[pP]([+-]?\d+)$/.exec(text);
  if (hex && (hex[2] || hex[3])) {
    const whole = hex[2] as string;
    const fraction = hex[3] as string;
    const mantissa = Number.parseInt(whole + fraction || '0', 16);
    const value = mantissa * 2 ** (Number(hex[4]) - 4 * fraction.length);
    return { value: hex[1] === '-' ? -value : value };
  }
  return invalid;
}

/** Go's strconv.ParseBool. */
export function goParseBool(text: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(text)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(text)) return false;
  return undefined;
}

/** Go's %q of a string, as strconv errors quote their input (printable ASCII kept). */
function goQuote(text: string): string {
  return JSON.stringify(text);
}

/**
 * kube-state-metrics' toFloat64: booleans and their words, RFC 3339 timestamps, quantities,
 * whole percentages, then strconv.ParseFloat; nil is 0 only with nilIsZero.
 */
export function ksmFloat(value: unknown, nilIsZero: boolean): GoFloat {
  if (value === null || value === undefined)
    return nilIsZero ? { value: 0 } : { error: 'expected number but found nil value' };
  if (typeof value === 'boolean') return { value: value ? 1 : 0 };
  if (typeof value === 'number') return { value };
  if (typeof value === 'string') {
    const normalized = value.toLowerCase();
    if (normalized === 'true' || normalized === 'yes') return { value: 1 };
    if (normalized === 'false' || normalized === 'no' || normalized === 'unknown') return { value: 0 };
    const seconds = rfc3339Seconds(value);
    if (seconds !== undefined) return { value: seconds };
    const quantity = quantityFloat(value);
    if (quantity !== undefined) return { value: quantity };
    if (/^[0-9]+%$/.test(value)) {
      const parsed = goParseFloat(value.slice(0, -1));
      return 'value' in parsed ? { value: parsed.value / 100 } : parsed;
    }
    return goParseFloat(value);
  }
  return { error: `expected number but was ${goText(value)}` };
}

/** Go's %v of a float64: shortest digits, exponent form from 1e6 up and below 1e-4 (`1e+06`). */
function goFloatText(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? '+Inf' : '-Inf';
  if (value === 0) return Object.is(value, -0) ? '-0' : '0';
  const [mantissa, exponentText] = value.toExponential().split('e') as [string, string];
  const exponent = Number(exponentText);
  if (exponent < -4 || exponent >= 6) {
    const digits = String(Math.abs(exponent)).padStart(2, '0');
    return `${mantissa}e${exponent < 0 ? '-' : '+'}${digits}`;
  }
  return String(value);
}

const INT64_LIMIT = 2 ** 63;

/**
 * Go's %v of a value as client-go decodes an object: whole numbers are int64 (the API server
 * writes them without a point), others float64; maps print `map[k:v ...]` with sorted keys,
 * lists `[a b]`, nil `<nil>`.
 */
export function goText(value: unknown): string {
  if (value === null || value === undefined) return '<nil>';
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    if (Number.isInteger(value) && Math.abs(value) < INT64_LIMIT) return BigInt(value).toString();
    return goFloatText(value);
  }
  if (Array.isArray(value)) return `[${value.map(goText).join(' ')}]`;
  if (typeof value === 'object') {
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record).sort();
    return `map[${keys.map((key) => `${key}:${goText(record[key])}`).join(' ')}]`;
  }
  return String(value);
}

/** Go's %T of a decoded value, for kube-state-metrics' "expected ... got <type>" errors. */
export function goTypeName(value: unknown): string {
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number')
    return Number.isInteger(value) && Math.abs(value) < INT64_LIMIT ? 'int64' : 'float64';
  if (typeof value === 'string') return 'string';
  if (Array.isArray(value)) return '[]interface {}';
  if (value === null || value === undefined) return '<nil>';
  return 'map[string]interface {}';
}
