/**
 * TCP listeners that misbehave as probe targets do in production, and a tally of the
 * connections they get: how many were open at once (a concurrency limit shows here, and so do
 * two runs of one instrument overlapping) and how long each lived (a probe bounded by its timeout
 * hangs up in time; one that is not leaves its socket open).
 *
 * - `blackhole`: accepts, reads, never answers (a dead backend behind a live load balancer).
 * - `relay`: passes the connection to `to`, after `delayMs` (a slow TLS handshake when `to` is a
 *   TLS server: the ClientHello waits, so does the ServerHello), or at once.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';

export class ConnectionTally {
  /** [opened, closed] per connection, in ms of performance.now(); closed is Infinity while open. */
  readonly #spans: [number, number][] = [];

  track(socket: Socket): void {
    const span: [number, number] = [performance.now(), Number.POSITIVE_INFINITY];
    this.#spans.push(span);
    socket.once('close', () => {
      span[1] = performance.now();
    });
  }

  get accepted(): number {
    return this.#spans.length;
  }

  /**
   * Connections grouped into bursts (the runs of a polling instrument): a burst ends when all its
   * connections have closed and nothing opens for `quietMs`. Each as [first opened, last closed].
   */
  bursts(quietMs: number): [number, number][] {
    const bursts: [number, number][] = [];
    for (const [opened, closed] of [...this.#spans].sort((a, b) => a[0] - b[0])) {
      const last = bursts.at(-1);
      if (last && opened - last[1] < quietMs) last[1] = Math.max(last[1], closed);
      else bursts.push([opened, closed]);
    }
    return bursts;
  }

  /** Milliseconds each closed connection lived. */
  get lifetimesMs(): number[] {
    return this.#spans.filter(([, closed]) => closed !== Number.POSITIVE_INFINITY).map(([o, c]) => c - o);
  }

  /**
   * The most connections open at once. A client that hangs up and connects again at once may be
   * seen here in the other order (the accept and the end of the old socket arrive in one poll), so
   * a connection counts as closed `graceMs` before its close was seen.
   */
  peak(graceMs = 20): number {
    const edges = this.#spans.flatMap(([opened, closed]): [number, number][] => [
      [opened, 1],
      [Math.max(opened, closed - graceMs), -1],
    ]);
    // At equal times a close goes first.
    edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    let open = 0;
    let peak = 0;
    for (const [, step] of edges) {
      open += step;
      peak = Math.max(peak, open);
    }
    return peak;
  }
}

export type Behaviour =
  | { readonly kind: 'blackhole' }
  | { readonly kind: 'relay'; readonly to: { host: string; port: number }; readonly delayMs: number };

export class HostileListener {
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();

  private constructor(behaviour: Behaviour, tally: ConnectionTally) {
    this.#server = createServer((socket) => {
      tally.track(socket);
      this.#sockets.add(socket);
      socket.on('error', () => undefined);
      socket.once('close', () => this.#sockets.delete(socket));
      if (behaviour.kind === 'blackhole') {
        socket.resume();
        return;
      }
      // Keep reading while waiting (a paused socket would not see the client hang up): what the
      // client sends meanwhile is held and passed on.
      const held: Buffer[] = [];
      const hold = (chunk: Buffer) => held.push(chunk);
      socket.on('data', hold);
      const timer = setTimeout(() => {
        const upstream = createConnection(behaviour.to);
        this.#sockets.add(upstream);
        upstream.on('error', () => socket.destroy());
        upstream.once('close', () => {
          this.#sockets.delete(upstream);
          socket.destroy();
        });
        socket.once('close', () => upstream.destroy());
        socket.off('data', hold);
        for (const chunk of held) upstream.write(chunk);
        socket.pipe(upstream);
        upstream.pipe(socket);
      }, behaviour.delayMs);
      socket.once('close', () => clearTimeout(timer));
    });
  }

  static async start(host: string, behaviour: Behaviour, tally: ConnectionTally): Promise<HostileListener> {
    const listener = new HostileListener(behaviour, tally);
    await new Promise<void>((resolve) => listener.#server.listen(0, host, resolve));
    return listener;
  }

  get port(): number {
    return (this.#server.address() as { port: number }).port;
  }

  async stop(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
