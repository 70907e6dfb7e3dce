/**
 * How a request to the API server travels. In a pod it is node's own HTTPS client with a
 * keep-alive agent trusting the service account's CA: undici, loaded only for it, costs a
 * DaemonSet pod about 20 MiB of RSS and 4 MiB of heap (measured in a bare node 24). A kubeconfig
 * keeps undici, because @kubernetes/client-node gives its TLS material and proxies as undici
 * options and dispatchers (kubeconfig-credentials.ts).
 */
import type { IncomingMessage } from 'node:http';
import { Agent, request } from 'node:https';
import { pipeline, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { Dispatcher } from 'undici';

export interface KubeRequest {
  readonly method: string;
  readonly url: URL;
  readonly headers: Record<string, string>;
  readonly body?: string;
  readonly signal: AbortSignal;
}

/** An answer whose body is read once, whole (`text`) or as it arrives (`chunks`). */
export interface KubeAnswer {
  readonly status: number;
  header(name: string): string | null;
  text(): Promise<string>;
  chunks(): AsyncIterable<Uint8Array>;
}

export type KubeTransport = (request: KubeRequest) => Promise<KubeAnswer>;

/** The body as sent, decompressed when the server gzipped it (client-go accepts gzip too). */
function decoded(response: IncomingMessage): Readable {
  const encoding = response.headers['content-encoding'];
  if (encoding === undefined || encoding === 'identity') return response;
  if (encoding !== 'gzip') {
    response.destroy();
    throw new Error(`the API server answered with content-encoding "${encoding.slice(0, 40)}", not gzip`);
  }
  // A failure of either ends the other; the reader sees it, so the callback has nothing to do.
  return pipeline(response, createGunzip(), () => {});
}

function answerOf(response: IncomingMessage): KubeAnswer {
  let body: Readable | undefined;
  const stream = () => {
    body ??= decoded(response);
    return body;
  };
  return {
    status: response.statusCode ?? 0,
    header: (name) => {
      const value = response.headers[name.toLowerCase()];
      return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
    },
    text: async () => {
      const parts: Buffer[] = [];
      for await (const chunk of stream()) parts.push(chunk as Buffer);
      return Buffer.concat(parts).toString('utf8');
    },
    chunks: () => stream(),
  };
}

/** node:https with one keep-alive agent for every request of the connection. */
export function httpsTransport(ca: string): KubeTransport {
  const agent = new Agent({ keepAlive: true, ca });
  return ({ method, url, headers, body, signal }) =>
    new Promise((resolve, reject) => {
      const outgoing = request(
        url,
        {
          method,
          agent,
          signal,
          headers: {
            ...headers,
            'accept-encoding': 'gzip',
            ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}),
          },
        },
        // The body is decoded when it is read, so a bad encoding is the reader's error.
        (response) => resolve(answerOf(response)),
      );
      outgoing.on('error', reject);
      outgoing.end(body);
    });
}

export type DispatchedTransport = (
  request: KubeRequest,
  dispatcher: Dispatcher | undefined,
) => Promise<KubeAnswer>;

/** undici's fetch, through the dispatcher a kubeconfig's credentials came with. */
export async function undiciTransport(): Promise<DispatchedTransport> {
  const { fetch } = await import('undici');
  return async ({ method, url, headers, body, signal }, dispatcher) => {
    const response = await fetch(url, {
      method,
      headers,
      signal,
      ...(dispatcher ? { dispatcher } : {}),
      ...(body !== undefined ? { body } : {}),
    });
    return {
      status: response.status,
      header: (name) => response.headers.get(name),
      text: () => response.text(),
      chunks: () => response.body ?? (async function* () {})(),
    };
  };
}
