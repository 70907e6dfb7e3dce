/** A small HTTP server bound to loopback, for the debug page and profiling. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../log.js';
import { isLoopback, parseListenAddress } from './address.js';
import { guarded } from './routes.js';

export class LoopbackServer {
  readonly #server: Server;
  readonly listenAddress: string;

  private constructor(server: Server, listenAddress: string) {
    this.#server = server;
    this.listenAddress = listenAddress;
  }

  static async start(
    field: string,
    listenAddress: string,
    logger: Logger,
    handler: (req: IncomingMessage, res: ServerResponse) => Promise<void> | void,
  ): Promise<LoopbackServer> {
    const { host, port } = parseListenAddress(listenAddress);
    if (!isLoopback(host))
      throw new Error(`${field} "${listenAddress}": must be a loopback address (127.0.0.1 or ::1)`);
    const server = createServer(guarded(logger, handler));
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error) => reject(new Error(`${field} "${listenAddress}": ${error.message}`)));
      server.listen(port, host, () => resolve());
    });
    return new LoopbackServer(server, listenAddress);
  }

  address(): AddressInfo {
    return this.#server.address() as AddressInfo;
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeAllConnections();
    await closed;
  }
}
