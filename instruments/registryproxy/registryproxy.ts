/**
 * registryproxy: Docker registry mirrors, per resolved address: the `/v2/` API answers (a 401
 * with a challenge counts, as registries answer so) and a given manifest can be fetched.
 * Runs on the leader.
 */
import { defineInstrument, type InstrumentContext } from '../../lib/instrument.js';
import { healthCounts, probeLoop } from '../../lib/probe/fanout.js';
import { type HttpProbeResult, probeHttp } from '../../lib/probe/http-probe.js';
import type { ProbeErrorType } from '../../lib/probe/probe-error.js';
import {
  parseRegistryEndpoint,
  pathEscape,
  type RegistryEndpoint,
  type RegistryEntry,
  type RegistryproxyConfig,
  registryproxyConfig,
} from './config.js';
import { type RegistryErrorType, registryCheckErrorType, registryDnsErrorType } from './error-type.js';
import {
  type RegistryLabels,
  registryProxyDnsStatus,
  registryProxyHealth,
  registryProxyResponseTime,
  registryProxyStatus,
  registryproxyMetrics,
} from './metrics.js';

interface RegistryTarget {
  readonly entry: RegistryEntry;
  readonly endpoint: RegistryEndpoint;
  readonly labels: RegistryLabels;
}

export interface CheckResult {
  readonly ok: boolean;
  readonly statusCode: number;
  /** The original's value, `''` when it passed. */
  readonly errorType: RegistryErrorType | '';
  /** Our finer reason, `''` when it passed. */
  readonly reason: ProbeErrorType | '';
  readonly seconds: number;
}

export type AddressChecks = Readonly<Record<'api' | 'manifest', CheckResult>>;

/** `/v2/` is reachable on 2xx or 401, as the original has it: the API is there, it may want a token. */
export function apiReachable(result: HttpProbeResult): boolean {
  const status = result.statusCode ?? 0;
  return (status >= 200 && status < 300) || status === 401;
}

function checkOf(result: HttpProbeResult, ok: (result: HttpProbeResult) => boolean): CheckResult {
  const statusCode = result.statusCode ?? 0;
  const { seconds } = result;
  if (result.error) {
    const reason = result.error.errorType;
    return { ok: false, statusCode, errorType: registryCheckErrorType(reason), reason, seconds };
  }
  return ok(result)
    ? { ok: true, statusCode, errorType: '', reason: '', seconds }
    : { ok: false, statusCode, errorType: 'HTTPStatus', reason: 'unexpected_status', seconds };
}

function createRegistryproxy(context: InstrumentContext, config: RegistryproxyConfig) {
  const targets: RegistryTarget[] = config.registries.map((entry) => {
    const endpoint = parseRegistryEndpoint(entry.endpoint) as RegistryEndpoint;
    return {
      entry,
      endpoint,
      labels: {
        endpoint: entry.endpoint,
        scheme: endpoint.scheme,
        host: endpoint.host,
        port: String(endpoint.port),
        info: entry.info,
        repository: entry.repository,
        reference: entry.reference,
      },
    };
  });

  async function probeAddress(target: RegistryTarget, address: string, signal: AbortSignal) {
    const request = (path: string, headers: Record<string, string>) =>
      probeHttp({
        ...target.endpoint,
        address,
        path,
        method: 'GET',
        headers: { ...target.entry.headers, ...headers },
        verifyTls: true,
        timeoutMs: config.checkTimeout,
        dialAttempts: 1,
        signal,
      });
    const [api, manifest] = await Promise.all([
      request('/v2/', {}),
      request(`/v2/${target.entry.repository}/manifests/${pathEscape(target.entry.reference)}`, {
        accept: target.entry.manifestAcceptHeader,
      }),
    ]);
    const result: AddressChecks = {
      api: checkOf(api, apiReachable),
      manifest: checkOf(manifest, (r) => (r.statusCode ?? 0) >= 200 && (r.statusCode ?? 0) < 300),
    };
    return { healthy: result.api.ok && result.manifest.ok, result };
  }

  const { poller, outcomes } = probeLoop(
    context,
    config,
    targets,
    (target) => target.endpoint.host,
    probeAddress,
  );

  context.metrics.observe(registryProxyHealth, (observe) => {
    for (const outcome of outcomes()) {
      for (const [type, value] of healthCounts(outcome)) observe(value, { ...outcome.target.labels, type });
    }
  });
  context.metrics.observe(registryProxyDnsStatus, (observe) => {
    for (const outcome of outcomes()) {
      const failure = outcome.dnsError;
      observe(failure ? 0 : 1, {
        ...outcome.target.labels,
        error_type: failure ? registryDnsErrorType(failure.errorType, failure.code) : '',
        reason: failure?.errorType ?? '',
      });
    }
  });
  context.metrics.observe(registryProxyStatus, (observe) => {
    for (const outcome of outcomes()) {
      for (const { address, result } of outcome.addresses) {
        for (const checkType of ['api', 'manifest'] as const) {
          const check = result[checkType];
          observe(check.ok ? 1 : 0, {
            ...outcome.target.labels,
            ip: address,
            check_type: checkType,
            status_code: String(check.statusCode),
            error_type: check.errorType,
            reason: check.reason,
          });
        }
      }
    }
  });
  context.metrics.observe(registryProxyResponseTime, (observe) => {
    for (const outcome of outcomes()) {
      for (const { address, result } of outcome.addresses) {
        for (const checkType of ['api', 'manifest'] as const) {
          observe(result[checkType].seconds, {
            ...outcome.target.labels,
            ip: address,
            check_type: checkType,
          });
        }
      }
    }
  });

  return poller.asInstrument();
}

export const registryproxy = defineInstrument({
  name: 'registryproxy',
  summary: 'Docker registry mirrors per resolved address: the /v2/ API and a manifest fetch',
  leaderElection: true,
  needsCluster: false,
  configSchema: registryproxyConfig,
  metrics: registryproxyMetrics,
  create: createRegistryproxy,
});
