/**
 * kube-state-metrics' CRD discovery (internal/discovery): what each installed CRD serves, and a
 * configured group/version/kind resolved against that, `*` or empty version and kind matching
 * every served one of the group. Only CRDs count: a built-in kind is not resolved, as there.
 */
import type { GroupVersionKind } from './ksm-series.js';

export interface ServedKind extends GroupVersionKind {
  readonly plural: string;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** extractGVKPs: every version of a CRD not marked `served: false`, with its kind and plural. */
export function servedKinds(crd: Readonly<Record<string, unknown>>): ServedKind[] {
  const spec = crd.spec;
  if (!isRecord(spec) || typeof spec.group !== 'string' || !isRecord(spec.names)) return [];
  const { kind, plural } = spec.names;
  if (typeof kind !== 'string' || typeof plural !== 'string' || !Array.isArray(spec.versions)) return [];
  const served: ServedKind[] = [];
  for (const version of spec.versions) {
    if (!isRecord(version) || typeof version.name !== 'string') continue;
    if (Object.hasOwn(version, 'served') && version.served !== true) continue;
    served.push({ group: spec.group, version: version.name, kind, plural });
  }
  return served;
}

/** ResolveGVKToGVKPs over what the CRDs serve; the order is the CRDs' (kube-state-metrics' is a map's). */
export function resolveKinds(wanted: GroupVersionKind, served: readonly ServedKind[]): ServedKind[] {
  const anyVersion = wanted.version === '' || wanted.version === '*';
  const anyKind = wanted.kind === '' || wanted.kind === '*';
  const seen = new Set<string>();
  return served.filter((candidate) => {
    if (candidate.group !== wanted.group) return false;
    if (!anyVersion && candidate.version !== wanted.version) return false;
    if (!anyKind && candidate.kind !== wanted.kind) return false;
    const id = `${candidate.version}/${candidate.kind}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}
