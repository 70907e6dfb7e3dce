/**
 * Metric declarations as data: the one place a metric's name, kind, unit, help and labels are
 * written. The exposition, the README table, the CLI listing and the tests all derive from it.
 */
export type MetricKind = 'gauge' | 'counter';

export interface MetricDeclaration {
  /** Prometheus name without the namespace prefix, e.g. `zombie_processes`; counters without `_total`. */
  readonly name: string;
  readonly kind: MetricKind;
  /**
   * UCUM unit for OTLP. It must not change the Prometheus name when a Collector translates it:
   * `s` and `By` only on names ending in `_seconds` / `_bytes`, `{annotation}` otherwise.
   */
  readonly unit: string;
  readonly help: string;
  /** Label names in exposition order. Every point carries all of them (empty string when unknown). */
  readonly labels: readonly string[];
  /** Framework self-metrics keep their fixed `state_metric_` names and take no namespace prefix. */
  readonly prefixed?: boolean;
  /**
   * Labels that OTLP carries on the resource rather than on each point (`instance`, which is the
   * resource's service.instance.id). A Collector's Prometheus exporter writes service.instance.id
   * as `instance` itself, and refuses a metric whose points carry an `instance` of their own.
   */
  readonly resourceLabels?: readonly string[];
  /**
   * Off unless `collectors.<instrument>.metrics.<name>.enabled` is true, as a Collector
   * receiver's optional metrics (lib/config/metric-switches.ts).
   */
  readonly optIn?: boolean;
}

/** A declaration with the name it is exposed under in one pipeline. */
export interface ExposedMetric {
  readonly exposedName: string;
  readonly declaration: MetricDeclaration;
}

/** The exposed (OTel instrument and Prometheus) name of a declaration under a namespace prefix. */
export function exposedName(declaration: MetricDeclaration, namespace: string): string {
  if (declaration.prefixed === false || namespace === '') return declaration.name;
  return `${namespace}_${declaration.name}`;
}

export type Labels<D extends MetricDeclaration> = { readonly [K in D['labels'][number]]: string };
