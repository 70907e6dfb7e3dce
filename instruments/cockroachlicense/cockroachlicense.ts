/**
 * cockroachlicense: the enterprise license of CockroachDB clusters, read with
 * `SHOW CLUSTER SETTING enterprise.license` over the PostgreSQL protocol and decoded locally.
 * Every configured cluster always has its six series (the dashboard counts clusters by them);
 * a cluster that cannot be read shows up 0 and zeros, with the reason in /health.
 */
import { dsnPassword, safeErrorLine } from '../../lib/config/redact.js';
import { defineInstrument, type InstrumentContext, type InstrumentHealth } from '../../lib/instrument.js';
import { Poller } from '../../lib/poller.js';
import { type CockroachlicenseConfig, cockroachlicenseConfig } from './config.js';
import { decodeLicense, type License } from './license.js';
import {
  cockroachlicenseMetrics,
  licenseExpiry,
  licenseInfo,
  licenseLastScrape,
  licenseSecondsUntilExpiry,
  licenseType,
  licenseUp,
} from './metrics.js';

// pg loads with the first check: a config without cockroachlicense never pays for it.
const loadPg = () => import('pg');

interface ClusterStatus {
  readonly license: License | undefined;
  readonly scrapedAt: number;
  readonly error?: string;
}

async function readLicense(dsn: string, timeoutMs: number): Promise<string> {
  const { default: pg } = await loadPg();
  const client = new pg.Client({
    connectionString: dsn,
    connectionTimeoutMillis: timeoutMs,
    query_timeout: timeoutMs,
  });
  try {
    await client.connect();
    const result = await client.query<Record<string, string | null>>(
      'SHOW CLUSTER SETTING enterprise.license',
    );
    const row = result.rows[0];
    return row ? (Object.values(row)[0] ?? '') : '';
  } finally {
    await client.end().catch(() => undefined);
  }
}

function createCockroachlicense(context: InstrumentContext, config: CockroachlicenseConfig) {
  const statuses = new Map<string, ClusterStatus>();
  const poller = new Poller(context, {
    intervalMs: config.checkInterval,
    timeoutMs: config.checkTimeout + 2000,
    run: async () => {
      await Promise.all(
        config.clusters.map(async (cluster) => {
          const scrapedAt = context.clock.now() / 1000;
          try {
            const license = decodeLicense(await readLicense(cluster.dsn, config.checkTimeout));
            statuses.set(cluster.name, { license, scrapedAt });
          } catch (error) {
            statuses.set(cluster.name, {
              license: undefined,
              scrapedAt,
              error: safeErrorLine(error, [dsnPassword(cluster.dsn)]),
            });
          }
        }),
      );
      const failed = [...statuses].filter(([, status]) => status.error);
      if (failed.length > 0)
        throw new Error(failed.map(([name, status]) => `${name}: ${status.error}`).join('; '));
    },
  });

  const each = (callback: (cluster: string, status: ClusterStatus) => void) => {
    for (const cluster of config.clusters) {
      const status = statuses.get(cluster.name);
      if (status) callback(cluster.name, status);
    }
  };
  const secondsLeft = (license: License) => license.validUntilUnixSec - context.clock.now() / 1000;

  context.metrics.observe(licenseUp, (observe) =>
    each((cluster, { license }) => observe(license && secondsLeft(license) > 0 ? 1 : 0, { cluster })),
  );
  context.metrics.observe(licenseInfo, (observe) =>
    each((cluster, { license }) =>
      observe(license ? 1 : 0, {
        cluster,
        type: license?.type ?? '',
        environment: license?.environment ?? '',
        license_id: license?.licenseId ?? '',
        organization_id: license?.organizationId ?? '',
        organization_name: license?.organizationName ?? '',
      }),
    ),
  );
  context.metrics.observe(licenseType, (observe) =>
    each((cluster, { license }) => observe(license?.typeValue ?? 0, { cluster, type: license?.type ?? '' })),
  );
  context.metrics.observe(licenseExpiry, (observe) =>
    each((cluster, { license }) => observe(license?.validUntilUnixSec ?? 0, { cluster })),
  );
  context.metrics.observe(licenseSecondsUntilExpiry, (observe) =>
    each((cluster, { license }) => observe(license ? Math.round(secondsLeft(license)) : 0, { cluster })),
  );
  context.metrics.observe(licenseLastScrape, (observe) =>
    each((cluster, { scrapedAt }) => observe(Math.floor(scrapedAt), { cluster })),
  );

  return {
    ...poller.asInstrument(),
    health: (): InstrumentHealth => poller.health(),
  };
}

export const cockroachlicense = defineInstrument({
  name: 'cockroachlicense',
  summary: 'CockroachDB enterprise license metadata and expiry, decoded locally',
  leaderElection: true,
  needsCluster: false,
  configSchema: cockroachlicenseConfig,
  metrics: cockroachlicenseMetrics,
  create: createCockroachlicense,
});
