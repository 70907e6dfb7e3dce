/**
 * kube-state-metrics' Custom Resource State generators (registry_factory.go), ported: a resource
 * of the document compiles, for one resolved group/version/kind, into families; a family turns
 * one object into its series, as kube-state-metrics' `generate` does (values of `each` at its
 * path, then the family's base labels where a value has none, labels sorted by name). Pure:
 * nothing but the object and the compiled config is read.
 */

import type { KsmGenerator, KsmResource } from './ksm-config.js';
import { compilePath, getPath, KsmPathError, pathText, type ValuePath } from './ksm-path.js';
import { goText, goTypeName, ksmFloat } from './ksm-values.js';

export interface GroupVersionKind {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
}

interface LabelPath {
  readonly name: string;
  readonly path: ValuePath;
}

interface Common {
  readonly path: ValuePath;
  /** In the document's order (Go iterates its map at random; a name appears once). */
  readonly labelsFromPath: readonly LabelPath[];
}

export type CompiledEach =
  | (Common & {
      readonly type: 'gauge';
      readonly labelFromKey: string;
      readonly valueFrom: ValuePath;
      readonly nilIsZero: boolean;
    })
  | (Common & { readonly type: 'info'; readonly labelFromKey: string })
  | (Common & {
      readonly type: 'stateset';
      readonly labelName: string;
      readonly valueFrom: ValuePath;
      readonly list: readonly string[];
    });

export interface CompiledFamily {
  readonly name: string;
  readonly help: string;
  readonly each: CompiledEach;
  /** commonLabels, the group/version/kind labels among them. */
  readonly labels: Readonly<Record<string, string>>;
  readonly labelsFromPath: readonly LabelPath[];
  readonly errorLogV: number;
}

