/**
 * An in-process Kubernetes API server for tests, reached over HTTPS through a kubeconfig file
 * exactly as a real cluster is. It keeps objects with a global resourceVersion and an event log,
 * and serves list (with limit/continue), watch (chunked JSON events, bookmarks, 410 on compacted
 * versions), label and field selectors, namespaced, cluster-scoped and custom resources, create/
 * update/delete with optimistic concurrency, TokenReview, SubjectAccessReview and discovery.
 * Tests can drop watches, compact history, fail requests and restart it.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzip } from 'node:zlib';
import { localhostPair } from '../certificates.js';
import { tokenKubeconfig } from './kubeconfig.js';
import { fieldMatcher, labelMatcher } from './selectors.js';
import { writeServiceAccountFiles } from './service-account.js';

/** kube-apiserver's defaultGzipThresholdBytes. */
const GZIP_THRESHOLD_BYTES = 128 * 1024;
/** kube-apiserver's defaultGzipContentEncodingLevel (BestSpeed). */
const GZIP_LEVEL = 1;

export interface ResourceType {
  readonly group: string;
  readonly version: string;
  readonly resource: string;
  readonly kind: string;
  readonly namespaced: boolean;
}

export const BUILTIN_RESOURCES: readonly ResourceType[] = [
  { group: '', version: 'v1', resource: 'pods', kind: 'Pod', namespaced: true },
  { group: '', version: 'v1', resource: 'nodes', kind: 'Node', namespaced: false },
  { group: '', version: 'v1', resource: 'namespaces', kind: 'Namespace', namespaced: false },
  { group: '', version: 'v1', resource: 'services', kind: 'Service', namespaced: true },
  { group: '', version: 'v1', resource: 'endpoints', kind: 'Endpoints', namespaced: true },
  { group: '', version: 'v1', resource: 'secrets', kind: 'Secret', namespaced: true },
  { group: '', version: 'v1', resource: 'events', kind: 'Event', namespaced: true },
  { group: 'apps', version: 'v1', resource: 'deployments', kind: 'Deployment', namespaced: true },
  { group: 'coordination.k8s.io', version: 'v1', resource: 'leases', kind: 'Lease', namespaced: true },
  { group: 'metrics.k8s.io', version: 'v1beta1', resource: 'nodes', kind: 'NodeMetrics', namespaced: false },
];

/** KubeBlocks' Cluster CRD (v1alpha1), which tests and benches of the database instrument serve. */
export const KUBEBLOCKS_CLUSTERS: ResourceType = {
  group: 'apps.kubeblocks.io',
  version: 'v1alpha1',
  resource: 'clusters',
  kind: 'Cluster',
  namespaced: true,
};

export type KubeObject = {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    resourceVersion?: string;
    uid?: string;
    labels?: Record<string, string>;
    [key: string]: unknown;
  };
  [key: string]: unknown;
};

type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

interface StoredEvent {
  readonly rv: number;
  readonly type: EventType;
  readonly typeKey: string;
  readonly object: KubeObject;
  readonly previous?: KubeObject;
}

interface WatchStream {
  readonly typeKey: string;
  readonly namespace: string | undefined;
  readonly matches: (object: KubeObject) => boolean;
  readonly res: ServerResponse;
}

export interface Fault {
  /** How many matching requests fail; then the fault is gone. */
  count: number;
  readonly status: number;
  readonly retryAfterSeconds?: number;
  readonly match?: (method: string, path: string, watch: boolean) => boolean;
}

export interface Identity {
  readonly username: string;
  readonly groups: readonly string[];
}

export interface ApiServerOptions {
  /** Bearer token the server requires; clients get it through the kubeconfig. */
  readonly token?: string;
  readonly bookmarkIntervalMs?: number;
  /** The address to listen on: 127.0.0.1 unless a real API server must reach it (see serveNodeMetrics). */
  readonly host?: string;
}

const apiVersionOf = (type: ResourceType) =>
  type.group === '' ? type.version : `${type.group}/${type.version}`;
