/**
 * A Docker Registry HTTP API v2 stand-in: `/v2/` answers 401 with a bearer challenge (as Docker
 * Hub and Harbor do) or 200, manifests are served for the images it holds with the headers a
 * registry sends, and unknown ones get the registry's MANIFEST_UNKNOWN error document.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface RegistryBehaviour {
  /** `/v2/` answer: 401 with a Bearer challenge (default), 200, or any other status. */
  readonly apiStatus?: number;
  /** Images held, as `repository:reference`. */
  readonly images: readonly string[];
}

const MANIFEST_V2 = 'application/vnd.docker.distribution.manifest.v2+json';

export function registryHandler(behaviour: RegistryBehaviour, seen: { accept: string[]; headers: string[] }) {
  return (request: IncomingMessage, response: ServerResponse): void => {
    const url = request.url ?? '/';
    if (url === '/v2/' || url === '/v2') {
      const status = behaviour.apiStatus ?? 401;
      const headers: Record<string, string> = { 'docker-distribution-api-version': 'registry/2.0' };
      if (status === 401) {
        headers['www-authenticate'] = 'Bearer realm="https://auth.example/token",service="registry.example"';
      }
      response.writeHead(status, { ...headers, 'content-type': 'application/json' }).end('{}');
      return;
    }
    const match = /^\/v2\/(.+)\/manifests\/([^/]+)$/.exec(url);
    if (!match) {
      response
        .writeHead(404, { 'content-type': 'application/json' })
        .end('{"errors":[{"code":"NAME_UNKNOWN"}]}');
      return;
    }
    seen.accept.push(String(request.headers.accept ?? ''));
    seen.headers.push(String(request.headers['x-probe'] ?? ''));
    if (!behaviour.images.includes(`${match[1]}:${match[2]}`)) {
      response
        .writeHead(404, { 'content-type': 'application/json' })
        .end('{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}');
      return;
    }
    const body = JSON.stringify({
      schemaVersion: 2,
      mediaType: MANIFEST_V2,
      config: {
        mediaType: 'application/vnd.docker.container.image.v1+json',
        size: 1457,
        digest: `sha256:${'a'.repeat(64)}`,
      },
      layers: [
        {
          mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
          size: 2152262,
          digest: `sha256:${'b'.repeat(64)}`,
        },
      ],
    });
    response
      .writeHead(200, {
        'content-type': MANIFEST_V2,
        'docker-content-digest': `sha256:${createHash('sha256').update(body).digest('hex')}`,
        'docker-distribution-api-version': 'registry/2.0',
      })
      .end(body);
  };
}
