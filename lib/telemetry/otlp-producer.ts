/**
 * The OTLP side of the pipeline: it walks the same passes as a scrape (a keyed object's series
 * checked by the fingerprints cached with its exposition lines) and gives the points the shape
 * the SDK would (gauges; counters as cumulative monotonic sums), skipping the SDK's attribute
 * aggregation, which cost about 1 s of CPU and 0.3-0.8 s of event-loop stall per export at 150k
 * series. An export streams the points into encoded requests as the walk meets them
 * (`streamMetrics`); `PassProducer` collects them as objects, for tests and benchmarks that
 * compare OTLP with the exposition.
 */
import { type Attributes, type HrTime, ValueType } from '@opentelemetry/api';
import { hrTime, type InstrumentationScope } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import {
  AggregationTemporality,
  type DataPoint,
  DataPointType,
  type MetricData,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import { PointBodies, type RequestStream, type StreamedMetric } from './otlp-encoding.js';
import { type EncodedSeries, type RegisteredMetric, type SeriesVisitor, walkMetric } from './registry.js';
import { TimeSlicer } from './slicer.js';
import type { KeyedPass } from './source.js';

type Point = DataPoint<number>;

export const SCOPE: InstrumentationScope = { name: 'sealos-state-metrics' };

/**
 * The times of a collection's points: counters count since the generation started, gauges
 * cover the time since the previous collection (of either export).
 */
export class CollectionWindow {
  readonly #started = hrTime();
  #last = this.#started;

  next(): { readonly counterStart: HrTime; readonly gaugeStart: HrTime; readonly end: HrTime } {
    const end = hrTime();
    const gaugeStart = this.#last;
    this.#last = end;
    return { counterStart: this.#started, gaugeStart, end };
  }
}

/** A point's value and attributes, whether the series was cached or observed now. */
abstract class PointVisitor implements SeriesVisitor {
  protected readonly metric: RegisteredMetric;

  constructor(metric: RegisteredMetric) {
    this.metric = metric;
  }

  protected abstract add(value: number, attributes: Attributes): void;

  // A keyed object is observed again (its series are a pure function of it); which of its
  // series repeat was settled from its cached fingerprints.
  encoded(series: EncodedSeries, pass: KeyedPass): void {
    pass.each(series.item, this.#observe);
  }

  readonly #observe = (value: number, attributes: Attributes): void => this.point('', value, attributes);

  point(_labels: string, value: number, attributes: Attributes): void {
    this.add(value, this.metric.pointAttributes(attributes));
  }
}

class PointCollector extends PointVisitor {
  readonly points: Point[] = [];
  readonly #start: HrTime;
  readonly #end: HrTime;

  constructor(metric: RegisteredMetric, start: HrTime, end: HrTime) {
    super(metric);
    this.#start = start;
    this.#end = end;
  }

  protected add(value: number, attributes: Attributes): void {
    this.points.push({ startTime: this.#start, endTime: this.#end, attributes, value });
  }
}

/** Where a keyed object's point bodies are encoded before they are placed in its cache. */
const bodies = new PointBodies();

class StreamVisitor extends PointVisitor {
  readonly #stream: RequestStream;
  readonly #integer: boolean;

  constructor(stream: RequestStream, metric: RegisteredMetric, shape: StreamedMetric, final: boolean) {
    super(metric);
    this.#stream = stream;
    this.#integer = shape.integer;
    stream.begin(shape, final);
  }

  protected add(value: number, attributes: Attributes): void {
    this.#stream.point(value, attributes);
  }

  // A keyed object's points are encoded once, by the first export that meets it, and kept with
  // its cell (the object is the same, so the points are); later exports copy them.
  override encoded(series: EncodedSeries, pass: KeyedPass): void {
    let points = series.points;
    if (points === undefined) {
      bodies.reset();
      pass.each(series.item, (value, attributes) =>
        bodies.add(value, this.metric.pointAttributes(attributes), this.#integer),
      );
      const encoded = bodies.bytes();
      points = { ...pass.cache.points.placeBytes(encoded), bytes: encoded.length };
      series.points = points;
    }
    this.#stream.points(points.block.buffer, points.offset, points.offset + points.bytes, series.count);
  }

  abandon(): void {
    this.#stream.abandon();
  }
}

function streamedShape(
  metric: RegisteredMetric,
  window: ReturnType<CollectionWindow['next']>,
): StreamedMetric {
  const { declaration, exposedName } = metric.exposed;
  const counter = declaration.kind === 'counter';
  return {
    name: exposedName,
    description: declaration.help,
    unit: declaration.unit,
    integer: false,
    ...(counter ? { sum: { temporality: AggregationTemporality.CUMULATIVE, monotonic: true } } : {}),
    startTime: counter ? window.counterStart : window.gaugeStart,
    endTime: window.end,
  };
}

/**
 * Walks every metric into `stream`, which sends requests as they fill; returns the errors of the
 * metrics whose callbacks threw (each costs its own metric only, less what had already gone
 * out). An abort of `signal` (a request failed) ends the walk.
 */
export async function streamMetrics(
  metrics: ReadonlyMap<string, RegisteredMetric>,
  window: CollectionWindow,
  stream: RequestStream,
  slicer: TimeSlicer,
  signal: AbortSignal,
): Promise<unknown[]> {
  const times = window.next();
  const errors: unknown[] = [];
  stream.scope(SCOPE);
  for (const metric of metrics.values()) {
    const shape = streamedShape(metric, times);
    try {
      await walkMetric(metric, slicer, (final) => new StreamVisitor(stream, metric, shape, final));
      stream.end();
    } catch (error) {
      stream.abandon();
      if (signal.aborted) throw signal.reason;
      errors.push(error);
    }
    await slicer.pause();
  }
  stream.finish();
  return errors;
}

export interface OtlpCollection {
  readonly resourceMetrics: ResourceMetrics;
  readonly errors: readonly unknown[];
}

/** Collects every metric's points as objects, as the SDK's readers would hand them on. */
export class PassProducer {
  readonly #metrics: ReadonlyMap<string, RegisteredMetric>;
  readonly #window: CollectionWindow;
  readonly #resource: Resource;

  constructor(metrics: ReadonlyMap<string, RegisteredMetric>, window: CollectionWindow, resource: Resource) {
    this.#metrics = metrics;
    this.#window = window;
    this.#resource = resource;
  }

  async collect(): Promise<OtlpCollection> {
    const slicer = new TimeSlicer();
    const times = this.#window.next();
    const data: MetricData[] = [];
    const errors: unknown[] = [];
    for (const metric of this.#metrics.values()) {
      const shape = streamedShape(metric, times);
      try {
        const { visitor } = await walkMetric(
          metric,
          slicer,
          () => new PointCollector(metric, shape.startTime, shape.endTime),
        );
        const dataPoints = visitor.points;
        if (dataPoints.length === 0) continue;
        const descriptor = {
          name: shape.name,
          description: shape.description,
          unit: shape.unit,
          valueType: ValueType.DOUBLE,
        };
        data.push(
          shape.sum
            ? {
                descriptor,
                aggregationTemporality: shape.sum.temporality,
                dataPointType: DataPointType.SUM,
                isMonotonic: shape.sum.monotonic,
                dataPoints,
              }
            : {
                descriptor,
                aggregationTemporality: AggregationTemporality.DELTA,
                dataPointType: DataPointType.GAUGE,
                dataPoints,
              },
        );
      } catch (error) {
        errors.push(error);
      }
      await slicer.pause();
    }
    return {
      resourceMetrics: { resource: this.#resource, scopeMetrics: [{ scope: SCOPE, metrics: data }] },
      errors,
    };
  }
}