const typeKeyOf = (type: ResourceType) => `${type.group}/${type.version}/${type.resource}`;
const objectKey = (object: KubeObject) => `${object.metadata.namespace ?? ''}/${object.metadata.name}`;
const clone = <T>(value: T): T => structuredClone(value);

let certificate: Promise<{ cert: string; key: string }> | undefined;
/** One self-signed certificate for 127.0.0.1 per test process: key generation is slow. */
function serverCertificate() {
  certificate ??= localhostPair('kube-apiserver');
  return certificate;
}

interface StatusDetails {
  readonly name: string;
  readonly group?: string;
  readonly kind: string;
}

/** A Status body as kube-apiserver writes it; `details` for errors about one object. */
function status(code: number, reason: string, message: string, details?: StatusDetails) {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    ...(details ? { details } : {}),
    code,
  };
}

/** How kube-apiserver names a resource in messages: `pods`, `leases.coordination.k8s.io`. */
const qualified = (type: ResourceType) => (type.group ? `${type.resource}.${type.group}` : type.resource);
const detailsOf = (type: ResourceType, name: string): StatusDetails => ({
  name,
  ...(type.group ? { group: type.group } : {}),
  kind: type.resource,
});

export class TestApiServer {
  readonly types = new Map<string, ResourceType>();
  /** Bearer tokens TokenReview accepts, and who they are. */
  readonly tokens = new Map<string, Identity>();
  /** Tokens TokenReview refuses as expired (a bound service-account token past its expiry). */
  readonly expiredTokens = new Set<string>();
  /** SubjectAccessReview: which user may do which verb on which non-resource URL. */
  readonly nonResourceGrants: { user: string; verb: string; path: string }[] = [];
  /** Every request, for assertions: `GET /api/v1/pods?watch=true`. */
  readonly requests: string[] = [];
  /** When each of `requests` arrived (Date.now()). */
  readonly requestTimes: number[] = [];
  readonly faults: Fault[] = [];
  readonly #objects = new Map<string, Map<string, KubeObject>>();
  readonly #events: StoredEvent[] = [];
  readonly #watches = new Set<WatchStream>();
  readonly #sockets = new Set<Socket>();
  /** Each store's keys in list order, kept until a key comes or goes (a page is a slice of it). */
  readonly #sortedKeys = new WeakMap<Map<string, KubeObject>, string[]>();
  #accepted = 0;
  readonly #options: ApiServerOptions;
  #server: Server | undefined;
  #port = 0;
  #rv = 0;
  /** Watches from before this resourceVersion get 410 Gone. */
  #floor = 0;
  /** Continue tokens from before this resourceVersion get 410 Gone. */
  #continueFloor = 0;
  #listDelayMs = 0;
  #listDelayResource: string | undefined;
  /** Answers sent gzipped, so that a test can tell its client took that path. */
  gzippedAnswers = 0;
  /** A misbehaving proxy in front: every watch ends right after it starts. */
  endWatchesAtOnce = false;
  #dir = '';

  private constructor(options: ApiServerOptions) {
    this.#options = options;
    for (const type of BUILTIN_RESOURCES) this.registerType(type);
  }

  static async start(options: ApiServerOptions = {}): Promise<TestApiServer> {
    const server = new TestApiServer({ token: 'test-admin-token', bookmarkIntervalMs: 1000, ...options });
    server.#dir = await mkdtemp(join(tmpdir(), 'ssm-kube-'));
    await server.#listen(0);
    await server.writeKubeconfig();
    return server;
  }

  get url(): string {
    return `https://${this.#options.host ?? '127.0.0.1'}:${this.#port}`;
  }

  get port(): number {
    return this.#port;
  }

