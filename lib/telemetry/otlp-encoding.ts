/**
 * OTLP/protobuf encoding of ExportMetricsServiceRequests, written as points arrive: a walk hands
 * each metric's points to a RequestStream, which cuts them into requests of bounded size and
 * hands each request on as soon as it is full, so an export never holds its points as objects
 * (250k DataPoints and their attributes were ~60 MiB of heap at L, and a full GC each export).
 * The bytes are those of @opentelemetry/otlp-transformer's serializer for the same points split
 * as the SDK's splitter would (same fields, same order, minimal varints; tests compare them),
 * written in one pass: lengths are back-filled, label values copied as bytes while they are
 * ASCII, each label name and each metric's timestamps encoded once. The stock serializer
 * measures every string, then writes it again a character at a time: ~4 µs a point alone and
 * ~10 µs in the L world (issue 15).
 */
import { type Attributes, type AttributeValue, type HrTime, ValueType } from '@opentelemetry/api';
import type { InstrumentationScope } from '@opentelemetry/core';
import {
  AggregationTemporality,
  type DataPoint,
  DataPointType,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';

const LENGTH_DELIMITED = 2;
const VARINT = 0;
const FIXED64 = 1;

const tag = (field: number, wire: number) => (field << 3) | wire;

/** A growing buffer with the few protobuf writes OTLP metrics need. */
class ProtoWriter {
  buffer: Buffer;
  pos = 0;
  readonly #keys = new Map<string, Uint8Array>();

  constructor(bytes = 64 * 1024) {
    this.buffer = Buffer.allocUnsafe(bytes);
  }

  ensure(bytes: number): void {
    if (this.pos + bytes <= this.buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.pos + bytes));
    this.buffer.copy(grown, 0, 0, this.pos);
    this.buffer = grown;
  }

  byte(value: number): void {
    this.ensure(1);
    this.buffer[this.pos++] = value;
  }

  bytes(value: Uint8Array): void {
    this.ensure(value.length);
    this.buffer.set(value, this.pos);
    this.pos += value.length;
  }

  varint(value: number): void {
    this.ensure(10);
    if (value >= 0 && value <= 0xffffffff) {
      let rest = value >>> 0;
      while (rest > 0x7f) {
        this.buffer[this.pos++] = (rest & 0x7f) | 0x80;
        rest >>>= 7;
      }
      this.buffer[this.pos++] = rest;
      return;
    }
    // Beyond 32 bits and negatives (int64, two's complement): rare, so BigInt is fine.
    let rest = BigInt.asUintN(64, BigInt(value));
    while (rest > 0x7fn) {
      this.buffer[this.pos++] = Number(rest & 0x7fn) | 0x80;
      rest >>= 7n;
    }
    this.buffer[this.pos++] = Number(rest);
  }

  double(value: number): void {
    this.ensure(8);
    this.buffer.writeDoubleLE(value, this.pos);
    this.pos += 8;
  }

  sfixed64(value: number): void {
    this.ensure(8);
    this.buffer.writeBigInt64LE(BigInt(Math.trunc(value)), this.pos);
    this.pos += 8;
  }

  /** Reserves one byte for the length of what follows; `finish` writes it. */
  start(): number {
    this.ensure(1);
    return this.pos++;
  }

  /** Writes the length of the bytes after `at`, moving them when it needs more than one byte. */
  finish(at: number): void {
    const length = this.pos - at - 1;
    if (length < 0x80) {
      this.buffer[at] = length;
      return;
    }
    let extra = 1;
    while (length >= 2 ** (7 * (extra + 1))) extra += 1;
    this.ensure(extra);
    this.buffer.copyWithin(at + 1 + extra, at + 1, this.pos);
    this.pos += extra;
    let rest = length;
    let write = at;
    while (rest > 0x7f) {
      this.buffer[write++] = (rest & 0x7f) | 0x80;
      rest = Math.floor(rest / 0x80);
    }
    this.buffer[write] = rest;
  }

  /** A string field: bytes copied in place while they are ASCII, else encoded by Buffer. */
  string(field: number, value: string): void {
    this.ensure(value.length * 3 + 11);
    this.buffer[this.pos++] = tag(field, LENGTH_DELIMITED);
    const at = this.start();
    const begin = this.pos;
    const buffer = this.buffer;
    for (let index = 0; index < value.length; index++) {
      const code = value.charCodeAt(index);
      if (code > 0x7f) {
        this.pos = begin + buffer.write(value, begin);
        this.finish(at);
        return;
      }
      buffer[this.pos++] = code;
    }
    this.finish(at);
  }

  /** A KeyValue's key field, encoded once per name. */
  key(name: string): void {
    let encoded = this.#keys.get(name);
    if (encoded === undefined) {
      const field = new ProtoWriter(name.length * 3 + 11);
      field.string(1, name);
      encoded = field.finishBytes();
      this.#keys.set(name, encoded);
    }
    this.ensure(encoded.length);
    // Keys are a few bytes: a loop beats the call into `set`.
    for (let index = 0; index < encoded.length; index++) this.buffer[this.pos++] = encoded[index] as number;
  }

  fixed64Time(time: HrTime): void {
    this.ensure(8);
    // Nanoseconds since the epoch exceed 2^53: the product is split as the stock writer does.
    const [seconds, nanos] = time;
    const low16 = (seconds & 0xffff) * 1e9;
    const high = Math.floor(seconds / 0x10000) * 1e9;
    const lowWithCarry = (low16 >>> 0) + (((high & 0xffff) * 0x10000) >>> 0) + nanos;
    const lowWord = lowWithCarry >>> 0;
    const highWord =
      (Math.floor(low16 / 0x100000000) +
        ((high / 0x10000) >>> 0) +
        Math.floor(lowWithCarry / 0x100000000)) >>>
      0;
    this.buffer.writeUInt32LE(lowWord, this.pos);
    this.buffer.writeUInt32LE(highWord, this.pos + 4);
    this.pos += 8;
  }

  finishBytes(): Uint8Array {
    return this.buffer.subarray(0, this.pos);
  }
}

