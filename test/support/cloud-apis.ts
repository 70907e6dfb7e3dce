/**
 * Local HTTPS stand-ins for the providers' billing APIs. Each checks the request the official SDK
 * sent (action, version, signature header present and well-formed, credential id) and answers
 * the way the provider documents, or with the error it is told to give.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { testCaSignedPair } from './certificates.js';

export type Behaviour =
  | { kind: 'ok'; body: unknown }
  | { kind: 'error'; status: number; body: unknown }
  | { kind: 'hang' };

export interface SeenRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
  /** Why the request is not what the provider expects; empty when it is. */
  readonly problems: string[];
}

/**
 * A provider API over HTTPS (certificate from the test CA, valid for 127.0.0.1 and the provider's
 * real host names), plus a plain HTTP forward proxy whose CONNECT tunnels end in that same API.
 * Nothing is forwarded anywhere.
 */
export class FakeProviderApi {
  readonly seen: SeenRequest[] = [];
  behaviour: Behaviour;
  readonly #api: HttpsServer;
  readonly #proxy: Server;
  readonly #check: (request: Omit<SeenRequest, 'problems'>) => string[];
  /** Tunnels belong to neither server's connection tracking once handed over: closed by stop(). */
  readonly #tunnels: Set<Duplex>;

  private constructor(
    api: HttpsServer,
    proxy: Server,
    tunnels: Set<Duplex>,
    check: FakeProviderApi['check'],
    behaviour: Behaviour,
  ) {
    this.#api = api;
    this.#proxy = proxy;
    this.#tunnels = tunnels;
    this.#check = check;
    this.behaviour = behaviour;
  }

  get check() {
    return this.#check;
  }

