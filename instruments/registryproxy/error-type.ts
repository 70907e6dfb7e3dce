/**
 * The original's `error_type` values for registry proxy checks (pkg/collector/registryproxy/
 * checker.go: `classifyRegistryError` and the DNS branches), derived from why a check failed.
 */
import { isNoUsableAddress, type ProbeErrorType } from '../../lib/probe/probe-error.js';

export type RegistryErrorType = 'DNS' | 'NoIP' | 'Connect' | 'HTTPStatus' | 'Request' | 'Context';

/** `registry_proxy_dns_status`: a failed lookup is `DNS`; resolving to no usable address is `NoIP`. */
export function registryDnsErrorType(reason: ProbeErrorType, code: string | undefined): RegistryErrorType {
  return isNoUsableAddress(reason, code) ? 'NoIP' : 'DNS';
}

/** `registry_proxy_status`: one `/v2/` or manifest request. */
export function registryCheckErrorType(reason: ProbeErrorType): RegistryErrorType {
  switch (reason) {
    // Go (1.23 on, the original builds with 1.25) wraps every client and dial timeout in
    // context.DeadlineExceeded, which the original tests for first: `Context`, never `Timeout`.
    case 'timeout':
    case 'dns_timeout':
      return 'Context';
    // "connection refused", "no route to host", "network is unreachable".
    case 'connection_refused':
    case 'unreachable':
      return 'Connect';
    case 'unexpected_status':
      return 'HTTPStatus';
    default:
      return 'Request';
  }
}
