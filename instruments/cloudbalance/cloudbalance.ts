/**
 * cloudbalance: available balance of cloud accounts (Alibaba Cloud, Tencent Cloud, VolcEngine),
 * polled through the providers' official SDKs. Cluster-wide: runs on the leader.
 */
import { readNamedFile } from '../../lib/config/named-file.js';
import { safeErrorLine } from '../../lib/config/redact.js';
import { defineInstrument, type InstrumentContext } from '../../lib/instrument.js';
import { Poller } from '../../lib/poller.js';
import { type Account, type CloudbalanceConfig, cloudbalanceConfig } from './config.js';
import { cloudBalance, cloudbalanceMetrics } from './metrics.js';
import { type BalanceQuery, type Credentials, providers } from './providers.js';

async function secret(inline: string, file: string, field: string): Promise<string> {
  if (inline !== '') return inline;
  return (await readNamedFile(file, field)).toString('utf8').trim();
}

async function credentialsOf(account: Account): Promise<Credentials> {
  return {
    accessKeyId: await secret(account.accessKeyId, account.accessKeyIdFile, 'accessKeyIdFile'),
    accessKeySecret: await secret(
      account.accessKeySecret,
      account.accessKeySecretFile,
      'accessKeySecretFile',
    ),
  };
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    work,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

function createCloudbalance(context: InstrumentContext, config: CloudbalanceConfig) {
  const balances = new Map<string, { provider: string; accountId: string; value: number }>();
  const failures = new Map<string, string>();
  const poller = new Poller(context, {
    intervalMs: config.checkInterval,
    timeoutMs: config.checkTimeout + 5000,
    run: async () => {
      await Promise.all(
        config.accounts.map(async (account) => {
          const key = `${account.provider}/${account.accountId}`;
          let credentials: Credentials | undefined;
          try {
            credentials = await credentialsOf(account);
            const query: BalanceQuery = {
              credentials,
              regionId: account.regionId,
              endpoint: account.endpoint,
              proxy: account.proxy,
              timeoutMs: config.checkTimeout,
            };
            const value = await withTimeout(providers[account.provider](query), config.checkTimeout);
            balances.set(key, { provider: account.provider, accountId: account.accountId, value });
            failures.delete(key);
          } catch (error) {
            // A balance we could not read now is not exported: an old number would be a stale claim.
            balances.delete(key);
            failures.set(key, safeErrorLine(error, [credentials?.accessKeySecret]));
          }
        }),
      );
      if (failures.size > 0) {
        throw new Error([...failures].map(([key, reason]) => `${key}: ${reason}`).join('; '));
      }
    },
  });

  context.metrics.observe(cloudBalance, (observe) => {
    for (const balance of balances.values())
      observe(balance.value, { provider: balance.provider, account_id: balance.accountId });
  });

  return poller.asInstrument();
}

export const cloudbalance = defineInstrument({
  name: 'cloudbalance',
  summary: 'Cloud account balances (Alibaba Cloud, Tencent Cloud, VolcEngine)',
  leaderElection: true,
  needsCluster: false,
  configSchema: cloudbalanceConfig,
  metrics: cloudbalanceMetrics,
  create: createCloudbalance,
});
