/**
 * node's https transport (the in-cluster one) on answers kube-apiserver would not send but a
 * proxy or a broken peer may: every one is an error for the reader, none an uncaught one.
 */
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { localhostPair, selfSignedPair } from '../../test/support/certificates.js';
import { httpsTransport, type KubeAnswer } from './transport.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;
let handle: Handler = (_req, res) => res.end();
let server: ReturnType<typeof createServer>;
let ca = '';
let url: URL;

before(async () => {
  const pair = await localhostPair('transport-test');
  ca = pair.cert;
  server = createServer(pair, (req, res) => handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = new URL(`https://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/nodes`);
});

after(() => {
  server.closeAllConnections();
  server.close();
});

const send = (signal = new AbortController().signal) =>
  httpsTransport(ca)({ method: 'GET', url, headers: { accept: 'application/json' }, signal });

async function readAll(answer: KubeAnswer): Promise<string> {
  let text = '';
  for await (const chunk of answer.chunks()) text += Buffer.from(chunk).toString('utf8');
  return text;
}

test('asks for gzip and reads gzipped, plain and streamed answers alike', async () => {
  let asked = '';
  handle = (req, res) => {
    asked = req.headers['accept-encoding'] ?? '';
    res.writeHead(200, { 'content-encoding': 'gzip', 'retry-after': '7' });
    res.end(gzipSync('{"kind":"NodeList"}'));
  };
  const gzipped = await send();
  assert.equal(asked, 'gzip');
  assert.equal(gzipped.status, 200);
  assert.equal(gzipped.header('Retry-After'), '7');
  assert.equal(gzipped.header('x-absent'), null);
  assert.equal(await gzipped.text(), '{"kind":"NodeList"}');

  handle = (_req, res) => {
    res.writeHead(200);
    res.write('{"type":"ADDED"}\n');
    setTimeout(() => res.end('{"type":"DELETED"}\n'), 20);
  };
  assert.equal(await readAll(await send()), '{"type":"ADDED"}\n{"type":"DELETED"}\n');
});

test('an encoding other than gzip is an error naming it', async () => {
  handle = (_req, res) => {
    res.writeHead(200, { 'content-encoding': 'br' });
    res.end('whatever');
  };
  await assert.rejects(
    send().then((answer) => answer.text()),
    /content-encoding "br", not gzip/,
  );
});

test('a corrupt gzip body, a body cut by the server and an abort mid-body reach the reader', async () => {
  handle = (_req, res) => {
    res.writeHead(200, { 'content-encoding': 'gzip' });
    res.end(Buffer.from('not gzip at all'));
  };
  await assert.rejects((await send()).text(), /incorrect header check/);

  handle = (_req, res) => {
    res.writeHead(200, { 'content-length': '1000' });
    res.write('{"type":');
    setTimeout(() => res.destroy(), 20);
  };
  await assert.rejects(readAll(await send()), /aborted|premature close|ECONNRESET/i);

  handle = (_req, res) => {
    res.writeHead(200, { 'content-encoding': 'gzip' });
    res.write(gzipSync('{"type":"ADDED"}\n'.repeat(10)).subarray(0, 20));
  };
  const abort = new AbortController();
  const answer = await send(abort.signal);
  setTimeout(() => abort.abort(), 20);
  await assert.rejects(readAll(answer), /aborted/i);
});

test('a server the CA did not sign is refused', async () => {
  const other = await selfSignedPair(['localhost']);
  await assert.rejects(
    httpsTransport(other.cert)({ method: 'GET', url, headers: {}, signal: new AbortController().signal }),
    /self[- ]signed|unable to verify|certificate/i,
  );
});
