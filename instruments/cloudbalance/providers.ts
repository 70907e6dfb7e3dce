/**
 * One balance query per provider, each through the provider's official SDK (request signing is
 * theirs): Tencent Cloud billing DescribeAccountBalance (tencentcloud-sdk-nodejs), Alibaba Cloud
 * BSS QueryAccountBalance (@alicloud/bssopenapi20171214 on @alicloud/openapi-core), VolcEngine
 * billing QueryBalanceAcct (@volcengine/openapi's signed generic call on its billing service).
 */
import type * as bss from '@alicloud/bssopenapi20171214';
import type { $OpenApiUtil } from '@alicloud/openapi-core';
import { centsToUnits, parseDecimalAmount } from './amounts.js';

export interface Credentials {
  readonly accessKeyId: string;
  readonly accessKeySecret: string;
}

export interface BalanceQuery {
  readonly credentials: Credentials;
  readonly regionId: string;
  /** `host[:port]` or `http(s)://host[:port]`; empty for the provider's public endpoint. */
  readonly endpoint: string;
  readonly timeoutMs: number;
  /** HTTP proxy URL; empty for a direct connection. */
  readonly proxy: string;
}

/** Splits an endpoint override into protocol and host, as the SDKs want them. */
export function splitEndpoint(
  endpoint: string,
  fallbackHost: string,
): { protocol: 'http' | 'https'; host: string } {
  const match = /^(https?):\/\/(.+?)\/?$/.exec(endpoint);
  if (match) return { protocol: match[1] as 'http' | 'https', host: match[2] as string };
  return { protocol: 'https', host: endpoint || fallbackHost };
}

// The provider SDKs are loaded on first use: together they cost over 100 MiB of memory, which a
// process that never asks a provider should not pay.
const loadTencent = () => import('tencentcloud-sdk-nodejs/tencentcloud/services/billing/index.js');
const loadAlicloud = () =>
  Promise.all([import('@alicloud/bssopenapi20171214'), import('@alicloud/openapi-core')]);
const loadVolcengine = () => import('@volcengine/openapi');
let tencentSdk: ReturnType<typeof loadTencent> | undefined;
let alicloudSdk: ReturnType<typeof loadAlicloud> | undefined;
let volcengineSdk: ReturnType<typeof loadVolcengine> | undefined;

export async function tencentBalance(query: BalanceQuery): Promise<number> {
  const { protocol, host } = splitEndpoint(query.endpoint, 'billing.tencentcloudapi.com');
  tencentSdk ??= loadTencent();
  const { billing } = await tencentSdk;
  const client = new billing.v20180709.Client({
    credential: { secretId: query.credentials.accessKeyId, secretKey: query.credentials.accessKeySecret },
    region: query.regionId,
    profile: {
      httpProfile: {
        endpoint: host,
        protocol: `${protocol}://`,
        reqTimeout: Math.ceil(query.timeoutMs / 1000),
        ...(query.proxy ? { proxy: query.proxy } : {}),
      },
    },
  });
  const response = await client.DescribeAccountBalance({});
  // RealBalance = cash + income + present - frozen - owed, in cents (the API's "Balance" mirrors it).
  return centsToUnits('DescribeAccountBalance RealBalance', response.RealBalance ?? response.Balance);
}

export type Provider = 'alicloud' | 'tencentcloud' | 'volcengine';

// The BSS package is CommonJS with `exports.default`; under ESM its class sits one level down.
type BssClientClass = new (
  config: $OpenApiUtil.Config,
) => { queryAccountBalance(): Promise<bss.QueryAccountBalanceResponse> };

export async function alicloudBalance(query: BalanceQuery): Promise<number> {
  const { protocol, host } = splitEndpoint(query.endpoint, 'business.aliyuncs.com');
  alicloudSdk ??= loadAlicloud();
  const [bssSdk, openApi] = await alicloudSdk;
  const bssModule = bssSdk as unknown as { default: { default?: BssClientClass } & BssClientClass };
  const BssClient: BssClientClass = bssModule.default.default ?? bssModule.default;
  const client = new BssClient(
    new openApi.$OpenApiUtil.Config({
      accessKeyId: query.credentials.accessKeyId,
      accessKeySecret: query.credentials.accessKeySecret,
      regionId: query.regionId || 'cn-hangzhou',
      endpoint: host,
      protocol: protocol.toUpperCase(),
      connectTimeout: query.timeoutMs,
      readTimeout: query.timeoutMs,
      ...(query.proxy ? { httpProxy: query.proxy, httpsProxy: query.proxy } : {}),
    }),
  );
  const { body } = await client.queryAccountBalance();
  if (!body?.success)
    throw new Error(`QueryAccountBalance: ${body?.code ?? 'no code'}: ${body?.message ?? 'no message'}`);
  // A decimal string in the account currency, with thousands separators ("10,000.00").
  return parseDecimalAmount('QueryAccountBalance AvailableAmount', body.data?.availableAmount);
}

interface VolcResponse {
  ResponseMetadata?: { Error?: { Code?: string; Message?: string } };
  Result?: { AvailableBalance?: unknown };
}

export async function volcengineBalance(query: BalanceQuery): Promise<number> {
  const { protocol, host } = splitEndpoint(query.endpoint, 'billing.volcengineapi.com');
  volcengineSdk ??= loadVolcengine();
  const { billing: volcBilling } = await volcengineSdk;
  const service = new volcBilling.BillingService({
    accessKeyId: query.credentials.accessKeyId,
    secretKey: query.credentials.accessKeySecret,
    region: query.regionId || 'cn-beijing',
    protocol: `${protocol}:`,
    serviceName: 'billing',
  });
  service.setHost(host);
  const call = service.createAPI<Record<string, never>, VolcResponse['Result']>('QueryBalanceAcct', {
    Version: '2022-01-01',
    method: 'POST',
    contentType: 'json',
  } as never);
  const proxy = query.proxy ? new URL(query.proxy) : undefined;
  const response = (await call({}, {
    timeout: query.timeoutMs,
    ...(proxy
      ? {
          proxy: {
            protocol: proxy.protocol.replace(':', ''),
            host: proxy.hostname,
            port: Number(proxy.port || 80),
          },
        }
      : {}),
  } as never)) as VolcResponse;
  const error = response.ResponseMetadata?.Error;
  if (error)
    throw new Error(`QueryBalanceAcct: ${error.Code ?? 'no code'}: ${error.Message ?? 'no message'}`);
  // A decimal string in the account currency; negative when in arrears.
  return parseDecimalAmount('QueryBalanceAcct AvailableBalance', response.Result?.AvailableBalance);
}

export const providers: Record<Provider, (query: BalanceQuery) => Promise<number>> = {
  tencentcloud: tencentBalance,
  alicloud: alicloudBalance,
  volcengine: volcengineBalance,
};