const MIN_INT64 = -(2 ** 63);
const MAX_INT64 = 2 ** 63;

function writeAnyValue(writer: ProtoWriter, value: AttributeValue | Attributes): void {
  if (typeof value === 'string') {
    writer.string(1, value);
  } else if (typeof value === 'boolean') {
    writer.byte(tag(2, VARINT));
    writer.byte(value ? 1 : 0);
  } else if (typeof value === 'number') {
    if (Number.isInteger(value) && value >= MIN_INT64 && value < MAX_INT64) {
      writer.byte(tag(3, VARINT));
      writer.varint(value);
    } else {
      writer.byte(tag(4, FIXED64));
      writer.double(value);
    }
  } else if (value instanceof Uint8Array) {
    writer.byte(tag(7, LENGTH_DELIMITED));
    writer.varint(value.length);
    writer.bytes(value);
  } else if (Array.isArray(value)) {
    writer.byte(tag(5, LENGTH_DELIMITED));
    const array = writer.start();
    for (const item of value) {
      writer.byte(tag(1, LENGTH_DELIMITED));
      const at = writer.start();
      writeAnyValue(writer, item as AttributeValue);
      writer.finish(at);
    }
    writer.finish(array);
  } else if (typeof value === 'object' && value !== null) {
    writer.byte(tag(6, LENGTH_DELIMITED));
    const list = writer.start();
    writeAttributes(writer, value as Attributes, 1);
    writer.finish(list);
  }
  // Anything else (undefined, functions) carries no value, as in the stock serializer.
}

function writeAttributes(writer: ProtoWriter, attributes: Attributes, field: number): void {
  for (const name in attributes) {
    if (!Object.hasOwn(attributes, name)) continue;
    const value = attributes[name];
    writer.byte(tag(field, LENGTH_DELIMITED));
    const pair = writer.start();
    writer.key(name);
    writer.byte(tag(2, LENGTH_DELIMITED));
    const any = writer.start();
    writeAnyValue(writer, value as AttributeValue);
    writer.finish(any);
    writer.finish(pair);
  }
}

/** A point's fields after its times: the value, then the attributes (the stock order). */
function writePointBody(writer: ProtoWriter, value: number, attributes: Attributes, integer: boolean): void {
  if (integer) {
    writer.byte(tag(6, FIXED64));
    writer.sfixed64(value);
  } else {
    writer.byte(tag(4, FIXED64));
    writer.double(value);
  }
  writeAttributes(writer, attributes, 7);
}

/** A point's start and end time fields: two fixed64s, each after its tag. */
const TIMES_BYTES = 18;

/**
 * One object's points as a keyed cell keeps them: each point as `RequestStream.point` writes it,
 * with room where its times go. Only the times differ between exports, so `RequestStream.points`
 * writes a cell's cached points with one copy of all of them and its times written into each.
 */
