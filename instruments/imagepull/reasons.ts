/**
 * Kubelet waiting states and messages to the failure reasons of `image_pull_failures`: the
 * original's classes for the `reason` label, and our finer ones for `cause`.
 */

/** Waiting reasons that mean the image could not be had. */
export const FAILURE_WAITING_REASONS = new Set([
  'ErrImagePull',
  'ImagePullBackOff',
  'RegistryUnavailable',
  'InvalidImageName',
  'ImageInspectError',
  'ErrImageNeverPull',
  'Cancelled',
  // Older kubelets (dockershim) reported this one.
  'ErrImagePullBackOff',
]);

/** Reasons whose message carries the registry's or runtime's error, and so can be classified. */
const CLASSIFIED_WAITING_REASONS = new Set(['ErrImagePull', 'ImagePullBackOff', 'ErrImagePullBackOff']);

export const BACK_OFF = 'back_off_pulling_image';

/**
 * The original's classifier (pkg/collector/imagepull/classifier.go), pattern for pattern and in
 * its order: the `reason` label. `pull access denied, repository does not exist or may require
 * authorization` is image_not_found there, and so here.
 */
const ORIGINAL_PATTERNS: readonly [RegExp, string][] = [
  [/not found|notfound|manifest unknown|repository does not exist/i, 'image_not_found'],
  [/proxyconnect|proxy error/i, 'proxy_error'],
  [/unauthorized|authentication require|failed to authorize|authorization failed/i, 'unauthorized'],
  [/tls handshake|failed to verify certificate/i, 'tls_handshake_error'],
  [/i\/o timeout/i, 'io_timeout'],
  [/connection refused/i, 'connection_refused'],
  [/failed to do request/i, 'network_error'],
];

/** The `reason` label, as the original classifies a container waiting in `waitingReason`. */
export function originalPullReason(waitingReason: string, message: string): string {
  const lower = waitingReason.toLowerCase();
  if (lower !== 'errimagepull' && lower !== 'imagepullbackoff') return lower;
  for (const [pattern, reason] of ORIGINAL_PATTERNS) if (pattern.test(message)) return reason;
  return message.toLowerCase().startsWith('back-off pulling image') ? BACK_OFF : 'unknown';
}

/**
 * Checked in order: the first match wins, so the more specific patterns come first. A proxy that
 * cannot be reached is the proxy's fault whatever the dial says; a lookup is DNS even when it
 * timed out; a timeout is a timeout even inside the TLS handshake.
 */
const PATTERNS: readonly [RegExp, string][] = [
  [/\b429\b|toomanyrequests|too many requests|rate limit/i, 'rate_limited'],
  [/proxyconnect|proxy error/i, 'proxy_error'],
  [
    /\blookup \S+?(?: on \S+)?: |no such host|server misbehaving|temporary failure in name resolution|name or service not known/i,
    'dns_error',
  ],
  [/not found|manifest unknown|repository does not exist|name unknown|no such image/i, 'image_not_found'],
  [
    /unauthorized|failed to authorize|authorization failed|authentication required|denied|\b403 forbidden|failed to fetch (?:oauth|anonymous) token|no basic auth credentials/i,
    'unauthorized',
  ],
  [
    /i\/o timeout|deadline exceeded|timeout awaiting|awaiting headers|handshake timeout|timed out/i,
    'io_timeout',
  ],
  [
    /tls handshake|failed to verify certificate|x509:|certificate signed by unknown authority|remote error: tls|\btls: /i,
    'tls_handshake_error',
  ],
  [/connection refused/i, 'connection_refused'],
  [
    /failed to do request|network is unreachable|no route to host|connection reset|EOF\b|pinging container registry/i,
    'network_error',
  ],
  [/back-?off pulling image/i, BACK_OFF],
];

/** The `cause` label, our finer class, for a container waiting in `waitingReason` with kubelet's `message`. */
export function classifyPullFailure(waitingReason: string, message: string): string {
  if (!CLASSIFIED_WAITING_REASONS.has(waitingReason)) return waitingReason.toLowerCase();
  for (const [pattern, reason] of PATTERNS) if (pattern.test(message)) return reason;
  return waitingReason === 'ImagePullBackOff' ? BACK_OFF : 'unknown';
}

/** "Successfully pulled image "x" in 3.2s (3.2s including waiting)" -> 3.2; undefined if not such a message. */
export function pulledSeconds(message: string): number | undefined {
  const match = /Successfully pulled image .* in ((?:\d+(?:\.\d+)?(?:ms|µs|us|ns|h|m|s))+)/.exec(message);
  if (!match) return undefined;
  let seconds = 0;
  for (const [, value, unit] of (match[1] as string).matchAll(/(\d+(?:\.\d+)?)(h|ms|m|s|µs|us|ns)/g)) {
    const n = Number(value);
    seconds +=
      unit === 'h'
        ? n * 3600
        : unit === 'm'
          ? n * 60
          : unit === 's'
            ? n
            : unit === 'ms'
              ? n / 1000
              : unit === 'ns'
                ? n / 1e9
                : n / 1e6;
  }
  return seconds;
}
