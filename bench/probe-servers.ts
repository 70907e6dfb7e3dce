/**
 * The probe bench's targets in a process of their own, so their CPU is not counted as the
 * prober's: HTTPS servers on 127.0.0.2 and 127.0.0.3 (one port) with a `*.bench.test`
 * certificate from the test CA, and a DNS server giving every `d<i>.bench.test` both addresses.
 * Prints `<https port> <dns address>`, then serves until killed.
 */
import { createServer } from 'node:https';
import { testCaSignedPair } from '../test/support/certificates.js';
import { TestDnsServer } from '../test/support/dns-server.js';

const count = Number(process.argv[2] ?? '1000');
const pair = await testCaSignedPair(['*.bench.test']);
const handler = (_request: unknown, response: { writeHead(s: number): { end(b: string): void } }) =>
  response.writeHead(200).end('ok');
const first = createServer(pair, handler);
await new Promise<void>((resolve) => first.listen(0, '127.0.0.2', resolve));
const port = (first.address() as { port: number }).port;
const second = createServer(pair, handler);
await new Promise<void>((resolve) => second.listen(port, '127.0.0.3', resolve));
const dns = await TestDnsServer.start();
for (let i = 0; i < count; i += 1) dns.set(`d${i}.bench.test`, { a: ['127.0.0.2', '127.0.0.3'] });
process.stdout.write(`${port} ${dns.address}\n`);
