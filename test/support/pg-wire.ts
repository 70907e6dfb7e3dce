/**
 * A minimal PostgreSQL wire-protocol server for tests of databases that do not run here
 * (CockroachDB speaks this protocol): startup with trust auth, SSL refused, and the simple-query
 * protocol answered by a handler with one text column or an error.
 */

import type { AddressInfo } from 'node:net';
import { createServer, type Server, type Socket } from 'node:net';

export type QueryAnswer = { column: string; rows: (string | null)[] } | { error: string; code: string };

function message(type: string, payload: Buffer): Buffer {
  const header = Buffer.alloc(5);
  header.write(type, 0, 'latin1');
  header.writeInt32BE(payload.length + 4, 1);
  return Buffer.concat([header, payload]);
}

const cstring = (text: string) => Buffer.concat([Buffer.from(text, 'utf8'), Buffer.from([0])]);
const int32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
};
const int16 = (n: number) => {
  const b = Buffer.alloc(2);
  b.writeInt16BE(n);
  return b;
};

export class PgWireServer {
  readonly queries: string[] = [];
  readonly #server: Server;
  #answer: (query: string) => QueryAnswer;

  private constructor(server: Server, answer: (query: string) => QueryAnswer) {
    this.#server = server;
    this.#answer = answer;
  }

  static async start(answer: (query: string) => QueryAnswer): Promise<PgWireServer> {
    let wire: PgWireServer | undefined;
    const server = createServer((socket) => wire?.serve(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    wire = new PgWireServer(server, answer);
    return wire;
  }

  set answer(answer: (query: string) => QueryAnswer) {
    this.#answer = answer;
  }

  get port(): number {
    return (this.#server.address() as AddressInfo).port;
  }

  /** Serves one client connection (the server calls it). */
  serve(socket: Socket): void {
    let buffered = Buffer.alloc(0);
    let started = false;
    socket.on('error', () => socket.destroy());
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      for (;;) {
        if (!started) {
          if (buffered.length < 8) return;
          const length = buffered.readInt32BE(0);
          if (buffered.length < length) return;
          const code = buffered.readInt32BE(4);
          buffered = buffered.subarray(length);
          if (code === 80877103) {
            socket.write('N'); // no SSL here
            continue;
          }
          started = true;
          socket.write(
            Buffer.concat([
              message('R', int32(0)),
              message('S', Buffer.concat([cstring('server_version'), cstring('13.0.0')])),
              message('K', Buffer.concat([int32(1), int32(2)])),
              message('Z', Buffer.from('I')),
            ]),
          );
          continue;
        }
        if (buffered.length < 5) return;
        const type = String.fromCharCode(buffered[0] as number);
        const length = buffered.readInt32BE(1);
        if (buffered.length < length + 1) return;
        const payload = buffered.subarray(5, length + 1);
        buffered = buffered.subarray(length + 1);
        if (type === 'X') return void socket.end();
        if (type !== 'Q') continue;
        const query = payload.subarray(0, payload.length - 1).toString('utf8');
        this.queries.push(query);
        socket.write(this.#reply(this.#answer(query)));
      }
    });
  }

  #reply(answer: QueryAnswer): Buffer {
    const ready = message('Z', Buffer.from('I'));
    if ('error' in answer) {
      const fields = Buffer.concat([
        Buffer.from('S'),
        cstring('ERROR'),
        Buffer.from('C'),
        cstring(answer.code),
        Buffer.from('M'),
        cstring(answer.error),
        Buffer.from([0]),
      ]);
      return Buffer.concat([message('E', fields), ready]);
    }
    // One text column (type oid 25).
    const description = Buffer.concat([
      int16(1),
      cstring(answer.column),
      int32(0),
      int16(0),
      int32(25),
      int16(-1),
      int32(-1),
      int16(0),
    ]);
    const rows = answer.rows.map((value) =>
      message(
        'D',
        Buffer.concat([
          int16(1),
          value === null ? int32(-1) : Buffer.concat([int32(Buffer.byteLength(value)), Buffer.from(value)]),
        ]),
      ),
    );
    return Buffer.concat([
      message('T', description),
      ...rows,
      message('C', cstring(`SHOW ${answer.rows.length}`)),
      ready,
    ]);
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}