export class PointBodies {
  readonly #writer = new ProtoWriter(4096);

  /** Starts the next object's points. */
  reset(): void {
    this.#writer.pos = 0;
  }

  add(value: number, attributes: Attributes, integer: boolean): void {
    const writer = this.#writer;
    writer.byte(tag(1, LENGTH_DELIMITED));
    const at = writer.start();
    writer.ensure(TIMES_BYTES);
    // A loop: `fill` of 18 bytes costs more in its argument checks than in the writing.
    for (let index = 0; index < TIMES_BYTES; index++) writer.buffer[writer.pos++] = 0;
    writePointBody(writer, value, attributes, integer);
    writer.finish(at);
  }

  /** The bytes since `reset`, valid until the next `reset`. */
  bytes(): Uint8Array {
    return this.#writer.finishBytes();
  }
}

/** The length of the point message whose tag is at `at`; it begins after its length's varint. */
function pointLength(bytes: Uint8Array, at: number): number {
  if (bytes[at] !== tag(1, LENGTH_DELIMITED)) throw new Error('OTLP stream: cached points are not points');
  let pos = at + 1;
  let length = 0;
  let shift = 0;
  let byte: number;
  do {
    byte = bytes[pos++] as number;
    length += (byte & 0x7f) * 2 ** shift;
    shift += 7;
  } while (byte >= 0x80);
  return length;
}

function varintLength(value: number): number {
  let length = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 0x80);
    length += 1;
  }
  return length;
}

function protoTemporality(temporality: AggregationTemporality): number {
  if (temporality === AggregationTemporality.DELTA) return 1;
  if (temporality === AggregationTemporality.CUMULATIVE) return 2;
  return 0;
}

/** One request's bytes and the number of points in it (for the exporter's own counts). */
export interface EncodedRequest {
  readonly bytes: Uint8Array;
  readonly points: number;
  /**
   * Gives the request's buffer back for a later request (`RequestBuffers`): only once nothing
   * reads `bytes` any more (the request was answered). Not calling it is always safe.
   */
  release?(): void;
}

/** How many request buffers are kept: one request is in flight while the next is written. */
const KEPT_REQUEST_BUFFERS = 2;

/**
 * Request buffers kept from one export for the next. An export at L wrote ~16 requests of up to
 * 3 MiB into as many new Buffers, which V8 counts as external memory and answers with full
 * collections of the whole heap (as the scrape's chunks did before their pool).
 */
export class RequestBuffers {
  readonly #free: ProtoWriter[] = [];
  /**
   * The writer a metric's points are written into before they go into a request: it grows to a
   * request's size each export (64 KiB doubled to ~4 MiB, 8 MB of new ArrayBuffers) unless kept.
   */
  #segment: ProtoWriter | undefined;

  /** A writer with room for `bytes`, empty. Kept buffers only grow, to the largest request. */
  take(bytes: number): ProtoWriter {
    const kept = this.#free.pop();
    if (kept === undefined) return new ProtoWriter(bytes);
    // With room to spare: requests of one size differ by a few bytes each time.
    if (kept.buffer.length < bytes) kept.buffer = Buffer.allocUnsafe(Math.ceil(bytes * 1.25));
    kept.pos = 0;
    return kept;
  }

