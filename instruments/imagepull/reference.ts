/**
 * The registry of an image reference, by Docker's normalisation rules (distribution/reference):
 * the first path component is a registry when it has a dot or a port or is `localhost`;
 * otherwise the image is on Docker Hub (`docker.io`), single names under `library/`.
 */
export interface ImageReference {
  readonly registry: string;
  readonly repository: string;
  /** The tag, or undefined when the reference has only a digest (or neither: then `latest`). */
  readonly tag?: string;
  readonly digest?: string;
}

const DOCKER_HUB = 'docker.io';
const LEGACY_HUB = new Set(['index.docker.io', 'registry-1.docker.io']);

export function parseImageReference(reference: string): ImageReference | undefined {
  let rest = reference.trim();
  if (rest === '' || /\s/.test(rest)) return undefined;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!/^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-fA-F0-9]{32,}$/.test(digest)) return undefined;
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!/^[\w][\w.-]{0,127}$/.test(tag)) return undefined;
  }
  const slash = rest.indexOf('/');
  const first = slash >= 0 ? rest.slice(0, slash) : '';
  let registry = DOCKER_HUB;
  let repository = rest;
  if (slash >= 0 && (first.includes('.') || first.includes(':') || first === 'localhost')) {
    registry = first.toLowerCase();
    repository = rest.slice(slash + 1);
  }
  if (LEGACY_HUB.has(registry)) registry = DOCKER_HUB;
  if (registry === DOCKER_HUB && !repository.includes('/')) repository = `library/${repository}`;
  if (
    !/^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/.test(repository)
  ) {
    return undefined;
  }
  return {
    registry,
    repository,
    ...(tag !== undefined ? { tag } : digest === undefined ? { tag: 'latest' } : {}),
    ...(digest !== undefined ? { digest } : {}),
  };
}

/** The registry label: Docker's rules, or `unknown` for a reference that does not parse. */
export function registryOf(reference: string): string {
  return parseImageReference(reference)?.registry ?? 'unknown';
}
