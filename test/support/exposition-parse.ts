/**
 * A strict reader of the Prometheus text format's sample lines, written from the format's
 * specification (not from our serializer), so that two expositions can be compared as series.
 */

export interface ParsedSample {
  readonly name: string;
  /** Label pairs in the order they were written. */
  readonly labels: ReadonlyArray<readonly [string, string]>;
  readonly value: number;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;

function parseValue(text: string, line: string): number {
  if (text === 'NaN') return Number.NaN;
  if (text === '+Inf' || text === 'Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  const value = Number(text);
  if (text === '' || Number.isNaN(value)) throw new Error(`bad sample value "${text}" in: ${line}`);
  return value;
}

function parseLine(line: string): ParsedSample {
  const name = NAME.exec(line)?.[0];
  if (!name) throw new Error(`no metric name in: ${line}`);
  let at = name.length;
  const labels: Array<[string, string]> = [];
  if (line[at] === '{') {
    at += 1;
    while (line[at] !== '}') {
      const labelName = LABEL_NAME.exec(line.slice(at))?.[0];
      if (!labelName || line[at + labelName.length] !== '=' || line[at + labelName.length + 1] !== '"') {
        throw new Error(`bad label at ${at} in: ${line}`);
      }
      at += labelName.length + 2;
      let value = '';
      for (;;) {
        const char = line[at];
        if (char === undefined) throw new Error(`unterminated label value in: ${line}`);
        at += 1;
        if (char === '"') break;
        if (char !== '\\') {
          value += char;
          continue;
        }
        const escaped = line[at];
        at += 1;
        if (escaped === 'n') value += '\n';
        else if (escaped === '\\' || escaped === '"') value += escaped;
        else throw new Error(`bad escape \\${escaped} in: ${line}`);
      }
      labels.push([labelName, value]);
      if (line[at] === ',') at += 1;
    }
    at += 1;
  }
  if (line[at] !== ' ') throw new Error(`no space before the value in: ${line}`);
  const [value = '', timestamp] = line.slice(at + 1).split(' ');
  if (timestamp !== undefined) throw new Error(`unexpected timestamp in: ${line}`);
  return { name, labels, value: parseValue(value, line) };
}

export function parseSamples(exposition: string): ParsedSample[] {
  return exposition
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map(parseLine);
}

/** A series' identity: its name and its labels sorted by name. */
export function seriesKey(sample: ParsedSample): string {
  const labels = [...sample.labels].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify([sample.name, labels]);
}

/** Series -> value; a series written twice is an error (Prometheus refuses such a scrape). */
export function seriesMap(exposition: string): Map<string, number> {
  const map = new Map<string, number>();
  for (const sample of parseSamples(exposition)) {
    const key = seriesKey(sample);
    if (map.has(key)) throw new Error(`series written twice: ${key}`);
    map.set(key, sample.value);
  }
  return map;
}
