/**
 * HTTPS targets for the probe instruments' tests: one server on 127.0.0.2 (and one on ::1) that
 * picks its certificate by SNI (valid, expired, wrong host, self-signed, all made in the test)
 * and its answer by Host (200, 500, a redirect), plus a listener that never completes a
 * handshake. Addresses in 127.0.0.0/8 other than .2 and .7 have nothing listening.
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { createServer, type Server, type Socket } from 'node:net';
import { createSecureContext, type SecureContext } from 'node:tls';
import { selfSignedPair, testCaSignedPair } from './certificates.js';

export type Handler = (request: IncomingMessage, response: ServerResponse) => void;

const DAY = 86_400_000;

export class ProbeTargets {
  readonly requests: string[] = [];
  #servers: (HttpsServer | Server)[] = [];
  #sockets = new Set<Socket>();
  v4Port = 0;
  v6Port = 0;
  hangPort = 0;
  handler: Handler = (request, response) => {
    const host = (request.headers.host ?? '').split(':')[0] ?? '';
    if (host.startsWith('error500.')) {
      response.writeHead(500).end('broken');
    } else if (host.startsWith('redirect.') && request.url === '/') {
      response.writeHead(302, { location: '/landed' }).end();
    } else {
      response.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    }
  };

  static async start(domain = 'probe.test'): Promise<ProbeTargets> {
    const targets = new ProbeTargets();
    const now = Date.now();
    const valid = await testCaSignedPair([
      `good.${domain}`,
      `partial.${domain}`,
      `error500.${domain}`,
      `redirect.${domain}`,
      `v6.${domain}`,
    ]);
    const contexts: [string, SecureContext][] = [
      [
        `expired.${domain}`,
        createSecureContext(
          await testCaSignedPair([`expired.${domain}`], {
            notBefore: new Date(now - 30 * DAY),
            notAfter: new Date(now - DAY),
          }),
        ),
      ],
      [`wronghost.${domain}`, createSecureContext(await testCaSignedPair([`other.${domain}`]))],
      [
        `selfsigned`,
        createSecureContext(await selfSignedPair([`selfsigned.${domain}`, `selfsigned-skip.${domain}`])),
      ],
    ];
    const fallback = createSecureContext(valid);
    const options = {
      ...valid,
      SNICallback: (name: string, done: (error: Error | null, context: SecureContext) => void) => {
        done(null, contexts.find(([prefix]) => name.startsWith(prefix))?.[1] ?? fallback);
      },
    };
    for (const [address, field] of [
      ['127.0.0.2', 'v4Port'],
      ['::1', 'v6Port'],
    ] as const) {
      const server = createHttpsServer(options, (request, response) => {
        targets.requests.push(`${request.method} ${request.headers.host}${request.url}`);
        targets.handler(request, response);
      });
      server.on('connection', (socket: Socket) => targets.#track(socket));
      await new Promise<void>((resolve) => server.listen(0, address, resolve));
      targets[field] = (server.address() as { port: number }).port;
      targets.#servers.push(server);
    }
    const hang = createServer((socket) => {
      targets.#track(socket);
      socket.resume();
    });
    await new Promise<void>((resolve) => hang.listen(0, '127.0.0.7', resolve));
    targets.hangPort = (hang.address() as { port: number }).port;
    targets.#servers.push(hang);
    return targets;
  }

  #track(socket: Socket): void {
    this.#sockets.add(socket);
    socket.on('close', () => this.#sockets.delete(socket));
    socket.on('error', () => {});
  }

  /** Client connections the servers still hold: a prober that leaks sockets shows here. */
  get openConnections(): number {
    return this.#sockets.size;
  }

  async stop(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await Promise.all(
      this.#servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))),
    );
  }
}
