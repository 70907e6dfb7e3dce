/**
 * A DNS server for tests: UDP on 127.0.0.1, answers from a table the test sets. Names resolve to
 * A/AAAA records, NXDOMAIN, SERVFAIL, a delayed answer or none at all. The wire format is
 * dns-packet's, so what reaches the code under test is what a real server sends.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { setTimeout as sleep } from 'node:timers/promises';
import dnsPacket from 'dns-packet';

export type DnsAnswer =
  | { readonly a?: readonly string[]; readonly aaaa?: readonly string[]; readonly delayMs?: number }
  | 'nxdomain'
  | 'servfail'
  | 'silent';

export class TestDnsServer {
  readonly #socket: Socket;
  readonly #table = new Map<string, DnsAnswer>();
  /** Questions received, as `TYPE name`, for assertions on what was asked. */
  readonly questions: string[] = [];

  private constructor(socket: Socket) {
    this.#socket = socket;
  }

  static async start(): Promise<TestDnsServer> {
    const socket = createSocket('udp4');
    const server = new TestDnsServer(socket);
    socket.on('message', (message, remote) => void server.#answer(message, remote));
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    return server;
  }

  /** `127.0.0.1:<port>`, the form a resolver setting takes. */
  get address(): string {
    return `127.0.0.1:${this.#socket.address().port}`;
  }

  /** Names are matched without the trailing dot and case-insensitively. Unknown names get NXDOMAIN. */
  set(name: string, answer: DnsAnswer): void {
    this.#table.set(name.toLowerCase().replace(/\.$/, ''), answer);
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.#socket.close(() => resolve()));
  }

  async #answer(message: Buffer, remote: RemoteInfo): Promise<void> {
    let query: dnsPacket.Packet;
    try {
      query = dnsPacket.decode(message);
    } catch {
      return;
    }
    const question = query.questions?.[0];
    if (!question) return;
    this.questions.push(`${question.type} ${question.name}`);
    const answer = this.#table.get(question.name.toLowerCase()) ?? 'nxdomain';
    if (answer === 'silent') return;
    const base = {
      type: 'response' as const,
      id: query.id ?? 0,
      flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE,
      questions: [question],
    };
    let reply: Buffer;
    if (answer === 'nxdomain' || answer === 'servfail') {
      // The response code is the low four bits of the flags: NXDOMAIN 3, SERVFAIL 2.
      reply = dnsPacket.encode({ ...base, flags: base.flags | (answer === 'nxdomain' ? 3 : 2) });
    } else {
      if (answer.delayMs) await sleep(answer.delayMs);
      const addresses = question.type === 'A' ? answer.a : question.type === 'AAAA' ? answer.aaaa : [];
      reply = dnsPacket.encode({
        ...base,
        answers: (addresses ?? []).map((data) => ({
          type: question.type as 'A' | 'AAAA',
          class: 'IN' as const,
          name: question.name,
          ttl: 30,
          data,
        })),
      });
    }
    try {
      this.#socket.send(reply, remote.port, remote.address);
    } catch {
      // Closed while a delayed answer waited.
    }
  }
}
