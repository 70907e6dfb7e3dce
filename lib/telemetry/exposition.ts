/**
 * Prometheus exposition in the text format 0.0.4 and OpenMetrics 1.0, built straight from what
 * instruments observe. Names, label order and help come from the metric declarations, so the
 * output is exactly the contract (no scope labels, no unit suffixes the declaration did not ask
 * for). Sample lines are the same in both formats; only the family headers differ, so one
 * collection serves scrapes of either format.
 */
import type { MetricDeclaration, Observe } from '../instrument.js';
import type { TimeSlicer } from './source.js';

export type ExpositionFormat = 'text' | 'openmetrics';

export const CONTENT_TYPES: Record<ExpositionFormat, string> = {
  text: 'text/plain; version=0.0.4; charset=utf-8',
  openmetrics: 'application/openmetrics-text; version=1.0.0; charset=utf-8',
};

/** Picks OpenMetrics when the scraper's Accept header lists it (Prometheus does, first). */
export function negotiateFormat(accept: string | undefined): ExpositionFormat {
  return accept?.includes('application/openmetrics-text') ? 'openmetrics' : 'text';
}

function escapeHelp(text: string): string {
  return text.replaceAll('\\', '\\\\').replaceAll('\n', '\\n');
}

const NEEDS_ESCAPE = /[\\"\n]/;

/** Most label values need no escaping; testing first avoids three scans and three copies. */
function escapeLabelValue(text: string): string {
  if (!NEEDS_ESCAPE.test(text)) return text;
  return text.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n');
}

export function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}

const UNIT_WORDS: Record<string, string> = { s: 'seconds', By: 'bytes' };

/** The OpenMetrics UNIT of a declaration, only when the name carries it as its suffix. */
function openMetricsUnit(name: string, unit: string): string | undefined {
  const word = UNIT_WORDS[unit];
  return word !== undefined && name.endsWith(`_${word}`) ? word : undefined;
}

export interface ExposedMetric {
  readonly exposedName: string;
  readonly declaration: MetricDeclaration;
}

export type LabelFormatter = (attributes: Readonly<Record<string, unknown>>) => string;

/**
 * The `{a="x",b="y"}` part for a declaration's labels, in declared order, every declared label
 * present (empty when the point lacks it). An attribute the declaration lacks is a bug in the
 * instrument; it is shown after the declared ones rather than hidden.
 */
export function labelFormatter(declared: readonly string[]): LabelFormatter {
  const openers = declared.map((name, index) => `${index === 0 ? '{' : ','}${name}="`);
  return (attributes) => {
    let out = '';
    let present = 0;
    for (let index = 0; index < declared.length; index++) {
      const value = attributes[declared[index] as string];
      if (value === undefined) {
        out += `${openers[index]}"`;
      } else {
        present += 1;
        out += `${openers[index]}${escapeLabelValue(String(value))}"`;
      }
    }
    let total = 0;
    for (const _name in attributes) total += 1;
    if (total > present) {
      for (const [name, value] of Object.entries(attributes)) {
        if (declared.includes(name)) continue;
        out += `${out === '' ? '{' : ','}${name}="${escapeLabelValue(String(value))}"`;
      }
    }
    return out === '' ? '' : `${out}}`;
  };
}

/** Lines per chunk: large enough that writes are few, small enough that none is a big copy. */
const LINES_PER_CHUNK = 1024;

/**
 * One metric's sample lines, gathered into Buffers of LINES_PER_CHUNK lines: off the V8 heap, so
 * a long walk leaves only short-lived strings behind.
 */
class SampleChunks {
  readonly #sampleName: string;
  readonly chunks: Buffer[] = [];
  #chunk = '';
  #lines = 0;

  constructor(exposed: ExposedMetric) {
    this.#sampleName = sampleNameOf(exposed);
  }