  get kubeconfigPath(): string {
    return join(this.#dir, 'kubeconfig');
  }

  get resourceVersion(): number {
    return this.#rv;
  }

  /**
   * Writes a kubeconfig for this server (CA, token), optionally under another user's token, or
   * reaching it through a proxy on `viaPort` (the certificate names 127.0.0.1, so TLS passes).
   */
  async writeKubeconfig(options: { path?: string; token?: string; viaPort?: number } = {}): Promise<string> {
    const { path = this.kubeconfigPath, token = this.#options.token ?? '', viaPort } = options;
    const server = viaPort === undefined ? this.url : `https://127.0.0.1:${viaPort}`;
    const { cert } = await serverCertificate();
    const yaml = tokenKubeconfig({ server, ca: cert, token });
    await writeFile(path, yaml);
    return path;
  }

  /**
   * Writes what the kubelet projects into a pod for its service account (`token`, `ca.crt`,
   * `namespace`) into `dir`, and returns the environment a pod gets: the in-cluster connection.
   */
  async writeServiceAccount(
    dir: string,
    token = this.#options.token ?? '',
  ): Promise<{ KUBERNETES_SERVICE_HOST: string; KUBERNETES_SERVICE_PORT: string }> {
    const { cert } = await serverCertificate();
    await writeServiceAccountFiles(dir, { token, ca: cert, namespace: 'default' });
    return {
      KUBERNETES_SERVICE_HOST: this.#options.host ?? '127.0.0.1',
      KUBERNETES_SERVICE_PORT: String(this.#port),
    };
  }

  registerType(type: ResourceType): void {
    this.types.set(typeKeyOf(type), type);
    if (!this.#objects.has(typeKeyOf(type))) this.#objects.set(typeKeyOf(type), new Map());
  }

  #type(resource: string, group = '', version?: string): ResourceType {
    for (const type of this.types.values()) {
      if (
        type.resource === resource &&
        type.group === group &&
        (version === undefined || type.version === version)
      )
        return type;
    }
    throw new Error(`no resource type ${group}/${resource}`);
  }

  // --- Mutations, from tests or over HTTP -------------------------------------------------

  #record(type: ResourceType, eventType: EventType, object: KubeObject, previous?: KubeObject): KubeObject {
    this.#rv += 1;
    object.metadata.resourceVersion = String(this.#rv);
    object.apiVersion = apiVersionOf(type);
    object.kind = type.kind;
    const event: StoredEvent = {
      rv: this.#rv,
      type: eventType,
      typeKey: typeKeyOf(type),
      object: clone(object),
      ...(previous ? { previous } : {}),
    };
    this.#events.push(event);
    for (const watch of this.#watches) this.#deliver(watch, event);
    return clone(object);
  }

  create(resource: string, input: KubeObject, group = ''): KubeObject {
    const type = this.#type(resource, group);
    const store = this.#objects.get(typeKeyOf(type)) as Map<string, KubeObject>;
    const object = clone(input);
    if (!type.namespaced) delete object.metadata.namespace;
    else object.metadata.namespace ??= 'default';
    if (store.has(objectKey(object)))
      throw new ConflictError(
        `${qualified(type)} "${object.metadata.name}" already exists`,
        'AlreadyExists',
        detailsOf(type, object.metadata.name),
      );
    object.metadata.uid ??= randomUUID();
    object.metadata.creationTimestamp ??= new Date().toISOString();
    store.set(objectKey(object), object);
    this.#sortedKeys.delete(store);
    return this.#record(type, 'ADDED', object);
  }

  /** Replaces an object; with `expectedVersion`, only if it is still at that resourceVersion. */
  update(resource: string, input: KubeObject, group = '', expectedVersion?: string): KubeObject {
    const type = this.#type(resource, group);
    const store = this.#objects.get(typeKeyOf(type)) as Map<string, KubeObject>;
    const object = clone(input);
    if (type.namespaced) object.metadata.namespace ??= 'default';
    const current = store.get(objectKey(object));
    if (!current)
      throw new NotFoundError(
        `${qualified(type)} "${object.metadata.name}" not found`,
        detailsOf(type, object.metadata.name),
      );
    if (
      expectedVersion !== undefined &&
      expectedVersion !== '' &&
      expectedVersion !== current.metadata.resourceVersion
    ) {
      throw new ConflictError(
        `Operation cannot be fulfilled on ${qualified(type)} "${object.metadata.name}": the object has been modified; please apply your changes to the latest version and try again`,
        'Conflict',
        detailsOf(type, object.metadata.name),
      );
    }
    object.metadata.uid = current.metadata.uid;
    object.metadata.creationTimestamp = current.metadata.creationTimestamp;
    store.set(objectKey(object), object);
    return this.#record(type, 'MODIFIED', object, clone(current));
  }

  remove(resource: string, namespace: string | undefined, name: string, group = ''): KubeObject {
    const type = this.#type(resource, group);
    const store = this.#objects.get(typeKeyOf(type)) as Map<string, KubeObject>;
    const key = `${type.namespaced ? (namespace ?? 'default') : ''}/${name}`;
    const current = store.get(key);
    if (!current) throw new NotFoundError(`${qualified(type)} "${name}" not found`, detailsOf(type, name));
    store.delete(key);
    this.#sortedKeys.delete(store);
    return this.#record(type, 'DELETED', clone(current));
  }

  /**
   * DELETE of a pod, as kube-apiserver does it: a pod on a node is only marked (deletionTimestamp,
   * a MODIFIED event) until its kubelet confirms, which no kubelet does here; a zero grace period,
   * an unscheduled or a finished pod is marked and then removed at once.
   */
  #deletePod(namespace: string | undefined, name: string, url: URL): KubeObject {
    const current = this.get('pods', namespace, name);
    if (!current) throw new NotFoundError(`pods "${name}" not found`, { name, kind: 'pods' });
    const requested = url.searchParams.get('gracePeriodSeconds');
    const spec = current.spec as { nodeName?: string; terminationGracePeriodSeconds?: number } | undefined;
    const phase = (current.status as { phase?: string } | undefined)?.phase;
    const immediate = !spec?.nodeName || phase === 'Succeeded' || phase === 'Failed';
    const grace = immediate ? 0 : Number(requested ?? spec?.terminationGracePeriodSeconds ?? 30);
    // A second DELETE may only shorten the grace period already granted.
    const granted = current.metadata.deletionGracePeriodSeconds as number | undefined;
    if (granted !== undefined && grace >= granted) return current;
    const marked = this.update('pods', {
      ...current,
      metadata: {
        ...current.metadata,
        deletionTimestamp: new Date(Date.now() + grace * 1000).toISOString().replace(/\.\d+Z$/, 'Z'),
        deletionGracePeriodSeconds: grace,
      },
    });
    return grace === 0 ? this.remove('pods', namespace, name) : marked;
  }

  get(resource: string, namespace: string | undefined, name: string, group = ''): KubeObject | undefined {
    const type = this.#type(resource, group);
    const object = this.#objects
      .get(typeKeyOf(type))
      ?.get(`${type.namespaced ? (namespace ?? 'default') : ''}/${name}`);
    return object ? clone(object) : undefined;
  }

  // --- Faults -------------------------------------------------------------------------------

  /**
   * Forgets history, as etcd compaction does: watches from before now get 410 Gone. Continue
   * tokens stay good, as kube-apiserver (1.34 and later) serves them from its watch cache's
   * snapshots; `continueTokens: true` expires them too, as a list served from etcd does (the
   * watch cache off, an older server, or a restart).
   */
  compact(options: { continueTokens?: boolean } = {}): void {
    this.#floor = this.#rv;
    if (options.continueTokens) this.#continueFloor = this.#rv;
    this.#events.length = 0;
  }

  /** Ends every open watch stream, as an API server restart or a load balancer would. */
  dropWatches(): void {
    for (const watch of this.#watches) watch.res.end();
    this.#watches.clear();
  }

  fail(fault: Fault): void {
    this.faults.push(fault);
  }

  /** Writes `line` as it is to every open watch of `resource`: malformed events, in the tests. */
  writeToWatches(resource: string, line: string): number {
    let written = 0;
    for (const watch of this.#watches) {
      if (!watch.typeKey.endsWith(`/${resource}`) || watch.res.writableEnded) continue;
      watch.res.write(line);
      written += 1;
    }
    return written;
  }

  /** Holds lists back `ms` before answering: every list, or one resource's (e.g. `pods`). */
  delayLists(ms: number, resource?: string): void {
    this.#listDelayMs = ms;
    this.#listDelayResource = resource;
  }

  /** TCP connections accepted since the start, for clients that should keep theirs. */
  get connectionsAccepted(): number {
    return this.#accepted;
  }

  get openWatches(): number {
    return this.#watches.size;
  }

  /** Stops listening (dropping every connection) and listens again on the same port. */
  async restart(options: { compact?: boolean; downMs?: number } = {}): Promise<void> {
    await this.#close();
    if (options.compact) this.compact({ continueTokens: true });
    if (options.downMs) await new Promise((resolve) => setTimeout(resolve, options.downMs));
    await this.#listen(this.#port);
  }

  async stop(): Promise<void> {
    await this.#close();
  }

  // --- HTTP ---------------------------------------------------------------------------------

  async #listen(port: number): Promise<void> {
    const { cert, key } = await serverCertificate();
    const server = createHttpsServer({ cert, key }, (req, res) => void this.#handle(req, res));
    server.on('connection', (socket: Socket) => {
      this.#sockets.add(socket);
      this.#accepted += 1;
      socket.on('close', () => this.#sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, this.#options.host ?? '127.0.0.1', () => resolve());
    });
    this.#server = server as unknown as Server;
    this.#port = (server.address() as AddressInfo).port;
  }

  async #close(): Promise<void> {
    this.dropWatches();
    const server = this.#server;
    this.#server = undefined;
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of this.#sockets) socket.destroy();
    await closed;
  }

  /**
   * As kube-apiserver answers (its responsewriters): gzipped when the client accepts gzip and
   * the body is at least 128 KiB; watch streams never are.
   */
  #send(res: ServerResponse, code: number, body: unknown, headers: Record<string, string> = {}): void {
    const text = Buffer.from(JSON.stringify(body));
    const write = (bytes: Buffer, gzipped: boolean) => {
      res.writeHead(code, {
        'content-type': 'application/json',
        'content-length': bytes.length,
        ...(gzipped ? { 'content-encoding': 'gzip', vary: 'Accept-Encoding' } : {}),
        ...headers,
      });
      res.end(bytes);
    };
    if (text.length < GZIP_THRESHOLD_BYTES || !/\bgzip\b/.test(res.req.headers['accept-encoding'] ?? '')) {
      write(text, false);
      return;
    }
    this.gzippedAnswers += 1;
    // In the thread pool, as kube-apiserver compresses on a goroutine of its own: a sync gzip of
    // each 1.4 MB page held this process's loop (the benchmarks' API server) 7 ms a page.
    gzip(text, { level: GZIP_LEVEL }, (error, bytes) => (error ? res.destroy(error) : write(bytes, true)));
  }

  async #body(req: IncomingMessage): Promise<KubeObject> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as KubeObject;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const method = req.method ?? 'GET';
    const watch = url.searchParams.get('watch') === 'true' || url.searchParams.get('watch') === '1';
    this.requests.push(`${method} ${url.pathname}${url.search}`);
    this.requestTimes.push(Date.now());
    try {
      if (this.#options.token && req.headers.authorization !== `Bearer ${this.#options.token}`) {
        return this.#send(res, 401, status(401, 'Unauthorized', 'Unauthorized'));
      }
      const fault = this.faults.find((f) => f.count > 0 && (f.match?.(method, url.pathname, watch) ?? true));
      if (fault) {
        fault.count -= 1;
        const headers: Record<string, string> = fault.retryAfterSeconds
          ? { 'retry-after': String(fault.retryAfterSeconds) }
          : {};
        return this.#send(
          res,
          fault.status,
          status(fault.status, 'InjectedFault', 'injected by the test'),
          headers,
        );
      }
      if (await this.#special(method, url, req, res)) return;
      const route = this.#route(url.pathname);
      if (!route)
        return this.#send(res, 404, status(404, 'NotFound', `the server could not find ${url.pathname}`));
      const { type, namespace, name } = route;
      if (method === 'GET' && watch) return this.#watch(type, namespace, url, res);
      if (method === 'GET' && name) {
        const object = this.get(type.resource, namespace, name, type.group);
        if (!object)
          return this.#send(
            res,
            404,
            status(404, 'NotFound', `${qualified(type)} "${name}" not found`, detailsOf(type, name)),
          );
        return this.#send(res, 200, object);
      }
      if (method === 'GET') return await this.#list(type, namespace, url, res);
      if (method === 'POST' && !name) {
        const body = await this.#body(req);
        if (type.namespaced) body.metadata.namespace = namespace ?? body.metadata.namespace;
        return this.#send(res, 201, this.create(type.resource, body, type.group));
      }
      if (method === 'PUT' && name) {
        const body = await this.#body(req);
        if (type.namespaced) body.metadata.namespace = namespace;
        return this.#send(
          res,
          200,
          this.update(type.resource, body, type.group, body.metadata.resourceVersion),
        );
      }
      if (method === 'DELETE' && name && type.group === '' && type.resource === 'pods')
        return this.#send(res, 200, this.#deletePod(namespace, name, url));
      if (method === 'DELETE' && name)
        return this.#send(res, 200, this.remove(type.resource, namespace, name, type.group));
      return this.#send(res, 405, status(405, 'MethodNotAllowed', `${method} is not supported here`));
    } catch (error) {
      if (error instanceof ApiError)
        return this.#send(res, error.code, status(error.code, error.reason, error.message, error.details));
      return this.#send(res, 500, status(500, 'InternalError', (error as Error).message));
    }
  }

