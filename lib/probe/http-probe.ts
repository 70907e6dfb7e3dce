/**
 * One HTTP(S) request to one resolved address: TCP connect (with retries), TLS handshake with SNI
 * = the host name, the certificate read whatever its validity, then the request with the Host
 * header of the name. The address is pinned, so a name with several backends is probed backend
 * by backend. Everything happens on one connection and is cut at the timeout.
 */
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { isIP, connect as netConnect, type Socket } from 'node:net';
import { type TLSSocket, connect as tlsConnect } from 'node:tls';
import { certErrorType, ProbeError, toProbeError } from './probe-error.js';

export interface HttpProbeRequest {
  readonly scheme: 'http' | 'https';
  /** The name: Host header, SNI and the name the certificate must carry. */
  readonly host: string;
  readonly port: number;
  /** The resolved address dialled. */
  readonly address: string;
  readonly path: string;
  readonly method: string;
  readonly headers: Readonly<Record<string, string>>;
  /** false skips chain and name verification (the certificate is still read). */
  readonly verifyTls: boolean;
  /** The whole probe: every dial attempt, the handshake and the response headers. */
  readonly timeoutMs: number;
  /** Connection attempts (TCP, and TLS for https) before the probe fails. */
  readonly dialAttempts: number;
  /** false stops after the handshake: a certificate check without an HTTP request. */
  readonly sendRequest?: boolean;
  readonly signal?: AbortSignal;
}

export interface CertificateDetails {
  readonly notAfterMs: number;
  readonly notBeforeMs: number;
  /** Set when the chain or the name does not verify (even with verifyTls off). */
  readonly problem?: ProbeError;
}

export interface HttpProbeResult {
  readonly seconds: number;
  readonly statusCode?: number;
  /** Response headers (lower-case names) of the answer, when there was one. */
  readonly headers?: IncomingHttpHeaders;
  readonly certificate?: CertificateDetails;
  readonly error?: ProbeError;
}

function hostHeader(host: string, port: number, scheme: 'http' | 'https'): string {
  const name = isIP(host) === 6 ? `[${host}]` : host;
  return port === (scheme === 'https' ? 443 : 80) ? name : `${name}:${port}`;
}

function certificateOf(socket: TLSSocket): CertificateDetails | undefined {
  const peer = socket.getPeerCertificate();
  if (!peer?.valid_to) return undefined;
  const code = socket.authorizationError ? String(socket.authorizationError) : '';
  const problem = code ? new ProbeError(certErrorType(code), `certificate: ${code}`, code) : undefined;
  return {
    notAfterMs: Date.parse(peer.valid_to),
    notBeforeMs: Date.parse(peer.valid_from),
    ...(problem ? { problem } : {}),
  };
}

/** One connection attempt; resolves once connected (and, for https, handshaken). */
function dial(probe: HttpProbeRequest, sockets: Set<Socket>): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket =
      probe.scheme === 'https'
        ? tlsConnect({
            host: probe.address,
            port: probe.port,
            ...(isIP(probe.host) ? {} : { servername: probe.host }),
            // Verification is judged below, so an invalid certificate can still be read.
            rejectUnauthorized: false,
            ALPNProtocols: ['http/1.1'],
          })
        : netConnect({ host: probe.address, port: probe.port });
    sockets.add(socket);
    // Errors after the outcome is known (a reset while closing) must not go unhandled.
    socket.on('error', () => {});
    socket.once(probe.scheme === 'https' ? 'secureConnect' : 'connect', () => {
      socket.removeListener('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

export async function probeHttp(probe: HttpProbeRequest): Promise<HttpProbeResult> {
  const started = performance.now();
  const seconds = () => (performance.now() - started) / 1000;
  const sockets = new Set<Socket>();
  let cut: ((error: ProbeError) => void) | undefined;
  const deadline = new Promise<never>((_, reject) => {
    cut = reject;
  });
  deadline.catch(() => {});
  const timer = setTimeout(
    () => cut?.(new ProbeError('timeout', `no answer within ${probe.timeoutMs} ms`)),
    probe.timeoutMs,
  );
  const onAbort = () => cut?.(new ProbeError('timeout', 'the collection run was cut'));
  probe.signal?.addEventListener('abort', onAbort, { once: true });
  let certificate: CertificateDetails | undefined;
  try {
    let socket: Socket | undefined;
    let lastError: unknown;
    for (let attempt = 0; attempt < Math.max(1, probe.dialAttempts) && !socket; attempt += 1) {
      try {
        socket = await Promise.race([dial(probe, sockets), deadline]);
      } catch (error) {
        if (error instanceof ProbeError && error.errorType === 'timeout') throw error;
        lastError = error;
      }
    }
    if (!socket) throw lastError;
    if (probe.scheme === 'https') {
      certificate = certificateOf(socket as TLSSocket);
      if (probe.verifyTls && certificate?.problem)
        return { seconds: seconds(), certificate, error: certificate.problem };
    }
    if (probe.sendRequest === false) return { seconds: seconds(), ...(certificate ? { certificate } : {}) };
    const connected = socket;
    const response = await Promise.race([
      new Promise<{ statusCode: number; headers: IncomingHttpHeaders }>((resolve, reject) => {
        const req = httpRequest(
          {
            createConnection: () => connected,
            method: probe.method,
            path: probe.path,
            headers: {
              'user-agent': 'sealos-state-metrics',
              ...probe.headers,
              host: hostHeader(probe.host, probe.port, probe.scheme),
              connection: 'close',
            },
          },
          (res) => {
            res.resume();
            resolve({ statusCode: res.statusCode ?? 0, headers: res.headers });
          },
        );
        req.on('error', reject);
        req.end();
      }),
      deadline,
    ]);
    return {
      seconds: seconds(),
      statusCode: response.statusCode,
      headers: response.headers,
      ...(certificate ? { certificate } : {}),
    };
  } catch (error) {
    return { seconds: seconds(), error: toProbeError(error), ...(certificate ? { certificate } : {}) };
  } finally {
    clearTimeout(timer);
    probe.signal?.removeEventListener('abort', onAbort);
    for (const socket of sockets) socket.destroy();
  }
}
