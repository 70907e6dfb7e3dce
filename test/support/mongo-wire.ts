/**
 * A MongoDB server for tests, speaking enough of the wire protocol for the real `mongodb` driver
 * to connect, authenticate with SCRAM-SHA-256 (or fail to) and ping: the legacy OP_QUERY
 * handshake, OP_MSG commands, OP_REPLY/OP_MSG answers. No MongoDB server package exists on
 * the machines this runs on, so this stands in for one; the SCRAM exchange is checked byte for
 * byte, so a wrong password fails here exactly as it fails on a server.
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { Binary, type Document, deserialize, serialize } from 'bson';

const OP_REPLY = 1;
const OP_QUERY = 2004;
const OP_MSG = 2013;
const ITERATIONS = 4096;

interface Conversation {
  readonly user: string;
  readonly clientFirstBare: string;
  readonly serverFirst: string;
  readonly nonce: string;
  readonly salt: Buffer;
}

export interface MongoWireOptions {
  /** user name -> password (SCRAM-SHA-256 against the admin database). */
  readonly users: Readonly<Record<string, string>>;
}

export class MongoWireServer {
  readonly #server: Server;
  readonly #options: MongoWireOptions;
  readonly #sockets = new Set<Socket>();
  #connectionId = 0;
  /** Commands received, by name, for assertions (e.g. that a ping was sent). */
  readonly commands: string[] = [];

  private constructor(options: MongoWireOptions) {
    this.#options = options;
    this.#server = createServer((socket) => this.#accept(socket));
  }

