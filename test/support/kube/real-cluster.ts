/**
 * A real cluster control plane for tests: etcd and kube-apiserver (test/peers, built from their Go
 * modules) on loopback, with a CA, serving and admin certificates and a service-account signing
 * key made for it, `--authorization-mode=RBAC`. No controller-manager, scheduler or kubelet runs:
 * tests create nodes and pods themselves and write their status as a kubelet would, and
 * `namespace()` creates the namespace's `default` ServiceAccount (the controller-manager's job).
 */
import { type ChildProcess, execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { eventually } from '../http.js';
import { freePorts, startProcess, stopProcess, waitFor } from '../peer-process.js';
import { peerPath } from '../peers.js';
import { writeServiceAccountFiles } from './service-account.js';

const SERVICE_ACCOUNT_ISSUER = 'https://kubernetes.default.svc.cluster.local';

export interface ApiResponse {
  readonly status: number;
  // biome-ignore lint/suspicious/noExplicitAny: API objects are walked by known keys in tests
  readonly body: any;
  readonly text: string;
}

interface Credentials {
  readonly ca: string;
  readonly cert?: string;
  readonly key?: string;
  readonly token?: string;
}

export class RealCluster {
  private apiServer: ChildProcess | undefined;

  private constructor(
    private readonly dir: string,
    private readonly etcd: ChildProcess,
    private readonly etcdUrl: string,
    readonly port: number,
    private readonly admin: Credentials,
    /** An admin (system:masters) kubeconfig, with a client certificate. */
    readonly kubeconfigPath: string,
    private readonly apiServerArgs: readonly string[],
  ) {}

  get server(): string {
    return `https://127.0.0.1:${this.port}`;
  }

  static async start(): Promise<RealCluster> {
    const dir = await mkdtemp(join(tmpdir(), 'ssm-real-cluster-'));
    const pki = makePki(dir);
    const [etcdClientPort, etcdPeerPort, port] = await freePorts(3);
    const etcdUrl = `http://127.0.0.1:${etcdClientPort}`;
    const etcd = startProcess(dir, 'etcd', peerPath('etcd'), [
      '--name=test',
      `--data-dir=${join(dir, 'etcd-data')}`,
      `--listen-client-urls=${etcdUrl}`,
      `--advertise-client-urls=${etcdUrl}`,
      `--listen-peer-urls=http://127.0.0.1:${etcdPeerPort}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeerPort}`,
      `--initial-cluster=test=http://127.0.0.1:${etcdPeerPort}`,
      // A test's etcd need not survive a power cut.
      '--unsafe-no-fsync',
      '--log-level=warn',
    ]);
    await waitFor(dir, 'etcd', etcd, 30_000, async () => {
      const response = await plainRequest('GET', `${etcdUrl}/health`);
      return response.status === 200 && response.body?.health === 'true';
    });
    const admin: Credentials = {
      ca: await readFile(pki.ca, 'utf8'),
      cert: await readFile(pki.adminCert, 'utf8'),
      key: await readFile(pki.adminKey, 'utf8'),
    };
    const kubeconfigPath = join(dir, 'admin.kubeconfig');
    await writeFile(kubeconfigPath, kubeconfig(`https://127.0.0.1:${port}`, admin, 'admin'));
    const apiServerArgs = [
      `--etcd-servers=${etcdUrl}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      // No kubernetes Service endpoints to keep: a loopback address may not be advertised in them.
      '--endpoint-reconciler-type=none',
      `--secure-port=${port}`,
      `--tls-cert-file=${pki.serverCert}`,
      `--tls-private-key-file=${pki.serverKey}`,
      `--client-ca-file=${pki.ca}`,
      '--authorization-mode=RBAC',
      `--service-account-issuer=${SERVICE_ACCOUNT_ISSUER}`,
      `--service-account-key-file=${pki.serviceAccountPublic}`,
      `--service-account-signing-key-file=${pki.serviceAccountKey}`,
      `--api-audiences=${SERVICE_ACCOUNT_ISSUER}`,
      '--service-cluster-ip-range=10.96.0.0/16',
      // Tests compact etcd themselves, when they mean to.
      '--etcd-compaction-interval=0',
      '--enable-priority-and-fairness=false',
      // The aggregation layer, for metrics.k8s.io served by a stand-in metrics-server. Routing to
      // the Service's endpoints: no kube-proxy here to reach a ClusterIP.
      `--requestheader-client-ca-file=${pki.ca}`,
      '--requestheader-allowed-names=front-proxy-client',
      '--requestheader-username-headers=X-Remote-User',
      '--requestheader-group-headers=X-Remote-Group',
      '--requestheader-extra-headers-prefix=X-Remote-Extra-',
      `--proxy-client-cert-file=${join(dir, 'front-proxy-client.crt')}`,
      `--proxy-client-key-file=${join(dir, 'front-proxy-client.key')}`,
      '--enable-aggregator-routing=true',
      '--profiling=false',
      `--cert-dir=${join(dir, 'apiserver-certs')}`,
    ];
    const cluster = new RealCluster(dir, etcd, etcdUrl, port, admin, kubeconfigPath, apiServerArgs);
    try {
      await cluster.startApiServer();
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  private async startApiServer(): Promise<void> {
    this.apiServer = startProcess(this.dir, 'kube-apiserver', peerPath('kube-apiserver'), [
      ...this.apiServerArgs,
    ]);
    await waitFor(this.dir, 'kube-apiserver', this.apiServer, 90_000, async () => {
      const response = await this.request('GET', '/readyz');
      return response.status === 200;
    });
  }

  /** Stops kube-apiserver (SIGTERM, as the kubelet does) and starts it again on the same port. */
  async restartApiServer(): Promise<void> {
    await stopProcess(this.apiServer);
    await this.startApiServer();
  }

  async stop(): Promise<void> {
    await stopProcess(this.apiServer);
    await stopProcess(this.etcd);
    await rm(this.dir, { recursive: true, force: true });
  }

  /** A request as the admin, or with `credentials` (a token) when given. */
  request(
    method: string,
    path: string,
    body?: unknown,
    options: { contentType?: string; token?: string } = {},
  ): Promise<ApiResponse> {
    const credentials = options.token ? { ca: this.admin.ca, token: options.token } : this.admin;
    return apiRequest(this.port, credentials, method, path, body, options.contentType);
  }

  /** POSTs `object` to `path` (a collection) and returns what the server stored. */
  async create(path: string, object: unknown): Promise<ApiResponse['body']> {
    return expectOk(await this.request('POST', path, object), `POST ${path}`);
  }

  async get(path: string): Promise<ApiResponse['body']> {
    return expectOk(await this.request('GET', path), `GET ${path}`);
  }

  /** A merge patch of `path` (a `/status` path writes status, as a kubelet does). */
  async patch(path: string, patch: unknown): Promise<ApiResponse['body']> {
    return expectOk(
      await this.request('PATCH', path, patch, { contentType: 'application/merge-patch+json' }),
      `PATCH ${path}`,
    );
  }

  async delete(path: string): Promise<void> {
    const response = await this.request('DELETE', path);
    if (response.status !== 404) expectOk(response, `DELETE ${path}`);
  }

  /**
   * Serves a custom resource type: a CRD with a schema that keeps any field (and no status
   * subresource, so a test may write status on create), once it is Established and served.
   */
  async serveCustomResource(type: {
    group: string;
    version: string;
    resource: string;
    kind: string;
    namespaced: boolean;
  }): Promise<void> {
    const name = `${type.resource}.${type.group}`;
    await this.createIfAbsent('/apis/apiextensions.k8s.io/v1/customresourcedefinitions', {
      metadata: { name },
      spec: {
        group: type.group,
        scope: type.namespaced ? 'Namespaced' : 'Cluster',
        names: {
          plural: type.resource,
          singular: type.kind.toLowerCase(),
          kind: type.kind,
          listKind: `${type.kind}List`,
        },
        versions: [
          {
            name: type.version,
            served: true,
            storage: true,
            schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
          },
        ],
      },
    });
    await this.#untilOk(`/apis/${type.group}/${type.version}/${type.resource}`, 20_000, `CRD ${name} served`);
  }

  /**
   * Registers an aggregated API server for metrics.k8s.io/v1beta1 at `host:port` (as
   * metrics-server is registered: an APIService, a Service and its endpoints) and waits until the
   * aggregator reports it Available and proxies to it. The host may not be loopback: endpoints
   * refuse 127.0.0.0/8.
   */
  async serveNodeMetrics(host: string, port: number): Promise<void> {
    const namespace = 'kube-system';
    const name = 'metrics-server';
    await this.createIfAbsent(`/api/v1/namespaces/${namespace}/services`, {
      metadata: { name },
      spec: { ports: [{ name: 'https', port: 443, targetPort: port, protocol: 'TCP' }] },
    });
    await this.createIfAbsent(`/apis/discovery.k8s.io/v1/namespaces/${namespace}/endpointslices`, {
      metadata: { name: `${name}-stand-in`, labels: { 'kubernetes.io/service-name': name } },
      addressType: 'IPv4',
      endpoints: [{ addresses: [host], conditions: { ready: true } }],
      ports: [{ name: 'https', port, protocol: 'TCP' }],
    });
    await this.createIfAbsent(`/api/v1/namespaces/${namespace}/endpoints`, {
      metadata: { name },
      subsets: [{ addresses: [{ ip: host }], ports: [{ name: 'https', port, protocol: 'TCP' }] }],
    });
    await this.createIfAbsent('/apis/apiregistration.k8s.io/v1/apiservices', {
      metadata: { name: 'v1beta1.metrics.k8s.io' },
      spec: {
        service: { namespace, name, port: 443 },
        group: 'metrics.k8s.io',
        version: 'v1beta1',
        // The stand-in's certificate is self-signed, as a metrics-server's often is.
        insecureSkipTLSVerify: true,
        groupPriorityMinimum: 100,
        versionPriority: 100,
      },
    });
    await this.#untilOk('/apis/metrics.k8s.io/v1beta1/nodes', 30_000, 'metrics.k8s.io served', async () => {
      const service = await this.request(
        'GET',
        '/apis/apiregistration.k8s.io/v1/apiservices/v1beta1.metrics.k8s.io',
      );
      return `APIService status ${JSON.stringify(service.body?.status)}`;
    });
  }

  /** Polls GET `path` until it answers 200; the last answer and `context()` in the error if not. */
  async #untilOk(path: string, timeoutMs: number, what: string, context = async () => ''): Promise<void> {
    let last: ApiResponse | undefined;
    await eventually(
      async () => {
        last = await this.request('GET', path);
        return last.status === 200 ? true : undefined;
      },
      timeoutMs,
      what,
    ).catch(async (error: Error) => {
      throw new Error(`${error.message}; last answer ${last?.status} ${last?.text}; ${await context()}`);
    });
  }

  /** A namespace and its `default` ServiceAccount, which admission requires of every pod. */
  async namespace(name: string): Promise<void> {
    await this.createIfAbsent('/api/v1/namespaces', { metadata: { name } });
    await this.createIfAbsent(`/api/v1/namespaces/${name}/serviceaccounts`, {
      metadata: { name: 'default' },
    });
  }

  async createIfAbsent(path: string, object: unknown): Promise<void> {
    const response = await this.request('POST', path, object);
    if (response.status !== 409) expectOk(response, `POST ${path}`);
  }

  /** A ServiceAccount token from the TokenRequest API, as the kubelet mounts into a pod. */
  async serviceAccountToken(
    namespace: string,
    name: string,
    { audiences = [SERVICE_ACCOUNT_ISSUER], expirationSeconds = 3600 } = {},
  ): Promise<string> {
    await this.createIfAbsent(`/api/v1/namespaces/${namespace}/serviceaccounts`, { metadata: { name } });
    const review = await this.create(`/api/v1/namespaces/${namespace}/serviceaccounts/${name}/token`, {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: { audiences, expirationSeconds },
    });
    return review.status.token as string;
  }

  /** A kubeconfig that authenticates as the ServiceAccount with a freshly minted token. */
  async serviceAccountKubeconfig(namespace: string, name: string): Promise<string> {
    const token = await this.serviceAccountToken(namespace, name);
    const path = join(this.dir, `${namespace}-${name}.kubeconfig`);
    await writeFile(path, kubeconfig(this.server, { ca: this.admin.ca, token }, `${namespace}-${name}`));
    return path;
  }

  /**
   * What the kubelet projects into a pod of the ServiceAccount (a fresh token, the cluster CA,
   * the namespace) written into a new directory, and the environment the pod gets.
   */
  async serviceAccountFiles(namespace: string, name: string) {
    const token = await this.serviceAccountToken(namespace, name);
    const dir = join(this.dir, `${namespace}-${name}.serviceaccount`);
    await writeServiceAccountFiles(dir, { token, ca: this.admin.ca, namespace });
    return {
      dir,
      env: { KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: String(this.port) },
    };
  }

  /** Compacts etcd's history up to now, so that older resourceVersions answer 410 Gone. */
  async compact(): Promise<number> {
    const range = await plainRequest('POST', `${this.etcdUrl}/v3/kv/range`, { key: 'AA==', limit: 1 });
    const revision = Number(range.body?.header?.revision);
    if (!Number.isSafeInteger(revision)) throw new Error(`etcd answered no revision: ${range.text}`);
    const compaction = await plainRequest('POST', `${this.etcdUrl}/v3/kv/compaction`, {
      revision: String(revision),
      physical: true,
    });
    if (compaction.status !== 200) throw new Error(`etcd compaction failed: ${compaction.text}`);
    return revision;
  }
}

function expectOk(response: ApiResponse, what: string): ApiResponse['body'] {
  if (response.status < 200 || response.status > 299) {
    throw new Error(`${what}: ${response.status} ${response.text.slice(0, 500)}`);
  }
  return response.body;
}

interface Pki {
  ca: string;
  serverCert: string;
  serverKey: string;
  adminCert: string;
  adminKey: string;
  serviceAccountKey: string;
  serviceAccountPublic: string;
}

/** The cluster's certificates and keys, made with openssl (EC keys: quick to generate). */
function makePki(dir: string): Pki {
  const at = (name: string) => join(dir, name);
  const openssl = (...args: string[]) =>
    execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const key = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(
    'req',
    '-x509',
    ...key,
    '-subj',
    '/CN=ssm-test-ca',
    '-keyout',
    at('ca.key'),
    '-out',
    at('ca.crt'),
    '-days',
    '2',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  );
  const signed = (name: string, subject: string, extensions: string[]) =>
    openssl(
      'req',
      '-x509',
      ...key,
      '-subj',
      subject,
      '-keyout',
      at(`${name}.key`),
      '-out',
      at(`${name}.crt`),
      '-days',
      '2',
      '-CA',
      at('ca.crt'),
      '-CAkey',
      at('ca.key'),
      ...extensions.flatMap((e) => ['-addext', e]),
    );
  signed('server', '/CN=kube-apiserver', [
    'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes.default.svc',
    'extendedKeyUsage=serverAuth',
  ]);
  // system:masters: the group bootstrap RBAC binds to cluster-admin.
  signed('admin', '/O=system:masters/CN=ssm-test-admin', ['extendedKeyUsage=clientAuth']);
  // What the aggregator presents to an aggregated API server (metrics.k8s.io).
  signed('front-proxy-client', '/CN=front-proxy-client', ['extendedKeyUsage=clientAuth']);
  openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-out', at('sa.key'));
  openssl('pkey', '-in', at('sa.key'), '-pubout', '-out', at('sa.pub'));
  return {
    ca: at('ca.crt'),
    serverCert: at('server.crt'),
    serverKey: at('server.key'),
    adminCert: at('admin.crt'),
    adminKey: at('admin.key'),
    serviceAccountKey: at('sa.key'),
    serviceAccountPublic: at('sa.pub'),
  };
}

function kubeconfig(server: string, credentials: Credentials, user: string): string {
  const b64 = (text: string) => Buffer.from(text).toString('base64');
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'real', cluster: { server, 'certificate-authority-data': b64(credentials.ca) } }],
    users: [
      {
        name: user,
        user: credentials.token
          ? { token: credentials.token }
          : {
              'client-certificate-data': b64(credentials.cert ?? ''),
              'client-key-data': b64(credentials.key ?? ''),
            },
      },
    ],
    contexts: [{ name: 'real', context: { cluster: 'real', user } }],
    'current-context': 'real',
  });
}

function parse(text: string): ApiResponse['body'] {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function apiRequest(
  port: number,
  credentials: Credentials,
  method: string,
  path: string,
  body: unknown,
  contentType = 'application/json',
): Promise<ApiResponse> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        host: '127.0.0.1',
        port,
        path,
        method,
        ca: credentials.ca,
        ...(credentials.cert ? { cert: credentials.cert, key: credentials.key } : {}),
        agent: false,
        headers: {
          accept: 'application/json',
          ...(payload ? { 'content-type': contentType } : {}),
          ...(credentials.token ? { authorization: `Bearer ${credentials.token}` } : {}),
        },
      },
      (res) => collect(res, resolve, reject),
    );
    req.on('error', reject);
    req.end(payload);
  });
}

function plainRequest(method: string, url: string, body?: unknown): Promise<ApiResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, agent: false }, (res) => collect(res, resolve, reject));
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

function collect(
  res: import('node:http').IncomingMessage,
  resolve: (response: ApiResponse) => void,
  reject: (error: Error) => void,
): void {
  const chunks: Buffer[] = [];
  res.on('data', (chunk: Buffer) => chunks.push(chunk));
  res.on('end', () => {
    const text = Buffer.concat(chunks).toString('utf8');
    resolve({ status: res.statusCode ?? 0, body: parse(text), text });
  });
  res.on('error', reject);
}
