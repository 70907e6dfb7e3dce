/**
 * Which image references imagepull reports, and their `registry` label, as the original does
 * (pkg/collector/imagepull/imagepull.go: parseRegistry, isPublicRegistry), with the two fixes
 * the README names.
 */

/**
 * The first path component when it names a registry, else `docker.io`; `unknown` for an empty
 * reference. The original takes the first component only when it has a dot; a port or
 * `localhost` makes it a registry too here (`localhost:5000/app` was `docker.io` there).
 */
export function registryOf(image: string): string {
  if (image === '') return 'unknown';
  const slash = image.indexOf('/');
  const first = slash >= 0 ? image.slice(0, slash) : '';
  return first.includes('.') || first.includes(':') || first === 'localhost' ? first : 'docker.io';
}

/**
 * The registries the original reports failures for (its "public" allow-list). A reference with
 * no registry component is Docker Hub: the original counted `nginx` but not `bitnami/redis`,
 * though both are Docker Hub images; here both count.
 */
export function isPublicRegistry(image: string): boolean {
  const slash = image.indexOf('/');
  if (slash < 0 || registryOf(image) === 'docker.io') return true;
  // docker.io/ is Docker Hub, taken above.
  return (
    image.startsWith('gcr.io/') ||
    image.startsWith('ghcr.io/') ||
    image.startsWith('k8s.gcr.io/') ||
    image.startsWith('quay.io/') ||
    image.startsWith('registry.k8s.io/') ||
    (image.startsWith('registry.') && image.includes('.aliyuncs.com/')) ||
    (image.startsWith('hub.') && image.includes('.sealos.run/')) ||
    image.startsWith('sealos.hub') ||
    image.includes('.cr.aliyuncs.com/')
  );
}
