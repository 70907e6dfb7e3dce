/**
 * A TCP proxy that can partition its clients from the target: `cut()` makes every connection,
 * open or new, a blackhole (bytes are swallowed, nothing answers, nothing is closed), as a
 * network partition or a dead conntrack entry does; `heal()` lets new connections through again
 * while the blackholed ones stay dead, as after a real partition (the far end has long given
 * them up, and nothing tells the client). TLS passes through untouched.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';

interface Pair {
  readonly client: Socket;
  upstream: Socket | undefined;
}

export class TcpProxy {
  readonly #server: Server;
  readonly #pairs = new Set<Pair>();
  readonly #target: { host: string; port: number };
  #cut = false;
  /** Connections accepted so far, for assertions. */
  connections = 0;

  private constructor(target: { host: string; port: number }) {
    this.#target = target;
    this.#server = createServer((client) => this.#accept(client));
  }

  static async start(target: { host: string; port: number }): Promise<TcpProxy> {
    const proxy = new TcpProxy(target);
    await new Promise<void>((resolve) => proxy.#server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get port(): number {
    return (this.#server.address() as { port: number }).port;
  }

  cut(): void {
    this.#cut = true;
    for (const pair of this.#pairs) this.#blackhole(pair);
  }

  heal(): void {
    this.#cut = false;
  }

  async stop(): Promise<void> {
    for (const pair of this.#pairs) {
      pair.client.destroy();
      pair.upstream?.destroy();
    }
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #accept(client: Socket): void {
    this.connections += 1;
    const pair: Pair = { client, upstream: undefined };
    this.#pairs.add(pair);
    client.on('error', () => undefined);
    client.on('close', () => {
      pair.upstream?.destroy();
      this.#pairs.delete(pair);
    });
    if (this.#cut) {
      client.resume(); // swallow
      return;
    }
    const upstream = createConnection(this.#target);
    pair.upstream = upstream;
    upstream.on('error', () => client.destroy());
    upstream.on('close', () => client.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
  }

  #blackhole(pair: Pair): void {
    const upstream = pair.upstream;
    if (upstream === undefined) return;
    pair.upstream = undefined;
    pair.client.unpipe(upstream);
    upstream.unpipe(pair.client);
    upstream.removeAllListeners('close');
    upstream.destroy();
    pair.client.resume(); // swallow what the client still sends
  }
}