  static async start(
    check: (request: Omit<SeenRequest, 'problems'>) => string[],
    behaviour: Behaviour,
  ): Promise<FakeProviderApi> {
    let fake: FakeProviderApi | undefined;
    const tunnels = new Set<Duplex>();
    const pair = await testCaSignedPair([
      'billing.tencentcloudapi.com',
      'business.aliyuncs.com',
      'billing.volcengineapi.com',
    ]);
    const api = createHttpsServer(pair, async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const request = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      const problems = fake?.check(request) ?? [];
      fake?.seen.push({ ...request, problems });
      const current = fake?.behaviour ?? { kind: 'hang' };
      if (current.kind === 'hang') return;
      const status = problems.length > 0 ? 400 : current.kind === 'ok' ? 200 : current.status;
      const body = problems.length > 0 ? { error: problems } : current.body;
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    });
    const proxy = createServer((_req, res) => {
      res.writeHead(405);
      res.end();
    });
    // CONNECT (what the SDKs' proxy agents send) is answered and the tunnel handed to the API,
    // which does the TLS handshake inside it, as the real endpoint would.
    proxy.on('connect', (_req, socket: Duplex, head: Buffer) => {
      tunnels.add(socket);
      socket.once('close', () => tunnels.delete(socket));
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) socket.unshift(head);
      api.emit('connection', socket);
    });
    await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', () => resolve()));
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', () => resolve()));
    fake = new FakeProviderApi(api, proxy, tunnels, check, behaviour);
    return fake;
  }

  /** The API itself, over HTTPS. */
  get endpoint(): string {
    return `https://127.0.0.1:${(this.#api.address() as AddressInfo).port}`;
  }

  /** The forward proxy in front of it. */
  get proxyUrl(): string {
    return `http://127.0.0.1:${(this.#proxy.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    for (const tunnel of this.#tunnels) tunnel.destroy();
    for (const server of [this.#api, this.#proxy]) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }
}

const header = (request: Omit<SeenRequest, 'problems'>, name: string) => String(request.headers[name] ?? '');

/** Tencent Cloud API 3.0: POST with X-TC-Action/Version and a TC3-HMAC-SHA256 Authorization header. */
export function tencentCheck(secretId: string) {
  return (request: Omit<SeenRequest, 'problems'>): string[] => {
    const problems: string[] = [];
    if (header(request, 'x-tc-action') !== 'DescribeAccountBalance')
      problems.push(`action ${header(request, 'x-tc-action')}`);
    if (header(request, 'x-tc-version') !== '2018-07-09')
      problems.push(`version ${header(request, 'x-tc-version')}`);
    if (!/^\d{10}$/.test(header(request, 'x-tc-timestamp'))) problems.push('timestamp');
    const auth =
      /^TC3-HMAC-SHA256 Credential=([^/]+)\/(\d{4}-\d{2}-\d{2})\/billing\/tc3_request, SignedHeaders=([a-z;-]+), Signature=([0-9a-f]{64})$/.exec(
        header(request, 'authorization'),
      );
    if (!auth) problems.push(`authorization ${header(request, 'authorization')}`);
    else if (auth[1] !== secretId) problems.push(`credential ${auth[1]}`);
    return problems;
  };
}

export const tencentOk = (realBalanceCents: number) => ({
  Response: {
    Balance: realBalanceCents,
    Uin: 100000000001,
    RealBalance: realBalanceCents,
    CashAccountBalance: realBalanceCents,
    IncomeIntoAccountBalance: 0,
    PresentAccountBalance: 0,
    FreezeAmount: 0,
    OweAmount: 0,
    IsAllowArrears: false,
    IsCreditLimited: false,
    CreditAmount: 0,
    CreditBalance: 0,
    RealCreditBalance: 0,
    RequestId: 'a9a3f6b2-0000-4000-8000-000000000001',
  },
});

export const tencentError = (code: string, message: string) => ({
  Response: { Error: { Code: code, Message: message }, RequestId: 'a9a3f6b2-0000-4000-8000-000000000002' },
});

/** Alibaba Cloud OpenAPI (BSS, RPC style, V3 signature): x-acs-action/version and ACS3-HMAC-SHA256. */
export function alicloudCheck(accessKeyId: string) {
  return (request: Omit<SeenRequest, 'problems'>): string[] => {
    const problems: string[] = [];
    if (header(request, 'x-acs-action') !== 'QueryAccountBalance')
      problems.push(`action ${header(request, 'x-acs-action')}`);
    if (header(request, 'x-acs-version') !== '2017-12-14')
      problems.push(`version ${header(request, 'x-acs-version')}`);
    if (!/^[0-9a-f]+$/.test(header(request, 'x-acs-signature-nonce'))) problems.push('nonce');
    const auth =
      /^ACS3-HMAC-SHA256 Credential=([^,]+),SignedHeaders=([a-z0-9;-]+),Signature=([0-9a-f]{64})$/.exec(
        header(request, 'authorization'),
      );
    if (!auth) problems.push(`authorization ${header(request, 'authorization')}`);
    else {
      if (auth[1] !== accessKeyId) problems.push(`credential ${auth[1]}`);
      for (const signed of ['host', 'x-acs-action', 'x-acs-date'])
        if (!auth[2]?.split(';').includes(signed)) problems.push(`unsigned ${signed}`);
    }
    return problems;
  };
}

export const alicloudOk = (availableAmount: string) => ({
  Code: 'Success',
  Message: 'Successful!',
  RequestId: '8F0E5B5A-0000-4000-8000-000000000001',
  Success: true,
  Data: {
    AvailableAmount: availableAmount,
    AvailableCashAmount: availableAmount,
    CreditAmount: '0.00',
    MybankCreditAmount: '0.00',
    Currency: 'CNY',
    QuotaLimit: '0.00',
  },
});

export const alicloudError = (code: string, message: string) => ({
  RequestId: '8F0E5B5A-0000-4000-8000-000000000002',
  HostId: 'business.aliyuncs.com',
  Code: code,
  Message: message,
  Recommend: 'https://api.aliyun.com/troubleshoot',
});

/** VolcEngine OpenAPI: Action/Version in the query and an HMAC-SHA256 credential scoped to billing. */
export function volcengineCheck(accessKeyId: string, region: string) {
  return (request: Omit<SeenRequest, 'problems'>): string[] => {
    const problems: string[] = [];
    const url = new URL(request.url, 'http://fake');
    if (url.searchParams.get('Action') !== 'QueryBalanceAcct')
      problems.push(`action ${url.searchParams.get('Action')}`);
    if (url.searchParams.get('Version') !== '2022-01-01')
      problems.push(`version ${url.searchParams.get('Version')}`);
    if (!/^\d{8}T\d{6}Z$/.test(header(request, 'x-date'))) problems.push('x-date');
    const auth =
      /^HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/billing\/request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/.exec(
        header(request, 'authorization'),
      );
    if (!auth) problems.push(`authorization ${header(request, 'authorization')}`);
    else {
      if (auth[1] !== accessKeyId) problems.push(`credential ${auth[1]}`);
      if (auth[3] !== region) problems.push(`region ${auth[3]}`);
    }
    return problems;
  };
}

const volcMetadata = {
  RequestId: '20261125071200000000000000000001',
  Action: 'QueryBalanceAcct',
  Version: '2022-01-01',
  Service: 'billing',
  Region: 'cn-beijing',
};

export const volcengineOk = (availableBalance: string) => ({
  ResponseMetadata: volcMetadata,
  Result: {
    AccountID: 2100000001,
    ArrearsBalance: '0.00',
    AvailableBalance: availableBalance,
    CashBalance: availableBalance,
    CreditLimit: '0.00',
    FreezeAmount: '0.00',
  },
});

export const volcengineError = (code: string, message: string) => ({
  ResponseMetadata: { ...volcMetadata, Error: { Code: code, Message: message } },
});