  give(writer: ProtoWriter): void {
    if (this.#free.length < KEPT_REQUEST_BUFFERS) this.#free.push(writer);
  }

  /** The segment writer kept from the last export, if any (it is no longer kept). */
  takeSegment(): ProtoWriter | undefined {
    const segment = this.#segment;
    this.#segment = undefined;
    return segment;
  }

  giveSegment(writer: ProtoWriter): void {
    this.#segment = writer;
  }
}

/** What bounds one request. A point is never split, so one point may exceed `bytes` alone. */
export interface RequestLimits {
  readonly points: number;
  /** A request is closed once its points reach this many bytes (by at most one point over). */
  readonly bytes: number;
}

/** A metric as the stream writes it; every point of it has the same start and end time. */
export interface StreamedMetric {
  readonly name: string;
  readonly description: string;
  readonly unit: string;
  /** Values are written as sfixed64 (ValueType.INT) rather than doubles. */
  readonly integer: boolean;
  /** A sum's temporality and monotonicity; a gauge has none. */
  readonly sum?: { readonly temporality: AggregationTemporality; readonly monotonic: boolean };
  readonly startTime: HrTime;
  readonly endTime: HrTime;
}

export interface StreamedResource {
  readonly attributes: Attributes;
  readonly schemaUrl?: string | undefined;
}

/** Encoded points of one metric that fill what a request had left, or the start of the rest. */
interface Segment {
  readonly writer: ProtoWriter;
  points: number;
}

interface OpenMetric {
  /** The name, description and unit fields. */
  readonly header: Uint8Array;
  /** The tag of the gauge or sum field. */
  readonly dataTag: number;
  /** A sum's temporality and monotonicity fields, after its points. */
  readonly tail: Uint8Array;
  /** Each point's start and end time fields. */
  readonly times: Uint8Array;
  readonly integer: boolean;
  /** Whether the points stand as they come; else they wait in `held` until `end`. */
  readonly final: boolean;
  readonly held: Segment[];
  segment: Segment;
  /** What the current segment may take before the request it goes into is full. */
  roomPoints: number;
  roomBytes: number;
}

/**
 * Writes metrics into requests of at most `limits`, handing each request to `emit` once it is
 * full (and the last one at `finish`). A metric begun as not `final` may still be abandoned:
 * its points are kept encoded, off the JavaScript heap, until `end` lets them go out.
 */
export class RequestStream {
  readonly #limits: RequestLimits;
  readonly #emit: (request: EncodedRequest) => void;
  /** The Resource field of every request. */
  readonly #resource: Uint8Array;
  readonly #resourceSchema: string;
  #scope: InstrumentationScope = { name: '' };
  #request: ProtoWriter | undefined;
  #requestAt = 0;
  #scopeAt: number | undefined;
  #requestScope: InstrumentationScope | undefined;
  #requestPoints = 0;
  #lastRequestBytes = 64 * 1024;
  #metric: OpenMetric | undefined;
  #spare: ProtoWriter | undefined;
  readonly #buffers: RequestBuffers | undefined;

  constructor(
    resource: StreamedResource,
    limits: RequestLimits,
    emit: (request: EncodedRequest) => void,
    buffers?: RequestBuffers,
  ) {
    this.#limits = limits;
    this.#emit = emit;
    this.#buffers = buffers;
    const field = new ProtoWriter(1024);
    field.byte(tag(1, LENGTH_DELIMITED));
    const at = field.start();
    writeAttributes(field, resource.attributes, 1);
    field.byte(tag(2, VARINT));
    field.byte(0);
    field.finish(at);
    this.#resource = Uint8Array.from(field.finishBytes());
    this.#resourceSchema = resource.schemaUrl ?? '';
  }

  /** The scope of the metrics begun from now on. */
  scope(scope: InstrumentationScope): void {
    this.#scope = scope;
  }