  add(labels: string, value: number): void {
    this.#chunk += `${this.#sampleName}${labels} ${formatValue(value)}\n`;
    this.#lines += 1;
    if (this.#lines === LINES_PER_CHUNK) this.#flush();
  }

  #flush(): void {
    this.chunks.push(Buffer.from(this.#chunk));
    this.#chunk = '';
    this.#lines = 0;
  }

  finish(): Buffer[] {
    if (this.#chunk !== '') this.#flush();
    return this.chunks;
  }
}

/** One metric's samples, as newline-terminated chunks of lines (off the V8 heap). */
export interface MetricBlock {
  readonly exposed: ExposedMetric;
  readonly chunks: readonly Buffer[];
  readonly series: number;
}

/**
 * Notices a series observed twice in one walk without keeping every label string alive until the
 * walk ends: a set of 53-bit fingerprints (two 32-bit FNV-1a variants) of the label strings. A
 * repeat, or two series that share a fingerprint, sends the metric to an exact, keyed walk.
 */
export class SeriesFingerprints {
  readonly #seen = new Set<number>();
  #repeated = false;

  add(labels: string): void {
    let a = 0x811c9dc5;
    let b = 0x01000193;
    for (let index = 0; index < labels.length; index++) {
      const code = labels.charCodeAt(index);
      a = Math.imul(a ^ code, 0x01000193);
      b = Math.imul(b ^ code, 0x5bd1e995);
    }
    const key = (a >>> 0) * 0x200000 + (b >>> 11);
    if (this.#seen.has(key)) this.#repeated = true;
    this.#seen.add(key);
  }

  get repeated(): boolean {
    return this.#repeated;
  }

  get size(): number {
    return this.#seen.size;
  }
}

/**
 * Writes one metric's points as they are observed. Lines go into chunks that become Buffers every
 * 1024 lines, so a walk of 100k series leaves only short-lived garbage on the heap (holding every
 * label string until the walk ends made each young-generation collection copy them: 30-40 ms
 * pauses). A series observed twice is noticed by SeriesFingerprints; the metric is then walked
 * again by `ExactBlockBuilder`.
 */
export class BlockBuilder {
  readonly #exposed: ExposedMetric;
  readonly #labels: LabelFormatter;
  readonly #series = new SeriesFingerprints();
  readonly #samples: SampleChunks;

  constructor(exposed: ExposedMetric, labels: LabelFormatter) {
    this.#exposed = exposed;
    this.#labels = labels;
    this.#samples = new SampleChunks(exposed);
  }

  readonly observe: Observe = (value, attributes) => {
    const labels = this.#labels(attributes);
    this.#series.add(labels);
    this.#samples.add(labels, value);
  };

  /** Whether a series may have been observed twice (or two fingerprints met): walk it exactly. */
  get repeated(): boolean {
    return this.#series.repeated;
  }

  finish(): MetricBlock {
    return { exposed: this.#exposed, chunks: this.#samples.finish(), series: this.#series.size };
  }
}

/**
 * Keeps every series' label string until the walk ends, so that a series observed twice keeps
 * its last value, as the SDK does: both exports agree and the exposition never repeats a series.
 */
export class ExactBlockBuilder {
  readonly #exposed: ExposedMetric;
  readonly #labels: LabelFormatter;
  readonly #points = new Map<string, number>();

  constructor(exposed: ExposedMetric, labels: LabelFormatter) {
    this.#exposed = exposed;
    this.#labels = labels;
  }

  readonly observe: Observe = (value, attributes) => {
    this.#points.set(this.#labels(attributes), value);
  };

  async finish(slicer: TimeSlicer): Promise<MetricBlock> {
    const samples = new SampleChunks(this.#exposed);
    await slicer.walk(this.#points, ([labels, value]) => samples.add(labels, value));
    return { exposed: this.#exposed, chunks: samples.finish(), series: this.#points.size };
  }
}

function sampleNameOf(exposed: ExposedMetric): string {
  return exposed.declaration.kind === 'counter' ? `${exposed.exposedName}_total` : exposed.exposedName;
}

function familyHeader(exposed: ExposedMetric, format: ExpositionFormat): string {
  const { declaration } = exposed;
  const family = exposed.exposedName;
  const type = declaration.kind === 'counter' ? 'counter' : 'gauge';
  const help = escapeHelp(declaration.help);
  if (format === 'text') {
    const sampleName = sampleNameOf(exposed);
    return `# HELP ${sampleName} ${help}\n# TYPE ${sampleName} ${type}\n`;
  }
  const unit = openMetricsUnit(family, declaration.unit);
  return `# TYPE ${family} ${type}\n${unit ? `# UNIT ${family} ${unit}\n` : ''}# HELP ${family} ${help}\n`;
}

/** One collection's samples, written in either format. Metrics without points are left out. */
export class Exposition {
  readonly blocks: readonly MetricBlock[];
  readonly errors: readonly unknown[];

  constructor(blocks: readonly MetricBlock[], errors: readonly unknown[]) {
    this.blocks = blocks.filter((block) => block.series > 0);
    this.errors = errors;
  }

  get series(): number {
    return this.blocks.reduce((sum, block) => sum + block.series, 0);
  }

  *chunks(format: ExpositionFormat): Generator<string | Buffer> {
    for (const block of this.blocks) {
      yield familyHeader(block.exposed, format);
      yield* block.chunks;
    }
    if (format === 'openmetrics') yield '# EOF\n';
  }

  /** The whole body as one string (tests and small outputs; the server writes chunks). */
  text(format: ExpositionFormat): string {
    return [...this.chunks(format)].map(String).join('');
  }
}
