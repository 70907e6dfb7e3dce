/**
 * domain: DNS, TLS certificate and HTTP probes of configured endpoints, every resolved address on
 * its own, so one bad backend behind a name shows. Cluster-independent, but one prober is enough:
 * runs on the leader.
 */
import { defineInstrument, type InstrumentContext } from '../../lib/instrument.js';
import { healthCounts, probeLoop } from '../../lib/probe/fanout.js';
import { type HttpProbeResult, probeHttp } from '../../lib/probe/http-probe.js';
import type { ProbeError, ProbeErrorType } from '../../lib/probe/probe-error.js';
import { type DomainConfig, type DomainEntry, domainConfig, type Endpoint, parseEndpoint } from './config.js';
import { type CheckFailure, certErrorType, dnsErrorType, httpErrorType } from './error-type.js';
import {
  domainCertExpiry,
  domainDnsStatus,
  domainHealth,
  domainMetrics,
  domainResponseTime,
  domainStatus,
} from './metrics.js';

const MAX_REDIRECTS = 5;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

interface CheckOutcome {
  readonly ok: boolean;
  /** Why it failed; absent when it passed. */
  readonly failure?: CheckFailure;
}

const PASSED: CheckOutcome = { ok: true };

function failed(reason: ProbeErrorType, code?: string, statusCode?: number): CheckOutcome {
  return { ok: false, failure: { reason, code, statusCode } };
}

function failedWith(error: ProbeError): CheckOutcome {
  return failed(error.errorType, error.code);
}

export interface AddressResult {
  readonly seconds: number;
  readonly http?: CheckOutcome;
  readonly cert?: CheckOutcome & { readonly expirySeconds?: number };
}

interface DomainTarget {
  readonly entry: DomainEntry;
  readonly endpoint: Endpoint;
}

function statusAccepted(status: number, expected: readonly number[]): boolean {
  return expected.length === 0 ? status >= 200 && status < 500 : expected.includes(status);
}

function certificateCheck(result: HttpProbeResult, entry: DomainEntry, nowMs: number): AddressResult['cert'] {
  const certificate = result.certificate;
  if (!certificate) return result.error ? failedWith(result.error) : failed('unknown');
  const expirySeconds = Math.round((certificate.notAfterMs - nowMs) / 1000);
  // Dates by this process's clock; trust and the name only when verification is on.
  const outcome: CheckOutcome =
    certificate.notAfterMs <= nowMs
      ? failed('cert_expired')
      : certificate.notBeforeMs > nowMs
        ? failed('cert_not_yet_valid')
        : entry.skipTLSVerify || !certificate.problem
          ? PASSED
          : failedWith(certificate.problem);
  return { ...outcome, expirySeconds };
}

