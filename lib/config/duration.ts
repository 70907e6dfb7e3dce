import { z } from 'zod';

// Go-style durations ("300ms", "30s", "1h30m", "2.5s"), the format of the original's config files.
const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};
const PART = /(\d+(?:\.\d+)?|\.\d+)(ns|us|µs|ms|s|m|h)/y;

/** Parses a Go-style duration into milliseconds; returns an error message for anything else. */
export function parseDuration(text: string): number | { error: string } {
  const input = text.trim();
  if (input === '0') return 0;
  if (input === '') return { error: 'empty duration' };
  let total = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < input.length) {
    const start = PART.lastIndex;
    const match = PART.exec(input);
    if (!match || match.index !== start) {
      return { error: `"${text}" is not a duration (use forms like 500ms, 30s, 5m, 1h30m)` };
    }
    total += Number(match[1]) * (UNIT_MS[match[2] as string] as number);
  }
  return total;
}

/** Formats milliseconds back to the compact Go-style form used in config files. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  if (ms < 1000) return `${ms}ms`;
  let rest = ms;
  let out = '';
  for (const [unit, size] of [
    ['h', 3_600_000],
    ['m', 60_000],
  ] as const) {
    if (rest >= size) {
      out += `${Math.floor(rest / size)}${unit}`;
      rest %= size;
    }
  }
  if (rest > 0) out += `${rest / 1000}s`;
  return out;
}

/**
 * The longest a duration may be: what a Node timer can wait (2^31-1 ms, about 24.8 days). A
 * longer one would fire after 1 ms: an interval spinning, a timeout cutting every request.
 */
export const MAX_DURATION_MS = 2 ** 31 - 1;

/** A config field holding a duration string; its parsed value is in milliseconds. */
export function duration(defaultValue: string, options: { min?: string } = {}) {
  const minMs = options.min === undefined ? 0 : (parseDuration(options.min) as number);
  return z
    .string()
    .transform((text, ctx) => {
      const ms = parseDuration(text);
      if (typeof ms !== 'number') {
        ctx.issues.push({ code: 'custom', message: ms.error, input: text });
        return z.NEVER;
      }
      if (ms < minMs) {
        ctx.issues.push({ code: 'custom', message: `must be at least ${options.min}`, input: text });
        return z.NEVER;
      }
      if (ms > MAX_DURATION_MS) {
        ctx.issues.push({
          code: 'custom',
          message: `must be at most ${formatDuration(MAX_DURATION_MS)} (about 24.8 days, the longest a timer waits)`,
          input: text,
        });
        return z.NEVER;
      }
      return ms;
    })
    .prefault(defaultValue);
}
