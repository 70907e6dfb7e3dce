/**
 * A minimal PostgreSQL wire-protocol server for tests of databases that do not run here
 * (CockroachDB speaks this protocol): startup with trust auth, SSL refused, and the simple-query
 * protocol answered by a handler with one text column or an error. With `md5Users` it asks for
 * an MD5 password, as a PostgreSQL with `md5` in pg_hba.conf does (the machine's own PostgreSQL
 * trusts every local connection, so a wrong password can only be refused here).
 */
import { createHash, randomBytes } from 'node:crypto';

import type { AddressInfo } from 'node:net';
import { createServer, type Server, type Socket } from 'node:net';

/** An answer to a query; `hang` never answers, as a server stuck after authentication. */
export type QueryAnswer =
  | { column: string; rows: (string | null)[] }
  | { error: string; code: string }
  | 'hang';

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
  readonly #md5Users: Readonly<Record<string, string>> | undefined;

  private constructor(
    server: Server,
    answer: (query: string) => QueryAnswer,
    md5Users: Readonly<Record<string, string>> | undefined,
  ) {
    this.#server = server;
    this.#answer = answer;
    this.#md5Users = md5Users;
  }

  static async start(
    answer: (query: string) => QueryAnswer,
    options: { md5Users?: Readonly<Record<string, string>> } = {},
  ): Promise<PgWireServer> {
    let wire: PgWireServer | undefined;
    const server = createServer((socket) => wire?.serve(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    wire = new PgWireServer(server, answer, options.md5Users);
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
    let user = '';
    const salt = randomBytes(4);
    socket.on('error', () => socket.destroy());
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      for (;;) {
        if (!started) {
          if (buffered.length < 8) return;
          const length = buffered.readInt32BE(0);
          if (buffered.length < length) return;
          const code = buffered.readInt32BE(4);
          const startup = buffered.subarray(8, length);
          buffered = buffered.subarray(length);
          if (code === 80877103) {
            socket.write('N'); // no SSL here
            continue;
          }
          started = true;
          if (this.#md5Users) {
            user = startupParameters(startup).user ?? '';
            socket.write(message('R', Buffer.concat([int32(5), salt])));
            continue;
          }
          socket.write(welcome());
          continue;
        }
        if (buffered.length < 5) return;
        const type = String.fromCharCode(buffered[0] as number);
        const length = buffered.readInt32BE(1);
        if (buffered.length < length + 1) return;
        const payload = buffered.subarray(5, length + 1);
        buffered = buffered.subarray(length + 1);
        if (type === 'X') return void socket.end();
        if (type === 'p') {
          const sent = payload.subarray(0, payload.length - 1).toString('utf8');
          const password = this.#md5Users?.[user];
          if (password !== undefined && sent === md5Password(user, password, salt)) {
            socket.write(welcome());
          } else {
            socket.end(errorResponse('FATAL', '28P01', `password authentication failed for user "${user}"`));
          }
          continue;
        }
        if (type !== 'Q') continue;
        const query = payload.subarray(0, payload.length - 1).toString('utf8');
        this.queries.push(query);
        const answer = this.#answer(query);
        if (answer !== 'hang') socket.write(this.#reply(answer));
      }
    });
  }

  #reply(answer: Exclude<QueryAnswer, 'hang'>): Buffer {
    const ready = message('Z', Buffer.from('I'));
    if ('error' in answer) {
      return Buffer.concat([errorResponse('ERROR', answer.code, answer.error), ready]);
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

function welcome(): Buffer {
  return Buffer.concat([
    message('R', int32(0)),
    message('S', Buffer.concat([cstring('server_version'), cstring('13.0.0')])),
    message('K', Buffer.concat([int32(1), int32(2)])),
    message('Z', Buffer.from('I')),
  ]);
}

function errorResponse(severity: string, code: string, text: string): Buffer {
  const fields = [
    Buffer.from('S'),
    cstring(severity),
    Buffer.from('C'),
    cstring(code),
    Buffer.from('M'),
    cstring(text),
  ];
  return message('E', Buffer.concat([...fields, Buffer.from([0])]));
}

/** Startup parameters: name/value cstring pairs after the protocol version. */
function startupParameters(body: Buffer): Record<string, string> {
  const parts = body.toString('utf8').split('\0');
  const parameters: Record<string, string> = {};
  for (let i = 0; i + 1 < parts.length; i += 2)
    if (parts[i]) parameters[parts[i] as string] = parts[i + 1] as string;
  return parameters;
}

/** What a client sends for md5 auth: "md5" + md5(md5(password + user) + salt). */
function md5Password(user: string, password: string, salt: Buffer): string {
  const inner = createHash('md5')
    .update(password + user)
    .digest('hex');
  return `md5${createHash('md5')
    .update(Buffer.concat([Buffer.from(inner), salt]))
    .digest('hex')}`;
}
