/**
 * kube-state-metrics' Custom Resource State, served: the installed CRDs are watched, each
 * resource of the document is resolved against what they serve (wildcards included), and every
 * resolved kind gets a shared informer whose transform computes its objects' series, family by
 * family, when they change. CRDs installed or removed later open or close those watches, as
 * kube-state-metrics' discovery does. Families keep kube-state-metrics' names (no `sealos_`).
 */
import { createHash } from 'node:crypto';
import type { ApiObject, InstrumentContext, MetricDeclaration, Subscription } from '../../lib/instrument.js';
import type { KsmDocument } from './ksm-config.js';
import { resolveKinds, type ServedKind, servedKinds } from './ksm-discovery.js';
import { type CompiledFamily, compileResource, familySeries, type KsmSample } from './ksm-series.js';

const CRDS = { group: 'apiextensions.k8s.io', version: 'v1', resource: 'customresourcedefinitions' } as const;

/** One object's series, by family name, and what could not be exported (per family). */
interface ObjectFamilies {
  readonly series: ReadonlyMap<string, readonly KsmSample[]>;
  readonly errors: ReadonlyMap<string, readonly string[]>;
}

interface Source {
  readonly id: string;
  readonly kind: ServedKind;
  readonly names: ReadonlySet<string>;
  readonly subscription: Subscription<ObjectFamilies>;
}

// The same document declares the same objects: a new leadership term re-registers them, and the
// framework recognises a declaration by identity.
const declared = new WeakMap<KsmDocument, MetricDeclaration[]>();

/** The declarations of a document: one per family name (kube-state-metrics allows repeats). */
export function ksmDeclarations(document: KsmDocument): MetricDeclaration[] {
  const known = declared.get(document);
  if (known) return known;
  const byName = new Map<string, MetricDeclaration>();
  document.spec.resources.forEach((resource, index) => {
    for (const family of compileResource(resource, resource.groupVersionKind, `spec.resources[${index}]`)) {
      if (byName.has(family.name)) continue;
      byName.set(family.name, {
        name: family.name,
        kind: 'gauge',
        unit: '{value}',
        help: family.help || `kube-state-metrics Custom Resource State metric ${family.name}`,
        // Label sets differ from series to series (copied maps, listed states): each point
        // carries its own, sorted by name.
        labels: [],
        prefixed: false,
      });
    }
  });
  const result = [...byName.values()];
  declared.set(document, result);
  return result;
}

function objectFamilies(families: readonly CompiledFamily[], object: ApiObject): ObjectFamilies {
  const series = new Map<string, KsmSample[]>();
  const errors = new Map<string, string[]>();
  for (const family of families) {
    const output = familySeries(family, object);
    const samples = series.get(family.name);
    if (samples) samples.push(...output.samples);
    else series.set(family.name, output.samples);
    if (output.errors.length > 0)
      errors.set(family.name, [...(errors.get(family.name) ?? []), ...output.errors]);
  }
  return { series, errors };
}

export interface KsmWatch {
  stop(): void;
  /** Unset while discovery or a resolved kind has not listed yet. */
  pending(): string | undefined;
  ready(): Promise<void>;
}