  #route(pathname: string): { type: ResourceType; namespace?: string; name?: string } | undefined {
    const parts = pathname.split('/').filter((p) => p !== '');
    let group = '';
    let version: string;
    let rest: string[];
    if (parts[0] === 'api' && parts.length >= 3) {
      version = parts[1] as string;
      rest = parts.slice(2);
    } else if (parts[0] === 'apis' && parts.length >= 4) {
      group = parts[1] as string;
      version = parts[2] as string;
      rest = parts.slice(3);
    } else return undefined;
    let namespace: string | undefined;
    if (rest[0] === 'namespaces' && rest.length >= 3) {
      namespace = rest[1];
      rest = rest.slice(2);
    }
    const [resource, name] = rest;
    try {
      const type = this.#type(resource as string, group, version);
      return { type, ...(namespace ? { namespace } : {}), ...(name ? { name } : {}) };
    } catch {
      return undefined;
    }
  }

  #matcher(type: ResourceType, namespace: string | undefined, url: URL): (object: KubeObject) => boolean {
    let labels: ReturnType<typeof labelMatcher>;
    let fields: ReturnType<typeof fieldMatcher>;
    try {
      labels = labelMatcher(url.searchParams.get('labelSelector'));
      fields = fieldMatcher(url.searchParams.get('fieldSelector'));
    } catch (error) {
      // As kube-apiserver answers a selector it cannot parse.
      throw new ApiError(400, 'BadRequest', (error as Error).message);
    }
    return (object) =>
      (!type.namespaced || namespace === undefined || object.metadata.namespace === namespace) &&
      labels(object.metadata.labels) &&
      fields(object);
  }

  async #list(
    type: ResourceType,
    namespace: string | undefined,
    url: URL,
    res: ServerResponse,
  ): Promise<void> {
    // Unref'd: a list held back a minute must not keep the test process alive after the test.
    const delayed = this.#listDelayResource === undefined || this.#listDelayResource === type.resource;
    if (this.#listDelayMs > 0 && delayed)
      await new Promise((resolve) => setTimeout(resolve, this.#listDelayMs).unref());
    const matches = this.#matcher(type, namespace, url);
    const limit = Number(url.searchParams.get('limit') ?? '0');
    const token = url.searchParams.get('continue');
    let after = '';
    let listRv = this.#rv;
    if (token) {
      const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as {
        rv: number;
        after: string;
      };
      if (parsed.rv < this.#continueFloor) {
        return this.#send(
          res,
          410,
          status(
            410,
            'Expired',
            'The provided continue parameter is too old to display a consistent list result.',
          ),
        );
      }
      after = parsed.after;
      listRv = parsed.rv;
    }
    const store = this.#objects.get(typeKeyOf(type)) as Map<string, KubeObject>;
    let keys = this.#sortedKeys.get(store);
    if (!keys) {
      keys = [...store.keys()].sort();
      this.#sortedKeys.set(store, keys);
    }
    // The first key past `after`, then the page and a count of the matches left behind it.
    let low = 0;
    let high = keys.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((keys[middle] as string) <= after) low = middle + 1;
      else high = middle;
    }
    const page: KubeObject[] = [];
    let last = after;
    let remaining = 0;
    for (let index = low; index < keys.length; index++) {
      const object = store.get(keys[index] as string) as KubeObject;
      if (!matches(object)) continue;
      if (limit > 0 && page.length >= limit) remaining += 1;
      else {
        page.push(object);
        last = keys[index] as string;
      }
    }
    const more = remaining > 0;
    this.#send(res, 200, {
      kind: `${type.kind}List`,
      apiVersion: apiVersionOf(type),
      metadata: {
        resourceVersion: String(listRv),
        ...(more
          ? {
              continue: Buffer.from(JSON.stringify({ rv: listRv, after: last })).toString('base64url'),
              remainingItemCount: remaining,
            }
          : {}),
      },
      // Written at once (#send serializes before it returns), so the store's own objects.
      items: page,
    });
  }

  #watch(type: ResourceType, namespace: string | undefined, url: URL, res: ServerResponse): void {
    const fromParam = url.searchParams.get('resourceVersion');
    const from = fromParam ? Number(fromParam) : 0;
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    // As the API server does: the client sees the watch established before any event.
    res.flushHeaders();
    if (from !== 0 && from < this.#floor) {
      res.end(
        `${JSON.stringify({ type: 'ERROR', object: status(410, 'Expired', `too old resource version: ${from} (${this.#floor})`) })}\n`,
      );
      return;
    }
    if (this.endWatchesAtOnce) {
      res.end();
      return;
    }
    const stream: WatchStream = {
      typeKey: typeKeyOf(type),
      namespace,
      matches: this.#matcher(type, namespace, url),
      res,
    };
    if (from === 0) {
      const store = this.#objects.get(typeKeyOf(type)) as Map<string, KubeObject>;
      for (const object of store.values())
        if (stream.matches(object)) res.write(`${JSON.stringify({ type: 'ADDED', object })}\n`);
    } else {
      for (const event of this.#events) if (event.rv > from) this.#deliver(stream, event);
    }
    this.#watches.add(stream);
    let bookmarks: NodeJS.Timeout | undefined;
    if (url.searchParams.get('allowWatchBookmarks') === 'true') {
      bookmarks = setInterval(() => {
        // dropWatches() ends the response before its 'close' event clears this timer.
        if (res.writableEnded) return;
        const object = {
          kind: type.kind,
          apiVersion: apiVersionOf(type),
          metadata: { resourceVersion: String(this.#rv) },
        };
        res.write(`${JSON.stringify({ type: 'BOOKMARK', object })}\n`);
      }, this.#options.bookmarkIntervalMs);
    }
    const timeoutSeconds = Number(url.searchParams.get('timeoutSeconds') ?? '0');
    const timeout = timeoutSeconds > 0 ? setTimeout(() => res.end(), timeoutSeconds * 1000) : undefined;
    res.on('close', () => {
      clearInterval(bookmarks);
      clearTimeout(timeout);
      this.#watches.delete(stream);
    });
  }

  /** What a watcher sees of an event: an object moving in or out of its selector is ADDED or DELETED. */
  #deliver(stream: WatchStream, event: StoredEvent): void {
    if (event.typeKey !== stream.typeKey || stream.res.writableEnded) return;
    const now = stream.matches(event.object);
    const before = event.previous ? stream.matches(event.previous) : now;
    let type: string | undefined = event.type;
    if (event.type === 'MODIFIED' && now !== before) type = now ? 'ADDED' : 'DELETED';
    else if (!now) type = undefined;
    if (type) stream.res.write(`${JSON.stringify({ type, object: event.object })}\n`);
  }

  async #special(method: string, url: URL, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const path = url.pathname;
    if (method === 'POST' && path === '/apis/authentication.k8s.io/v1/tokenreviews') {
      const review = await this.#body(req);
      const token = String((review.spec as { token?: string })?.token ?? '');
      const identity = this.tokens.get(token);
      this.#send(res, 201, {
        ...review,
        status: identity
          ? { authenticated: true, user: { username: identity.username, groups: identity.groups } }
          : {
              authenticated: false,
              error: this.expiredTokens.has(token)
                ? 'service account token has expired'
                : 'invalid bearer token',
            },
      });
      return true;
    }
    if (method === 'POST' && path === '/apis/authorization.k8s.io/v1/subjectaccessreviews') {
      const review = await this.#body(req);
      const spec = review.spec as { user?: string; nonResourceAttributes?: { path?: string; verb?: string } };
      const allowed = this.nonResourceGrants.some(
        (grant) =>
          grant.user === spec.user &&
          grant.verb === spec.nonResourceAttributes?.verb &&
          grant.path === spec.nonResourceAttributes?.path,
      );
      this.#send(res, 201, { ...review, status: { allowed, ...(allowed ? {} : { reason: 'no grant' }) } });
      return true;
    }
    if (method !== 'GET') return false;
    if (path === '/version') {
      this.#send(res, 200, { major: '1', minor: '31', gitVersion: 'v1.31.0-test', platform: 'linux/amd64' });
      return true;
    }
    if (path === '/api') {
      this.#send(res, 200, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] });
      return true;
    }
    const types = [...this.types.values()];
    if (path === '/apis') {
      const groups = [
        ...new Set(types.filter((t) => t.group !== '').map((t) => `${t.group}/${t.version}`)),
      ].map((gv) => {
        const [name, version] = gv.split('/') as [string, string];
        const groupVersion = { groupVersion: gv, version };
        return { name, versions: [groupVersion], preferredVersion: groupVersion };
      });
      this.#send(res, 200, { kind: 'APIGroupList', apiVersion: 'v1', groups });
      return true;
    }
    const discovery = /^\/(?:api\/(v1)|apis\/([^/]+)\/([^/]+))$/.exec(path);
    if (discovery) {
      const group = discovery[2] ?? '';
      const version = discovery[1] ?? (discovery[3] as string);
      const resources = types
        .filter((t) => t.group === group && t.version === version)
        .map((t) => ({
          name: t.resource,
          singularName: '',
          namespaced: t.namespaced,
          kind: t.kind,
          verbs: ['create', 'delete', 'get', 'list', 'update', 'watch'],
        }));
      this.#send(res, 200, {
        kind: 'APIResourceList',
        apiVersion: 'v1',
        groupVersion: group ? `${group}/${version}` : version,
        resources,
      });
      return true;
    }
    return false;
  }
}

class ApiError extends Error {
  readonly code: number;
  readonly reason: string;
  readonly details: StatusDetails | undefined;
  constructor(code: number, reason: string, message: string, details?: StatusDetails) {
    super(message);
    this.code = code;
    this.reason = reason;
    this.details = details;
  }
}

export class ConflictError extends ApiError {
  constructor(message: string, reason: 'Conflict' | 'AlreadyExists', details?: StatusDetails) {
    super(409, reason, message, details);
  }
}

export class NotFoundError extends ApiError {
  constructor(message: string, details?: StatusDetails) {
    super(404, 'NotFound', message, details);
  }
}
