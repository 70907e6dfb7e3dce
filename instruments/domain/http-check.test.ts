// labring/sealos-state-metrics pkg/collector/domain/http_test.go, case by case, through the
// domain instrument against local HTTPS servers signed by the test CA.
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { Socket } from 'node:net';
import { test } from 'node:test';
import { testCaSignedPair } from '../../test/support/certificates.js';
import { TestDnsServer } from '../../test/support/dns-server.js';
import { harness, samples } from '../../test/support/harness.js';
import { domainConfig } from './config.js';
import { domain } from './domain.js';

const NAME = 'origin.http.test';

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

/** An HTTPS server on 127.0.0.1 for NAME and localhost; `dropFirst` closes the first connection unread. */
async function httpsServer(handler: Handler, options: { dropFirst?: boolean } = {}) {
  const pair = await testCaSignedPair([NAME, 'localhost']);
  const server: Server = createServer(pair, handler);
  let dropped = false;
  const sockets = new Set<Socket>();
  server.prependListener('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    if (options.dropFirst && !dropped) {
      dropped = true;
      socket.destroy();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    dropped: () => dropped,
    stop: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** One run of the domain instrument over one entry; the labels and value of its http status. */
async function httpCheck(
  t: { after(fn: () => unknown): void },
  entry: Record<string, unknown>,
  settings: Record<string, unknown> = {},
) {
  const dns = await TestDnsServer.start();
  t.after(() => dns.stop());
  dns.set(NAME, { a: ['127.0.0.1'] });
  dns.set('localhost', { a: ['127.0.0.1'] });
  const h = harness('sealos');
  const instrument = domain.create(
    h.context('domain'),
    domainConfig.parse({
      domains: [entry],
      resolver: dns.address,
      includeCertCheck: false,
      includeIPv6: false,
      checkTimeout: '3s',
      dialRetries: 1,
      ...settings,
    }),
  );
  t.after(() => instrument.stop());
  await instrument.collectNow();
  const [line] = samples(await h.scrape(), 'sealos_domain_status');
  return line?.replace(/domain="[^"]+",ip="[^"]+",/, '') ?? 'no series';
}

test('TestCheckHTTPWithIPAndOptions_FollowRedirectsFallsBackToDefaultDialForDifferentHost', async (t) => {
  const target = await httpsServer((_request, response) => response.writeHead(204).end());
  const origin = await httpsServer((_request, response) =>
    response.writeHead(302, { location: `https://localhost:${target.port}/` }).end(),
  );
  t.after(async () => {
    await origin.stop();
    await target.stop();
  });
  // The redirect names another host: it is resolved, not sent to the probed address.
  assert.equal(
    await httpCheck(t, { endpoint: `${NAME}:${origin.port}`, followHTTPRedirects: true }),
    'sealos_domain_status{check_type="http",error_type="",reason=""} 1',
  );
});

test('TestCheckHTTPWithIPAndOptions_CanDisableRedirectFollowing', async (t) => {
  let requests = 0;
  const origin = await httpsServer((_request, response) => {
    requests += 1;
    response.writeHead(302, { location: 'https://localhost/next' }).end();
  });
  t.after(() => origin.stop());
  // The 302 itself is the answer, and a 3xx passes without expectedStatusCodes.
  assert.equal(
    await httpCheck(t, { endpoint: `${NAME}:${origin.port}`, followHTTPRedirects: false }),
    'sealos_domain_status{check_type="http",error_type="",reason=""} 1',
  );
  assert.equal(requests, 1);
});

test('TestCheckHTTPWithIPAndOptions_RetriesTLSHandshakeFailure', async (t) => {
  const origin = await httpsServer((_request, response) => response.writeHead(204).end(), {
    dropFirst: true,
  });
  t.after(() => origin.stop());
  assert.equal(
    await httpCheck(t, { endpoint: `${NAME}:${origin.port}` }, { dialRetries: 2 }),
    'sealos_domain_status{check_type="http",error_type="",reason=""} 1',
  );
  assert.equal(origin.dropped(), true, 'the first connection was dropped');
});

test('TestCheckHTTPWithIPAndOptions_UsesRequestOptions', async (t) => {
  const seen: string[] = [];
  const origin = await httpsServer((request, response) => {
    seen.push(`${request.method} ${request.url} ${request.headers['x-probe']}`);
    response.writeHead(201).end();
  });
  t.after(() => origin.stop());
  assert.equal(
    await httpCheck(t, {
      endpoint: `${NAME}:${origin.port}`,
      method: 'POST',
      path: '/ready?probe=domain',
      headers: { 'X-Probe': 'domain' },
      expectedStatusCodes: [201],
    }),
    'sealos_domain_status{check_type="http",error_type="",reason=""} 1',
  );
  assert.deepEqual(seen, ['POST /ready?probe=domain domain']);
});

test('TestCheckHTTPWithIPAndOptions_RejectsUnexpectedStatusCode', async (t) => {
  const origin = await httpsServer((_request, response) => response.writeHead(204).end());
  t.after(() => origin.stop());
  assert.equal(
    await httpCheck(t, { endpoint: `${NAME}:${origin.port}`, expectedStatusCodes: [200] }),
    'sealos_domain_status{check_type="http",error_type="HTTPServerError",reason="unexpected_status"} 0',
  );
});

test('TestCheckHTTPWithIPAndOptions_DoesNotWaitForResponseBody', async (t) => {
  const open: ServerResponse[] = [];
  const origin = await httpsServer((_request, response) => {
    // Headers now, the body never.
    response.writeHead(200, { 'content-length': '1000' });
    response.write('partial');
    open.push(response);
  });
  t.after(async () => {
    for (const response of open) response.destroy();
    await origin.stop();
  });
  const started = performance.now();
  assert.equal(
    await httpCheck(t, { endpoint: `${NAME}:${origin.port}` }),
    'sealos_domain_status{check_type="http",error_type="",reason=""} 1',
  );
  assert.ok(performance.now() - started < 2500, 'answered before the 3 s timeout');
});

test('TestRetryHTTPDialContext_RetriesUntilSuccess, _NormalizesInvalidRetries: dial retries until one connects; fewer than one is one', async (t) => {
  const origin = await httpsServer((_request, response) => response.writeHead(200).end(), {
    dropFirst: true,
  });
  t.after(() => origin.stop());
  // TestRetryHTTPDialContext_NormalizesInvalidRetries: dialRetries 0 is one attempt, so the dropped
  // first connection fails the check, as in the original.
  assert.equal(
    await httpCheck(t, { endpoint: `${NAME}:${origin.port}` }, { dialRetries: 0 }),
    'sealos_domain_status{check_type="http",error_type="NetworkError",reason="connection_reset"} 0',
  );
  // TestRetryHTTPDialContext_RetriesUntilSuccess: the next attempt connects.
  const again = await httpsServer((_request, response) => response.writeHead(200).end(), { dropFirst: true });
  t.after(() => again.stop());
  assert.equal(
    await httpCheck(t, { endpoint: `${NAME}:${again.port}` }, { dialRetries: 3 }),
    'sealos_domain_status{check_type="http",error_type="",reason=""} 1',
  );
});