  begin(metric: StreamedMetric, final: boolean): void {
    if (this.#metric !== undefined)
      throw new Error(`OTLP stream: ${metric.name} begun inside another metric`);
    const header = new ProtoWriter(metric.name.length * 3 + 64);
    header.string(1, metric.name);
    if (metric.description) header.string(2, metric.description);
    if (metric.unit) header.string(3, metric.unit);
    const tail = new ProtoWriter(8);
    if (metric.sum) {
      const temporality = protoTemporality(metric.sum.temporality);
      if (temporality !== 0) {
        tail.byte(tag(2, VARINT));
        tail.varint(temporality);
      }
      if (metric.sum.monotonic) {
        tail.byte(tag(3, VARINT));
        tail.byte(1);
      }
    }
    const times = new ProtoWriter(18);
    times.byte(tag(2, FIXED64));
    times.fixed64Time(metric.startTime);
    times.byte(tag(3, FIXED64));
    times.fixed64Time(metric.endTime);
    if (times.pos !== TIMES_BYTES)
      throw new Error(`OTLP stream: ${metric.name}: times of ${times.pos} bytes`);
    const headerBytes = Uint8Array.from(header.finishBytes());
    this.#metric = {
      header: headerBytes,
      dataTag: tag(metric.sum ? 7 : 5, LENGTH_DELIMITED),
      tail: Uint8Array.from(tail.finishBytes()),
      times: Uint8Array.from(times.finishBytes()),
      integer: metric.integer,
      final,
      held: [],
      segment: { writer: this.#takeWriter(), points: 0 },
      roomPoints: this.#limits.points - this.#requestPoints,
      roomBytes: this.#roomBytes(this.#request?.pos ?? this.#resource.length, headerBytes),
    };
  }

  point(value: number, attributes: Attributes): void {
    const metric = this.#open();
    const { segment } = metric;
    const writer = segment.writer;
    writer.byte(tag(1, LENGTH_DELIMITED));
    const at = writer.start();
    writer.bytes(metric.times);
    writePointBody(writer, value, attributes, metric.integer);
    writer.finish(at);
    this.#counted(metric);
  }

  /**
   * Points `PointBodies` encoded (`count` of them, `start` to `end` of `source`), written as
   * `point` would write them: the same bytes, the same cuts between requests. Each run of them
   * that goes into one segment is copied at once; a copy per point was a third of an export's
   * main-thread time at L, and `subarray` per point (for `set`) 20 MiB of garbage.
   */
  points(source: Uint8Array, start: number, end: number, count: number): void {
    const metric = this.#open();
    let at = start;
    let run = start;
    for (let n = 0; n < count; n++) {
      const length = pointLength(source, at);
      at += 1 + varintLength(length) + length;
      if (at > end) throw new Error('OTLP stream: cached points end early');
      metric.segment.points += 1;
      const full =
        metric.segment.points >= metric.roomPoints ||
        metric.segment.writer.pos + at - run >= metric.roomBytes;
      if (!full) continue;
      this.#place(metric, source, run, at);
      run = at;
      this.#seal(metric);
    }
    if (at > run) this.#place(metric, source, run, at);
  }

  /** Copies whole cached points into the metric's segment and writes this export's times in. */
  #place(metric: OpenMetric, source: Uint8Array, from: number, to: number): void {
    const { writer } = metric.segment;
    const { times } = metric;
    writer.ensure(to - from);
    const buffer = writer.buffer;
    buffer.set(source.subarray(from, to), writer.pos);
    const last = writer.pos + to - from;
    for (let at = writer.pos; at < last; ) {
      const length = pointLength(buffer, at);
      at += 1 + varintLength(length);
      for (let index = 0; index < TIMES_BYTES; index++) buffer[at + index] = times[index] as number;
      at += length;
    }
    writer.pos = last;
  }

  #open(): OpenMetric {
    const metric = this.#metric;
    if (metric === undefined) throw new Error('OTLP stream: a point outside a metric');
    return metric;
  }

