/**
 * The main server: metrics, health, liveness and readiness, over HTTP or HTTPS. Paths follow the
 * running config; the listen address, TLS on/off and auth are fixed at start.
 */
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { FileWatch } from '../file-watch.js';
import type { Logger, LogHub } from '../log.js';
import type { Runtime } from '../runtime.js';
import { parseListenAddress } from './address.js';
import { TokenAuthorizer } from './auth.js';
import { guarded, sendText, serveHealth, serveMetrics } from './routes.js';
import { type CertificatePair, loadCertificatePair } from './tls.js';

export interface MetricsServerOptions {
  /** Settle time before re-reading rotated certificate files. */
  readonly certDebounceMs?: number;
  /** How long a connection may go without a byte either way before it is closed (tests shorten it). */
  readonly idleSocketMs?: number;
}

/**
 * A connection with no traffic either way for this long is closed: one that never sends a byte,
 * and a scraper that stops reading (its unread response would otherwise stay in memory). A scrape
 * being written is traffic; Prometheus' longest usual timeout is well below this.
 */
export const IDLE_SOCKET_MS = 60_000;

export class MetricsServer {
  readonly #server: Server | HttpsServer;
  readonly #logger: Logger;
  #certWatch: FileWatch | undefined;
  #certificate: CertificatePair | undefined;

  private constructor(server: Server | HttpsServer, logger: Logger) {
    this.#server = server;
    this.#logger = logger;
  }

  /** Listens on `server.address`; throws with the field name when TLS material or the port is unusable. */
  static async start(
    runtime: Runtime,
    logs: LogHub,
    options: MetricsServerOptions = {},
  ): Promise<MetricsServer> {
    const { server: settings } = runtime.startup.config;
    const logger = logs.child({ component: 'server' });
    let authorizer: TokenAuthorizer | undefined;
    if (settings.auth.enabled) {
      if (!runtime.cluster) {
        throw new Error(
          'server.auth.enabled: bearer-token auth checks tokens with the Kubernetes API, and no cluster is configured (kubernetes.kubeconfig, KUBECONFIG, or a service account)',
        );
      }
      authorizer = new TokenAuthorizer(runtime.cluster.client);
    }
    const handler = guarded(logger, (req, res) => route(runtime, req, res, logger, authorizer));
    let certificate: CertificatePair | undefined;
    let server: Server | HttpsServer;
    if (settings.tls.enabled) {
      certificate = await loadCertificatePair(settings.tls.certFile, settings.tls.keyFile);
      server = createHttpsServer({ cert: certificate.cert, key: certificate.key }, handler);
    } else {
      server = createHttpServer(handler);
    }
    // Without a 'timeout' listener, Node destroys a socket that times out.
    server.setTimeout(options.idleSocketMs ?? IDLE_SOCKET_MS);
    const metricsServer = new MetricsServer(server, logger);
    metricsServer.#certificate = certificate;
    const { host, port } = parseListenAddress(settings.address);
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error) =>
        reject(new Error(`server.address "${settings.address}": ${error.message}`)),
      );
      server.listen(port, host, () => resolve());
    });
    server.on('error', (error) => logger.error({ err: error.message }, 'server error'));
    if (certificate) {
      metricsServer.#certWatch = await FileWatch.start(
        [settings.tls.certFile, settings.tls.keyFile],
        () => void metricsServer.#reloadCertificate(settings.tls.certFile, settings.tls.keyFile),
        { debounceMs: options.certDebounceMs ?? 1000 },
      );
    }
    logger.info(
      {
        address: metricsServer.address(),
        tls: settings.tls.enabled,
        certificateExpires: certificate?.notAfter,
      },
      'serving metrics',
    );
    return metricsServer;
  }

  async #reloadCertificate(certFile: string, keyFile: string): Promise<void> {
    try {
      const next = await loadCertificatePair(certFile, keyFile);
      (this.#server as HttpsServer).setSecureContext({ cert: next.cert, key: next.key });
      this.#certificate = next;
      this.#logger.info({ subject: next.subject, expires: next.notAfter }, 'TLS certificate reloaded');
    } catch (error) {
      this.#logger.error(
        { err: (error as Error).message },
        'TLS certificate rotation rejected, previous certificate kept',
      );
    }
  }

  get certificate(): CertificatePair | undefined {
    return this.#certificate;
  }

  address(): AddressInfo {
    return this.#server.address() as AddressInfo;
  }

  /** Stops accepting, lets requests in flight finish (up to `graceMs`), then closes what is left. */
  async close(graceMs = 5000): Promise<void> {
    this.#certWatch?.close();
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeIdleConnections();
    const timer = setTimeout(() => this.#server.closeAllConnections(), graceMs);
    await closed;
    clearTimeout(timer);
  }
}

async function route(
  runtime: Runtime,
  req: IncomingMessage,
  res: ServerResponse,
  logger: Logger,
  authorizer: TokenAuthorizer | undefined,
): Promise<void> {
  const { server } = runtime.current.loaded.config;
  const path = (req.url ?? '/').split('?')[0];
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('allow', 'GET, HEAD');
    return sendText(res, 405, 'method not allowed\n');
  }
  if (path === server.metricsPath) {
    if (authorizer) {
      const decision = await authorizer.check(
        req.headers.authorization,
        server.metricsPath,
        req.socket.remoteAddress ?? '',
      );
      if (decision.status !== 200) {
        // An API that cannot review tokens refuses every new scraper: that is worth a warning.
        const level = decision.status === 503 && !decision.throttled ? 'warn' : 'debug';
        logger[level]({ status: decision.status, reason: decision.reason }, 'metrics request refused');
        if (decision.status === 401) res.setHeader('www-authenticate', 'Bearer realm="sealos-state-metrics"');
        if (decision.status === 429) res.setHeader('retry-after', '1');
        return sendText(res, decision.status, `${decision.reason}\n`);
      }
    }
    return serveMetrics(runtime, req, res, logger);
  }
  if (path === server.healthPath) return serveHealth(runtime, res);
  // Liveness says the process answers; readiness that a generation is serving. Neither depends on
  // the health of probed targets, so a down database never restarts this pod.
  if (path === '/livez' || path === '/readyz') return sendText(res, 200, 'ok\n');
  sendText(res, 404, 'not found\n');
}