export function watchCustomResourceState(context: InstrumentContext, document: KsmDocument): KsmWatch {
  const cluster = context.cluster;
  if (!cluster) throw new Error('the crds collector needs a cluster');
  const logger = context.logger.child({ config: 'customResourceState' });
  const digest = createHash('sha256').update(JSON.stringify(document)).digest('hex').slice(0, 12);
  const sources = new Map<string, Source>();
  const unsynced = new Set<string>();
  /** `<source>/<object>/<family>` whose problem was logged, so each is logged once. */
  const reported = new Set<string>();
  const warnedMissing = new Set<string>();
  const declarations = ksmDeclarations(document);

  const crds = cluster.subscribe(CRDS, {}, 'crds.ksm-discovery', (object) => servedKinds(object));

  const open = (index: number, kind: ServedKind, id: string): Source => {
    const resource = document.spec.resources[index] as NonNullable<KsmDocument['spec']['resources'][number]>;
    const families = compileResource(resource, kind, `spec.resources[${index}]`);
    const subscription = cluster.subscribe(
      { group: kind.group, version: kind.version, resource: kind.plural },
      {},
      `crds.ksm.${digest}.${index}.${kind.version}.${kind.kind}`,
      (object) => objectFamilies(families, object),
      { shardBy: 'uid' },
    );
    const errorLogV = new Map(families.map((family) => [family.name, family.errorLogV]));
    subscription.onChange((type, key) => {
      const prefix = `${id}/${key}/`;
      if (type === 'delete') {
        for (const name of errorLogV.keys()) reported.delete(`${prefix}${name}`);
        return;
      }
      const errors = subscription.items.get(key)?.errors;
      for (const name of errorLogV.keys()) {
        const problems = errors?.get(name);
        const reportId = `${prefix}${name}`;
        if (!problems) reported.delete(reportId);
        else if (!reported.has(reportId)) {
          reported.add(reportId);
          // errorLogV > 0 asks for verbosity kube-state-metrics hides by default.
          const log = (errorLogV.get(name) ?? 0) > 0 ? logger.debug.bind(logger) : logger.warn.bind(logger);
          log({ metric: name, object: key, problems }, 'custom resource field cannot be exported');
        }
      }
    });
    unsynced.add(id);
    void subscription.synced().then(() => unsynced.delete(id));
    return { id, kind, names: new Set(families.map((family) => family.name)), subscription };
  };

  const reconcile = () => {
    const served = [...crds.items.values()].flat();
    const wanted = new Map<string, { index: number; kind: ServedKind }>();
    document.spec.resources.forEach((resource, index) => {
      const resolved = resolveKinds(resource.groupVersionKind, served);
      const gvk = resource.groupVersionKind;
      const label = `${gvk.group}/${gvk.version || '*'}/${gvk.kind || '*'}`;
      if (resolved.length === 0 && !warnedMissing.has(label)) {
        warnedMissing.add(label);
        logger.info(
          { gvk: label },
          'no installed CRD serves this group/version/kind yet; no metrics until one does',
        );
      }
      if (resolved.length > 0) warnedMissing.delete(label);
      for (const kind of resolved)
        wanted.set(`${index}/${kind.group}/${kind.version}/${kind.kind}/${kind.plural}`, { index, kind });
    });
    for (const [id, source] of sources) {
      if (wanted.has(id)) continue;
      source.subscription.close();
      sources.delete(id);
      unsynced.delete(id);
    }
    for (const [id, { index, kind }] of wanted) if (!sources.has(id)) sources.set(id, open(index, kind, id));
  };

  let discoverySynced = false;
  crds.onChange(() => reconcile());
  const discovered = crds.synced().then(() => {
    discoverySynced = true;
    reconcile();
  });

  for (const declaration of declarations) {
    context.metrics.observeObjects(
      declaration,
      function* () {
        for (const source of sources.values()) {
          if (!source.names.has(declaration.name)) continue;
          // One object may be seen by two sources (two resources, or two served versions).
          for (const [key, item] of source.subscription.items) yield [`${source.id}\0${key}`, item] as const;
        }
      },
      (item, observe) => {
        for (const sample of item.series.get(declaration.name) ?? []) observe(sample.value, sample.labels);
      },
    );
  }

  return {
    stop: () => {
      crds.close();
      for (const source of sources.values()) source.subscription.close();
      sources.clear();
    },
    pending: () => {
      if (!discoverySynced) return `${CRDS.group}/${CRDS.version}/${CRDS.resource} (discovery)`;
      const waiting = [...unsynced].map((id) => sources.get(id)?.kind).filter((kind) => kind !== undefined);
      if (waiting.length === 0) return undefined;
      return waiting.map((kind) => `${kind.group}/${kind.version}/${kind.plural}`).join(', ');
    },
    ready: async () => {
      await discovered;
      await Promise.all([...sources.values()].map((source) => source.subscription.synced()));
    },
  };
}