  #counted(metric: OpenMetric): void {
    metric.segment.points += 1;
    if (metric.segment.points >= metric.roomPoints || metric.segment.writer.pos >= metric.roomBytes)
      this.#seal(metric);
  }

  /** The metric's points stand: they go out, and the next metric may begin. */
  end(): void {
    const metric = this.#metric;
    if (metric === undefined) return;
    this.#metric = undefined;
    for (const segment of metric.held) {
      this.#wrap(metric, segment);
      this.#flush();
    }
    if (metric.segment.points > 0) this.#wrap(metric, metric.segment);
    this.#spare = metric.segment.writer;
  }

  /**
   * Drops what of the open metric has not gone out: all of it, unless it was begun `final`
   * (then the requests it already filled have been handed on).
   */
  abandon(): void {
    const metric = this.#metric;
    if (metric === undefined) return;
    this.#metric = undefined;
    this.#spare = metric.segment.writer;
  }

  /** Hands on the last, partly filled request. */
  finish(): void {
    this.end();
    this.#flush();
    if (this.#spare !== undefined) this.#buffers?.giveSegment(this.#spare);
    this.#spare = undefined;
  }

  #takeWriter(): ProtoWriter {
    const spare = this.#spare ?? this.#buffers?.takeSegment();
    this.#spare = undefined;
    if (spare === undefined) return new ProtoWriter();
    spare.pos = 0;
    return spare;
  }

  /** The current segment fills what the request had left. */
  #seal(metric: OpenMetric): void {
    if (metric.final) {
      this.#wrap(metric, metric.segment);
      this.#flush();
      metric.segment.writer.pos = 0;
      metric.segment.points = 0;
    } else {
      metric.held.push(metric.segment);
      metric.segment = { writer: new ProtoWriter(metric.segment.writer.buffer.length), points: 0 };
    }
    // Whatever the request had is gone out (or will be, before this segment): the next one is empty.
    metric.roomPoints = this.#limits.points;
    metric.roomBytes = this.#roomBytes(this.#resource.length, metric.header);
  }

  /**
   * What a metric's points may take of a request that holds `used` bytes: the metric's own
   * fields and lengths, and the scope's, come out of the same request.
   */
  #roomBytes(used: number, header: Uint8Array): number {
    return this.#limits.bytes - used - header.length - 64;
  }

  /** Writes one segment as a metric message into the current request. */
  #wrap(metric: OpenMetric, segment: Segment): void {
    const request = this.#openRequest();
    const dataLength = segment.writer.pos + metric.tail.length;
    const metricLength = metric.header.length + 1 + varintLength(dataLength) + dataLength;
    request.byte(tag(2, LENGTH_DELIMITED));
    request.varint(metricLength);
    request.bytes(metric.header);
    request.byte(metric.dataTag);
    request.varint(dataLength);
    request.bytes(segment.writer.finishBytes());
    request.bytes(metric.tail);
    this.#requestPoints += segment.points;
  }

  #openRequest(): ProtoWriter {
    let request = this.#request;
    if (request === undefined) {
      const bytes = this.#lastRequestBytes + 4096;
      request = this.#buffers?.take(bytes) ?? new ProtoWriter(bytes);
      request.byte(tag(1, LENGTH_DELIMITED));
      this.#requestAt = request.start();
      request.bytes(this.#resource);
      this.#request = request;
    }
    if (this.#requestScope !== this.#scope) {
      this.#closeScope(request);
      const scope = this.#scope;
      request.byte(tag(2, LENGTH_DELIMITED));
      this.#scopeAt = request.start();
      request.byte(tag(1, LENGTH_DELIMITED));
      const at = request.start();
      request.string(1, scope.name);
      if (scope.version) request.string(2, scope.version);
      request.finish(at);
      this.#requestScope = scope;
    }
    return request;
  }

  #closeScope(request: ProtoWriter): void {
    if (this.#scopeAt === undefined) return;
    const schemaUrl = this.#requestScope?.schemaUrl;
    if (schemaUrl) request.string(3, schemaUrl);
    request.finish(this.#scopeAt);
    this.#scopeAt = undefined;
  }

  /** Closes the current request and hands it on. */
  #flush(): void {
    const request = this.#request;
    if (request === undefined) return;
    this.#closeScope(request);
    if (this.#resourceSchema) request.string(3, this.#resourceSchema);
    request.finish(this.#requestAt);
    const points = this.#requestPoints;
    this.#request = undefined;
    this.#requestScope = undefined;
    this.#requestPoints = 0;
    this.#lastRequestBytes = request.pos;
    const buffers = this.#buffers;
    let released = false;
    const release = () => {
      if (released || buffers === undefined) return;
      released = true;
      buffers.give(request);
    };
    this.#emit({ bytes: request.finishBytes(), points, release });
  }
}

const sameTime = (a: HrTime, b: HrTime) => a[0] === b[0] && a[1] === b[1];

/**
 * The requests for a materialized collection, split as the stream splits a walk. Metrics
 * without points are left out (a walk never begins one), and every point of a metric must share
 * its first point's times, as the pipeline's do.
 */
export function encodeCollection(
  metrics: ResourceMetrics,
  limits: RequestLimits = { points: Number.POSITIVE_INFINITY, bytes: Number.POSITIVE_INFINITY },
  buffers?: RequestBuffers,
): EncodedRequest[] {
  const requests: EncodedRequest[] = [];
  const stream = new RequestStream(metrics.resource, limits, (request) => requests.push(request), buffers);
  for (const scopeMetrics of metrics.scopeMetrics) {
    stream.scope(scopeMetrics.scope);
    for (const metric of scopeMetrics.metrics) {
      if (metric.dataPointType !== DataPointType.GAUGE && metric.dataPointType !== DataPointType.SUM) {
        throw new Error(`OTLP encoding: ${metric.descriptor.name} is not a gauge or a sum`);
      }
      const points = metric.dataPoints as DataPoint<number>[];
      const first = points[0];
      if (first === undefined) continue;
      stream.begin(
        {
          name: metric.descriptor.name,
          description: metric.descriptor.description,
          unit: metric.descriptor.unit,
          integer: metric.descriptor.valueType === ValueType.INT,
          ...(metric.dataPointType === DataPointType.SUM
            ? { sum: { temporality: metric.aggregationTemporality, monotonic: metric.isMonotonic } }
            : {}),
          startTime: first.startTime,
          endTime: first.endTime,
        },
        true,
      );
      for (const point of points) {
        if (!sameTime(point.startTime, first.startTime) || !sameTime(point.endTime, first.endTime)) {
          throw new Error(`OTLP encoding: the points of ${metric.descriptor.name} differ in their times`);
        }
        stream.point(point.value, point.attributes);
      }
      stream.end();
    }
  }
  stream.finish();
  return requests;
}
