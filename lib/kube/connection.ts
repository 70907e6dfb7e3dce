/**
 * Where the cluster is and how a request proves who it is. In a pod, the service account's
 * projected token and CA with KUBERNETES_SERVICE_HOST/PORT, as client-go's rest.InClusterConfig
 * does it, without @kubernetes/client-node (its model bundle alone is 868 modules and tens of
 * MiB of a pod's memory). A kubeconfig file loads client-node, which knows every auth provider a
 * kubeconfig may name (exec plugins, OIDC, client certificates).
 */
import { X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Env } from '../config/env.js';
import { readNamedFileSync } from '../config/named-file.js';
import { kubeconfigCredentials } from './kubeconfig-credentials.js';
import { httpsTransport, type KubeAnswer, type KubeRequest, undiciTransport } from './transport.js';

export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/**
 * How long a read token is used before the file is read again: the kubelet rotates projected
 * tokens well before they expire (at 80% of their life, at least an hour), and client-go's
 * cached file token source re-reads once a minute too.
 */
export const TOKEN_REREAD_MS = 60_000;

export interface ClusterConnection {
  /** The API server's base URL. */
  readonly server: string;
  /** Where it came from, for the log: a kubeconfig path or "in-cluster service account". */
  readonly source: string;
  /** One request, with the connection's credentials and transport. */
  send(request: KubeRequest): Promise<KubeAnswer>;
  /** The API answered 401: the credentials are read again before the next request. */
  rejected(): void;
}

/** TLS takes a CA bundle without a certificate in it and fails every handshake later; we fail now. */
function checkCertificates(path: string, pem: string): void {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) throw new Error(`in-cluster CA "${path}": no PEM certificate in the file`);
  for (const [index, block] of blocks.entries()) {
    try {
      new X509Certificate(block);
    } catch (error) {
      throw new Error(`in-cluster CA "${path}": certificate ${index + 1}: ${(error as Error).message}`);
    }
  }
}

/** The service account's token, read again once a minute and after the API refuses it. */
class TokenFile {
  readonly #path: string;
  readonly #rereadMs: number;
  readonly #now: () => number;
  #token = '';
  #readAt = Number.NEGATIVE_INFINITY;

  constructor(path: string, rereadMs: number, now: () => number) {
    this.#path = path;
    this.#rereadMs = rereadMs;
    this.#now = now;
  }

  current(): string {
    if (this.#now() - this.#readAt >= this.#rereadMs) {
      const token = readNamedFileSync(this.#path, 'in-cluster token').toString('utf8').trim();
      if (token === '') throw new Error(`in-cluster token "${this.#path}": the file is empty`);
      this.#token = token;
      this.#readAt = this.#now();
    }
    return this.#token;
  }

  expire(): void {
    this.#readAt = Number.NEGATIVE_INFINITY;
  }
}

export interface InClusterOptions {
  readonly serviceAccountDir?: string;
  readonly tokenRereadMs?: number;
  readonly now?: () => number;
}

/**
 * The in-cluster connection; throws naming what is missing, as rest.InClusterConfig does. The CA
 * is read once (a pod restarts on a cluster CA rotation); the token as it rotates.
 */
export function inClusterConnection(env: Env, options: InClusterOptions = {}): ClusterConnection {
  const dir = options.serviceAccountDir ?? SERVICE_ACCOUNT_DIR;
  const host = env.KUBERNETES_SERVICE_HOST ?? '';
  const port = env.KUBERNETES_SERVICE_PORT ?? '';
  if (host === '' || port === '') {
    throw new Error(
      'in-cluster configuration: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must both be set',
    );
  }
  if (!/^\d{1,5}$/.test(port) || Number(port) > 65535) {
    throw new Error(`in-cluster configuration: KUBERNETES_SERVICE_PORT "${port}" is not a port`);
  }
  const token = new TokenFile(
    join(dir, 'token'),
    options.tokenRereadMs ?? TOKEN_REREAD_MS,
    options.now ?? Date.now,
  );
  token.current(); // an unreadable token is an error at start, not at the first request
  const caPath = join(dir, 'ca.crt');
  const ca = readNamedFileSync(caPath, 'in-cluster CA').toString('utf8');
  checkCertificates(caPath, ca);
  const transport = httpsTransport(ca);
  return {
    server: `https://${host.includes(':') ? `[${host}]` : host}:${port}`,
    source: 'in-cluster service account',
    send: (request) =>
      transport({ ...request, headers: { ...request.headers, authorization: `Bearer ${token.current()}` } }),
    rejected: () => token.expire(),
  };
}

/** A kubeconfig file through @kubernetes/client-node, loaded only now. */
async function kubeconfigConnection(path: string, field: string): Promise<ClusterConnection> {
  const { KubeConfig } = await import('@kubernetes/client-node');
  const config = new KubeConfig();
  try {
    config.loadFromFile(path);
  } catch (error) {
    throw new Error(`${field} "${path}": cannot load: ${(error as Error).message}`);
  }
  const cluster = config.getCurrentCluster();
  if (!cluster) throw new Error(`${field} "${path}": no current cluster in the kubeconfig`);
  const transport = await undiciTransport();
  const credentials = await kubeconfigCredentials(config);
  return {
    server: cluster.server,
    source: path,
    send: async (request) => {
      const { headers, dispatcher } = await credentials();
      return transport({ ...request, headers: { ...request.headers, ...headers } }, dispatcher);
    },
    rejected: () => {},
  };
}

/**
 * The cluster from `kubernetes.kubeconfig`, else KUBECONFIG (its first file), else the in-cluster
 * service account, else ~/.kube/config; undefined when there is none.
 */
export async function connectCluster(
  kubeconfig: string,
  env: Env,
  options: InClusterOptions = {},
): Promise<ClusterConnection | undefined> {
  if (kubeconfig !== '') return kubeconfigConnection(kubeconfig, 'kubernetes.kubeconfig');
  const fromEnv = env.KUBECONFIG?.split(':').find((path) => path !== '');
  if (fromEnv) return kubeconfigConnection(fromEnv, 'KUBECONFIG');
  const dir = options.serviceAccountDir ?? SERVICE_ACCOUNT_DIR;
  if (env.KUBERNETES_SERVICE_HOST && existsSync(join(dir, 'token'))) return inClusterConnection(env, options);
  const home = env.HOME ? join(env.HOME, '.kube', 'config') : undefined;
  if (home && existsSync(home)) return kubeconfigConnection(home, '~/.kube/config');
  return undefined;
}