export interface KsmSample {
  /** Names in sorted order, as kube-state-metrics writes them. */
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export class KsmConfigError extends Error {}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** kube-state-metrics' SanitizeLabelName: every character outside [a-zA-Z0-9_] becomes `_`. */
export const sanitizeLabelName = (name: string) => name.replace(/[^a-zA-Z0-9_]/g, '_');

const isStar = (name: string) => name.startsWith('*') || name.endsWith('*');

/** The name kube-state-metrics gives a family: `<prefix>_<name>`, `kube_customresource` by default. */
export function familyName(resource: KsmResource, metric: KsmGenerator): string {
  const prefix = resource.metricNamePrefix ?? 'kube_customresource';
  return prefix === '' ? metric.name : `${prefix}_${metric.name}`;
}

function compileLabelPaths(map: Readonly<Record<string, readonly string[]>>, at: string): LabelPath[] {
  return Object.entries(map).map(([name, path]) => {
    if (!isStar(name) && !LABEL_NAME.test(sanitizeLabelName(name)))
      throw new KsmConfigError(
        `${at}.${name}: "${name}" cannot be a label name, even with its invalid characters as _`,
      );
    return { name, path: compiled(path, `${at}.${name}`) };
  });
}

function compiled(path: readonly string[], at: string): ValuePath {
  try {
    return compilePath(path);
  } catch (error) {
    if (error instanceof KsmPathError) throw new KsmConfigError(`${at}: ${error.message}`);
    throw error;
  }
}

function checkLabelName(name: string, at: string): void {
  if (name !== '' && !LABEL_NAME.test(name))
    throw new KsmConfigError(`${at}: "${name}" is not a Prometheus label name`);
}

function compileEach(metric: KsmGenerator, at: string): CompiledEach {
  const { each } = metric;
  const common = (meta: { path: string[]; labelsFromPath: Record<string, string[]> }, field: string) => ({
    path: compiled(meta.path, `${at}.each.${field}.path`),
    labelsFromPath: compileLabelPaths(meta.labelsFromPath, `${at}.each.${field}.labelsFromPath`),
  });
  switch (each.type) {
    case 'gauge': {
      if (!each.gauge) throw new KsmConfigError(`${at}.each: expected each.gauge to not be nil`);
      checkLabelName(each.gauge.labelFromKey, `${at}.each.gauge.labelFromKey`);
      return {
        type: 'gauge',
        ...common(each.gauge, 'gauge'),
        labelFromKey: each.gauge.labelFromKey,
        valueFrom: compiled(each.gauge.valueFrom, `${at}.each.gauge.valueFrom`),
        nilIsZero: each.gauge.nilIsZero,
      };
    }
    case 'info':
      if (!each.info) throw new KsmConfigError(`${at}.each: expected each.info to not be nil`);
      checkLabelName(each.info.labelFromKey, `${at}.each.info.labelFromKey`);
      return { type: 'info', ...common(each.info, 'info'), labelFromKey: each.info.labelFromKey };
    case 'stateset': {
      if (!each.stateSet) throw new KsmConfigError(`${at}.each: expected each.stateSet to not be nil`);
      if (!LABEL_NAME.test(each.stateSet.labelName))
        throw new KsmConfigError(
          `${at}.each.stateSet.labelName: "${each.stateSet.labelName}" is not a Prometheus label name (the label of each listed state)`,
        );
      return {
        type: 'stateset',
        ...common(each.stateSet, 'stateSet'),
        labelName: each.stateSet.labelName,
        valueFrom: compiled(each.stateSet.valueFrom, `${at}.each.stateSet.valueFrom`),
        list: each.stateSet.list,
      };
    }
    default:
      throw new KsmConfigError(
        `${at}.each.type: unknown metric type "${each.type}" (Gauge, StateSet or Info)`,
      );
  }
}

/**
 * kube-state-metrics' `compile`: a resource's families for one group/version/kind. The
 * `customresource_*` labels join the resource's commonLabels, which a metric's own override.
 * Throws KsmConfigError naming the field (`spec.resources[0].metrics[1]...`).
 */
export function compileResource(resource: KsmResource, gvk: GroupVersionKind, at: string): CompiledFamily[] {
  const resourceLabels: Record<string, string> = {
    ...resource.commonLabels,
    customresource_group: gvk.group,
    customresource_version: gvk.version,
    customresource_kind: gvk.kind,
  };
  return resource.metrics.map((metric, index) => {
    const metricAt = `${at}.metrics[${index}]`;
    const name = familyName(resource, metric);
    if (!METRIC_NAME.test(name))
      throw new KsmConfigError(`${metricAt}.name: "${name}" is not a Prometheus metric name`);
    const labels = { ...resourceLabels, ...metric.commonLabels };
    for (const label of Object.keys(labels)) checkLabelName(label, `${metricAt}.commonLabels.${label}`);
    if (Object.hasOwn(labels, '')) throw new KsmConfigError(`${metricAt}.commonLabels: an empty label name`);
    const paths = { ...resource.labelsFromPath, ...metric.labelsFromPath };
    return {
      name,
      help: metric.help,
      each: compileEach(metric, metricAt),
      labels,
      labelsFromPath: compileLabelPaths(paths, `${metricAt}.labelsFromPath`),
      errorLogV: metric.errorLogV !== 0 ? metric.errorLogV : resource.errorLogV,
    };
  });
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Sets a label whose name came from the object: skipped (and reported) where it cannot be one. */
function setLabel(result: Map<string, string>, name: string, value: string, problems: string[]): void {
  const sanitized = sanitizeLabelName(name);
  if (!LABEL_NAME.test(sanitized)) {
    problems.push(`"${name.slice(0, 60)}" cannot be a label name; the label is left out`);
    return;
  }
  result.set(sanitized, value);
}

/** kube-state-metrics' addPathLabels: `*` copies of maps first, sorted, then single fields over them. */
function addPathLabels(
  object: unknown,
  labels: readonly LabelPath[],
  result: Map<string, string>,
  problems: string[],
): void {
  const stars = labels
    .filter((label) => isStar(label.name))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const star of stars) {
    const map = getPath(star.path, object);
    if (!isRecord(map)) continue;
    const prefix = star.name.endsWith('*') ? star.name.slice(0, -1) : '';
    for (const key of Object.keys(map).sort()) setLabel(result, prefix + key, goText(map[key]), problems);
  }
  for (const label of labels) {
    if (isStar(label.name)) continue;
    const value = getPath(label.path, object);
    if (value === undefined) continue;
    result.set(sanitizeLabelName(label.name), goText(value));
  }
}

interface EachValue {
  readonly labels: Map<string, string>;
  readonly value: number;
}

interface Values {
  readonly values: EachValue[];
  readonly errors: string[];
}

/** compiledGauge.value: the number at valueFrom, undefined where there is none to report. */
function gaugeValue(
  each: Extract<CompiledEach, { type: 'gauge' }>,
  item: unknown,
): { value?: EachValue; error?: string } {
  const got = getPath(each.valueFrom, item);
  if (got === undefined) {
    if (each.nilIsZero) return { value: { labels: new Map(), value: 0 } };
    if (item === undefined || item === null) return { error: 'got nil while resolving path' };
    return {};
  }
  const converted = ksmFloat(got, each.nilIsZero);
  if ('error' in converted) return { error: `${pathText(each.valueFrom)}: ${converted.error}` };
  return { value: { labels: new Map(), value: converted.value } };
}

function gaugeValues(
  each: Extract<CompiledEach, { type: 'gauge' }>,
  value: unknown,
  problems: string[],
): Values {
  const values: EachValue[] = [];
  const errors: string[] = [];
  const onError = (error: string) => errors.push(`${pathText(each.path)}: ${error}`);
  const valueFromText = pathText(each.valueFrom);
  // A one-segment valueFrom naming a key of the map at path reads that entry itself.
  const singleKey =
    !valueFromText.includes(',') && valueFromText.length > 2 ? valueFromText.slice(1, -1) : undefined;
  if (isRecord(value)) {
    for (const key of Object.keys(value)) {
      const item = value[key];
      let ev: EachValue | undefined;
      if (singleKey !== undefined && key === singleKey) {
        const converted = ksmFloat(item, each.nilIsZero);
        if ('error' in converted) {
          onError(`[${key}]: ${converted.error}`);
          continue;
        }
        ev = { labels: new Map(), value: converted.value };
      } else {
        // kube-state-metrics drops an element's conversion error here, unlike in a list.
        ev = gaugeValue(each, item).value;
        if (!ev) continue;
      }
      if (key !== '' && each.labelFromKey !== '') ev.labels.set(each.labelFromKey, key);
      addPathLabels(item, each.labelsFromPath, ev.labels, problems);
      // And from the map itself: kube-state-metrics resolves them against both.
      addPathLabels(value, each.labelsFromPath, ev.labels, problems);
      values.push(ev);
    }
  } else if (Array.isArray(value)) {
    value.forEach((item, index) => {
      const { value: ev, error } = gaugeValue(each, item);
      if (error !== undefined) onError(`[${index}]: ${error}`);
      else if (ev) {
        addPathLabels(item, each.labelsFromPath, ev.labels, problems);
        values.push(ev);
      }
    });
  } else {
    const { value: ev, error } = gaugeValue(each, value);
    if (error !== undefined) onError(error);
    else if (ev) {
      addPathLabels(value, each.labelsFromPath, ev.labels, problems);
      values.push(ev);
    }
  }
  return { values, errors };
}

function infoOf(
  each: Extract<CompiledEach, { type: 'info' }>,
  value: unknown,
  problems: string[],
): EachValue[] {
  if (value === undefined || value === null) return [];
  const labels = new Map<string, string>();
  addPathLabels(value, each.labelsFromPath, labels, problems);
  return labels.size === 0 ? [] : [{ labels, value: 1 }];
}

function infoValues(
  each: Extract<CompiledEach, { type: 'info' }>,
  value: unknown,
  problems: string[],
): Values {
  const errors: string[] = [];
  if (Array.isArray(value)) return { values: value.flatMap((item) => infoOf(each, item, problems)), errors };
  if (!isRecord(value)) return { values: infoOf(each, value, problems), errors };
  const own = infoOf(each, value, problems);
  for (const ev of own) {
    if (ev.labels.has(each.labelFromKey))
      errors.push(
        `${pathText(each.path)}: labelFromKey (${each.labelFromKey}) generated labels conflict with labelsFromPath, consider renaming it`,
      );
  }
  const values: EachValue[] = [];
  for (const key of Object.keys(value)) {
    const labels = new Map<string, string>();
    if (key !== '' && each.labelFromKey !== '') labels.set(each.labelFromKey, key);
    addPathLabels(value[key], each.labelsFromPath, labels, problems);
    if (labels.size > 0) values.push({ labels, value: 1 });
  }
  values.push(...own);
  return { values, errors };
}

function stateSetOf(
  each: Extract<CompiledEach, { type: 'stateset' }>,
  value: unknown,
  problems: string[],
): Values {
  const comparable = getPath(each.valueFrom, value);
  if (comparable === undefined) return { values: [], errors: [] };
  if (typeof comparable !== 'string') {
    return {
      values: [],
      errors: [
        `${pathText([...each.path, ...each.valueFrom])}: expected value for path to be string, got ${goTypeName(comparable)}`,
      ],
    };
  }
  const values = each.list.map((entry) => {
    const labels = new Map<string, string>([[each.labelName, entry]]);
    addPathLabels(value, each.labelsFromPath, labels, problems);
    return { labels, value: comparable === entry ? 1 : 0 };
  });
  return { values, errors: [] };
}

function stateSetValues(
  each: Extract<CompiledEach, { type: 'stateset' }>,
  value: unknown,
  problems: string[],
): Values {
  if (!Array.isArray(value)) return stateSetOf(each, value, problems);
  const values: EachValue[] = [];
  const errors: string[] = [];
  for (const item of value) {
    const one = stateSetOf(each, item, problems);
    if (one.errors.length > 0) errors.push(...one.errors);
    else values.push(...one.values);
  }
  return { values, errors };
}

/** kube-state-metrics' compareLabels: by sorted names, then values, then how many. */
function compareLabels(a: Map<string, string>, b: Map<string, string>): number {
  const aKeys = [...a.keys()].sort();
  const bKeys = [...b.keys()].sort();
  for (let index = 0; index < Math.min(aKeys.length, bKeys.length); index++) {
    const ak = aKeys[index] as string;
    const bk = bKeys[index] as string;
    if (ak !== bk) return ak < bk ? -1 : 1;
    const av = a.get(ak) as string;
    const bv = b.get(bk) as string;
    if (av !== bv) return av < bv ? -1 : 1;
  }
  return aKeys.length - bKeys.length;
}

export interface FamilyOutput {
  readonly samples: KsmSample[];
  /** kube-state-metrics' error texts (logged at errorLogV), and labels left out here. */
  readonly errors: string[];
}

/** kube-state-metrics' `generate` for one object: its series of one family. */
export function familySeries(
  family: CompiledFamily,
  object: Readonly<Record<string, unknown>>,
): FamilyOutput {
  const problems: string[] = [];
  const base = new Map(Object.entries(family.labels));
  addPathLabels(object, family.labelsFromPath, base, problems);
  const at = getPath(family.each.path, object);
  const { values, errors } =
    family.each.type === 'gauge'
      ? gaugeValues(family.each, at, problems)
      : family.each.type === 'info'
        ? infoValues(family.each, at, problems)
        : stateSetValues(family.each, at, problems);
  values.sort((a, b) => compareLabels(a.labels, b.labels));
  const samples = values.map(({ labels, value }) => {
    for (const [name, text] of base) if (!labels.has(name)) labels.set(name, text);
    const sorted: Record<string, string> = {};
    for (const name of [...labels.keys()].sort()) sorted[name] = labels.get(name) as string;
    return { labels: sorted, value };
  });
  return { samples, errors: [...errors, ...problems] };
}
