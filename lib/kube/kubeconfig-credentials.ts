/**
 * What a request through a kubeconfig carries: the headers @kubernetes/client-node's
 * authenticators give (tokens, exec plugins, OIDC, basic auth, impersonation) and a dispatcher
 * for its TLS identity (CA, client certificate, proxy).
 *
 * client-node builds a new undici Agent for every request it authenticates, so each request
 * opened a connection of its own (about 150 sockets held open by one process against a real
 * kube-apiserver, which also negotiated HTTP/2 with each). Like client-go's transport cache
 * (keyed by the TLS config), one dispatcher serves every request while the TLS material stays
 * the same, and it speaks HTTP/1.1 as the in-cluster path does: a watch holds one connection,
 * and undici's HTTP/2 was seen spinning in node's http2 SendPendingData with many sessions.
 */
import { createHash } from 'node:crypto';
import type { AgentOptions, RequestOptions } from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Dispatcher } from 'undici';

export interface KubeconfigCredentials {
  readonly headers: Record<string, string>;
  readonly dispatcher: Dispatcher;
}

/** The same TLS material gives the same key; a fingerprint, so no key material is kept as text. */
function fingerprintOf(value: unknown): string {
  const text = JSON.stringify(value, function (this: Record<string, unknown>, key, replaced) {
    const raw = this[key];
    return Buffer.isBuffer(raw) ? raw.toString('base64') : replaced;
  });
  return createHash('sha256').update(text).digest('hex');
}

function stringHeaders(headers: RequestOptions['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : String(value);
  }
  return out;
}

/** Credentials for each request of one kubeconfig, the dispatcher kept while its TLS material is. */
export async function kubeconfigCredentials(
  config: KubeConfig,
): Promise<() => Promise<KubeconfigCredentials>> {
  const { Agent } = await import('undici');
  const { RequestContext, HttpMethod } = await import('@kubernetes/client-node');
  // The promise is kept, not the dispatcher: requests that start together (every informer at
  // start) share the one being built, where client-node's is built after an await.
  let kept: { key: string; dispatcher: Promise<Dispatcher> } | undefined;

  const build = async (options: ReturnType<KubeConfig['createDispatcherOptions']>): Promise<Dispatcher> => {
    if (options.type === 'agent') return new Agent({ connect: options.connect, allowH2: false });
    if (options.type === 'none') {
      return new Agent({ connect: { keepAlive: true, keepAliveInitialDelay: 30_000 }, allowH2: false });
    }
    // Through a proxy (HTTP or SOCKS), client-node's own dispatcher: its connectors are its own.
    const context = new RequestContext(config.getCurrentCluster()?.server ?? '', HttpMethod.GET);
    await config.applySecurityAuthentication(context);
    const dispatcher = context.getDispatcher() as Dispatcher | undefined;
    if (!dispatcher) throw new Error(`kubeconfig: no dispatcher for the ${options.type} connection`);
    return dispatcher;
  };

  const dispatcherFor = (tls: AgentOptions): Promise<Dispatcher> => {
    const options = config.createDispatcherOptions(config.getCurrentCluster(), tls);
    const key = fingerprintOf(options);
    if (kept?.key === key) return kept.dispatcher;
    const replaced = kept?.dispatcher;
    const dispatcher = build(options);
    kept = { key, dispatcher };
    // A failed build (an exec plugin that failed once) is not kept: the next request tries again.
    dispatcher.catch(() => {
      if (kept?.dispatcher === dispatcher) kept = undefined;
    });
    // New TLS material (a rotated client certificate): requests in flight finish on the old one.
    replaced?.then((old) => old.close()).catch(() => {});
    return dispatcher;
  };

  return async () => {
    const options: RequestOptions = {};
    await config.applyToHTTPSOptions(options);
    const headers = stringHeaders(options.headers);
    // As applySecurityAuthentication: basic auth unless an authenticator set Authorization.
    if (
      typeof options.auth === 'string' &&
      !Object.keys(headers).some((name) => /^authorization$/i.test(name))
    ) {
      headers.Authorization = `Basic ${Buffer.from(options.auth).toString('base64')}`;
    }
    const tls: AgentOptions = { ca: options.ca, cert: options.cert, key: options.key, pfx: options.pfx };
    if (options.passphrase !== undefined) tls.passphrase = options.passphrase;
    if (options.rejectUnauthorized !== undefined) tls.rejectUnauthorized = options.rejectUnauthorized;
    if (options.servername !== undefined) tls.servername = options.servername;
    return { headers, dispatcher: await dispatcherFor(tls) };
  };
}