function createDomain(context: InstrumentContext, config: DomainConfig) {
  const targets: DomainTarget[] = config.domains.map((entry) => ({
    entry,
    endpoint: parseEndpoint(entry.endpoint) as Endpoint,
  }));

  /** The HTTP check, following redirects: same host keeps the address, another is resolved. */
  async function httpCheck(
    target: DomainTarget,
    firstAddress: string,
    first: HttpProbeResult,
    signal: AbortSignal,
  ): Promise<CheckOutcome> {
    let result = first;
    let url = new URL(
      `${target.endpoint.scheme}://${target.endpoint.host}:${target.endpoint.port}${target.entry.path}`,
    );
    let method = target.entry.method;
    for (let hop = 0; ; hop += 1) {
      if (result.error) return failedWith(result.error);
      const status = result.statusCode ?? 0;
      const location = result.headers?.location;
      if (
        !target.entry.followHTTPRedirects ||
        !REDIRECTS.has(status) ||
        typeof location !== 'string' ||
        hop >= MAX_REDIRECTS
      ) {
        return statusAccepted(status, target.entry.expectedStatusCodes)
          ? PASSED
          : failed('unexpected_status', undefined, status);
      }
      const next = new URL(location, url);
      if (next.protocol !== 'http:' && next.protocol !== 'https:') return failed('unexpected_status');
      if (status === 303 || ((status === 301 || status === 302) && method === 'POST')) method = 'GET';
      const scheme = next.protocol === 'https:' ? 'https' : 'http';
      const port = Number(next.port) || (scheme === 'https' ? 443 : 80);
      const host = next.hostname.replace(/^\[|\]$/g, '');
      const sameOrigin =
        host === target.endpoint.host && port === target.endpoint.port && scheme === target.endpoint.scheme;
      let address: string;
      try {
        address = sameOrigin ? firstAddress : ((await resolver.resolve(host))[0] as string);
      } catch (error) {
        const { errorType, code } = error as Partial<ProbeError>;
        return failed(errorType ?? 'dns_error', code);
      }
      url = next;
      result = await probeHttp({
        scheme,
        host,
        port,
        address,
        path: `${next.pathname}${next.search}`,
        method,
        headers: target.entry.headers,
        verifyTls: !target.entry.skipTLSVerify,
        timeoutMs: config.checkTimeout,
        dialAttempts: config.dialRetries,
        signal,
      });
    }
  }

  async function probeAddress(target: DomainTarget, address: string, signal: AbortSignal) {
    const https = target.endpoint.scheme === 'https';
    const first = await probeHttp({
      ...target.endpoint,
      address,
      path: target.entry.path,
      method: target.entry.method,
      headers: target.entry.headers,
      verifyTls: !target.entry.skipTLSVerify,
      timeoutMs: config.checkTimeout,
      dialAttempts: config.dialRetries,
      sendRequest: config.includeHTTPCheck,
      signal,
    });
    const cert =
      https && config.includeCertCheck
        ? certificateCheck(first, target.entry, context.clock.now())
        : undefined;
    const http = config.includeHTTPCheck ? await httpCheck(target, address, first, signal) : undefined;
    const result: AddressResult = {
      seconds: first.seconds,
      ...(http ? { http } : {}),
      ...(cert ? { cert } : {}),
    };
    return { healthy: (http?.ok ?? true) && (cert?.ok ?? true), result };
  }

  const { poller, outcomes, resolver } = probeLoop(
    context,
    config,
    targets,
    (target) => target.endpoint.host,
    probeAddress,
  );

  context.metrics.observe(domainHealth, (observe) => {
    for (const outcome of outcomes()) {
      for (const [type, value] of healthCounts(outcome))
        observe(value, { domain: outcome.target.entry.endpoint, type });
    }
  });
  context.metrics.observe(domainDnsStatus, (observe) => {
    for (const outcome of outcomes()) {
      const failure = outcome.dnsError;
      observe(failure ? 0 : 1, {
        domain: outcome.target.entry.endpoint,
        error_type: failure ? dnsErrorType({ reason: failure.errorType, code: failure.code }) : '',
        reason: failure?.errorType ?? '',
      });
    }
  });
  context.metrics.observe(domainStatus, (observe) => {
    for (const outcome of outcomes()) {
      for (const { address, result } of outcome.addresses) {
        for (const [checkType, check, errorType] of [
          ['http', result.http, httpErrorType],
          ['cert', result.cert, certErrorType],
        ] as const) {
          if (!check) continue;
          observe(check.ok ? 1 : 0, {
            domain: outcome.target.entry.endpoint,
            ip: address,
            check_type: checkType,
            error_type: check.failure ? errorType(check.failure) : '',
            reason: check.failure?.reason ?? '',
          });
        }
      }
    }
  });
  context.metrics.observe(domainCertExpiry, (observe) => {
    for (const outcome of outcomes()) {
      for (const { address, result } of outcome.addresses) {
        // As the original: only for a certificate that passed and has not expired.
        if (!result.cert?.ok || result.cert.expirySeconds === undefined || result.cert.expirySeconds <= 0)
          continue;
        observe(result.cert.expirySeconds, {
          domain: outcome.target.entry.endpoint,
          ip: address,
          error_type: '',
        });
      }
    }
  });
  context.metrics.observe(domainResponseTime, (observe) => {
    for (const outcome of outcomes()) {
      for (const { address, result } of outcome.addresses) {
        // As the original: the time of an HTTP check that passed.
        if (result.http?.ok) observe(result.seconds, { domain: outcome.target.entry.endpoint, ip: address });
      }
    }
  });

  return poller.asInstrument();
}

export const domain = defineInstrument({
  name: 'domain',
  summary: 'DNS, TLS certificate and HTTP probes of configured endpoints, per resolved address',
  leaderElection: true,
  needsCluster: false,
  configSchema: domainConfig,
  metrics: domainMetrics,
  create: createDomain,
});