  static async start(options: MongoWireOptions): Promise<MongoWireServer> {
    const server = new MongoWireServer(options);
    await new Promise<void>((resolve) => server.#server.listen(0, '127.0.0.1', resolve));
    return server;
  }

  get port(): number {
    const address = this.#server.address();
    if (!address || typeof address === 'string') throw new Error('not listening');
    return address.port;
  }

  /** Client connections still open: a checker that leaks sockets shows here. */
  get openConnections(): number {
    return this.#sockets.size;
  }

  async stop(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #accept(socket: Socket): void {
    this.#sockets.add(socket);
    socket.on('close', () => this.#sockets.delete(socket));
    socket.on('error', () => {});
    const connectionId = ++this.#connectionId;
    const conversations = new Map<number, Conversation>();
    let pending = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 4) {
        const length = pending.readInt32LE(0);
        if (pending.length < length) break;
        const message = pending.subarray(0, length);
        pending = pending.subarray(length);
        const reply = this.#handle(message, connectionId, conversations);
        if (reply) socket.write(reply);
      }
    });
  }

  #handle(
    message: Buffer,
    connectionId: number,
    conversations: Map<number, Conversation>,
  ): Buffer | undefined {
    const requestId = message.readInt32LE(4);
    const opCode = message.readInt32LE(12);
    if (opCode === OP_QUERY) {
      let offset = 20;
      offset = message.indexOf(0, offset) + 1; // full collection name
      offset += 8; // numberToSkip, numberToReturn
      const command = deserialize(message.subarray(offset, offset + message.readInt32LE(offset)));
      return opReply(requestId, this.#command(command, connectionId, conversations));
    }
    if (opCode === OP_MSG) {
      const flags = message.readUInt32LE(16);
      let offset = 20;
      let body: Document = {};
      while (offset < message.length - (flags & 1 ? 4 : 0)) {
        const kind = message[offset];
        offset += 1;
        if (kind === 0) {
          const size = message.readInt32LE(offset);
          body = { ...deserialize(message.subarray(offset, offset + size)), ...body };
          offset += size;
        } else {
          // A document sequence: its documents become an array field of the body.
          const size = message.readInt32LE(offset);
          const end = offset + size;
          const nameEnd = message.indexOf(0, offset + 4);
          const name = message.toString('utf8', offset + 4, nameEnd);
          const documents: Document[] = [];
          for (let at = nameEnd + 1; at < end; at += message.readInt32LE(at)) {
            documents.push(deserialize(message.subarray(at, at + message.readInt32LE(at))));
          }
          body[name] = documents;
          offset = end;
        }
      }
      const reply = this.#command(body, connectionId, conversations);
      // moreToCome: the client expects no answer.
      return flags & 2 ? undefined : opMsg(requestId, reply);
    }
    return undefined;
  }

  #command(command: Document, connectionId: number, conversations: Map<number, Conversation>): Document {
    const name = Object.keys(command)[0] ?? '';
    this.commands.push(name);
    switch (name) {
      case 'hello':
      case 'isMaster':
      case 'ismaster':
        return {
          helloOk: true,
          ismaster: true,
          isWritablePrimary: true,
          maxBsonObjectSize: 16 * 1024 * 1024,
          maxMessageSizeBytes: 48_000_000,
          maxWriteBatchSize: 100_000,
          localTime: new Date(),
          logicalSessionTimeoutMinutes: 30,
          connectionId,
          minWireVersion: 0,
          maxWireVersion: 21,
          readOnly: false,
          ...(command.saslSupportedMechs ? { saslSupportedMechs: ['SCRAM-SHA-256'] } : {}),
          ok: 1,
        };
      case 'saslStart':
        return this.#saslStart(command, conversations);
      case 'saslContinue':
        return this.#saslContinue(command, conversations);
      case 'ping':
      case 'endSessions':
        return { ok: 1 };
      default:
        return { ok: 0, errmsg: `no such command: '${name}'`, code: 59, codeName: 'CommandNotFound' };
    }
  }

  #saslStart(command: Document, conversations: Map<number, Conversation>): Document {
    if (command.mechanism !== 'SCRAM-SHA-256') {
      return authFailed(`Received authentication for mechanism ${command.mechanism} which is not enabled`);
    }
    const clientFirst = (command.payload as Binary).toString('utf8');
    const clientFirstBare = clientFirst.replace(/^n,,/, '');
    const fields = scramFields(clientFirstBare);
    const nonce = `${fields.r}${randomBytes(18).toString('base64')}`;
    const salt = randomBytes(16);
    const serverFirst = `r=${nonce},s=${salt.toString('base64')},i=${ITERATIONS}`;
    const conversationId = conversations.size + 1;
    conversations.set(conversationId, { user: fields.n ?? '', clientFirstBare, serverFirst, nonce, salt });
    return { conversationId, done: false, payload: new Binary(Buffer.from(serverFirst)), ok: 1 };
  }

  #saslContinue(command: Document, conversations: Map<number, Conversation>): Document {
    const conversation = conversations.get(command.conversationId as number);
    if (!conversation) return authFailed('No SASL session state found');
    conversations.delete(command.conversationId as number);
    const clientFinal = (command.payload as Binary).toString('utf8');
    const fields = scramFields(clientFinal);
    const password = this.#options.users[conversation.user];
    if (password === undefined || fields.r !== conversation.nonce || !fields.p) {
      return authFailed('Authentication failed.');
    }
    const salted = pbkdf2Sync(password, conversation.salt, ITERATIONS, 32, 'sha256');
    const clientKey = hmac(salted, 'Client Key');
    const storedKey = createHash('sha256').update(clientKey).digest();
    const withoutProof = clientFinal.slice(0, clientFinal.lastIndexOf(',p='));
    const authMessage = `${conversation.clientFirstBare},${conversation.serverFirst},${withoutProof}`;
    const signature = hmac(storedKey, authMessage);
    const proof = Buffer.from(fields.p, 'base64');
    const expected = Buffer.from(clientKey.map((byte, index) => byte ^ (signature[index] ?? 0)));
    if (proof.length !== expected.length || !timingSafeEqual(proof, expected)) {
      return authFailed('Authentication failed.');
    }
    const serverSignature = hmac(hmac(salted, 'Server Key'), authMessage).toString('base64');
    return {
      conversationId: command.conversationId,
      done: true,
      payload: new Binary(Buffer.from(`v=${serverSignature}`)),
      ok: 1,
    };
  }
}

function hmac(key: Buffer, text: string): Buffer {
  return createHmac('sha256', key).update(text).digest();
}

function scramFields(message: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const part of message.split(',')) {
    const at = part.indexOf('=');
    if (at > 0) fields[part.slice(0, at)] = part.slice(at + 1);
  }
  return fields;
}

function authFailed(errmsg: string): Document {
  return { ok: 0, errmsg, code: 18, codeName: 'AuthenticationFailed' };
}

function header(length: number, responseTo: number, opCode: number): Buffer {
  const head = Buffer.alloc(16);
  head.writeInt32LE(length, 0);
  head.writeInt32LE(randomBytes(4).readInt32LE(0) & 0x7fffffff, 4);
  head.writeInt32LE(responseTo, 8);
  head.writeInt32LE(opCode, 12);
  return head;
}

function opReply(responseTo: number, document: Document): Buffer {
  const body = serialize(document);
  const fixed = Buffer.alloc(20); // responseFlags, cursorID (8), startingFrom, numberReturned
  fixed.writeInt32LE(1, 16);
  return Buffer.concat([header(16 + 20 + body.length, responseTo, OP_REPLY), fixed, body]);
}

function opMsg(responseTo: number, document: Document): Buffer {
  const body = serialize(document);
  const fixed = Buffer.alloc(5); // flagBits, section kind 0
  return Buffer.concat([header(16 + 5 + body.length, responseTo, OP_MSG), fixed, body]);
}
