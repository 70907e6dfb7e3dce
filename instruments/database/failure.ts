/**
 * Why a database check failed, as a small closed set: the `reason` label of
 * `database_check_error`. Raw driver messages never become labels (unbounded, and they may
 * echo a user name or host); they go to the debug log, secret-scrubbed.
 */
export const FAILURE_REASONS = [
  /** The KubeBlocks Cluster is Stopped or Stopping: not contacted. */
  'stopped',
  /** No connection Secret for the Cluster. */
  'secret_missing',
  /** The Secret lacks a password (or user name where one is needed), or holds an unusable host/port. */
  'secret_invalid',
  /** The Service the host names does not exist. */
  'no_service',
  /** The Service exists but has no ready endpoints. */
  'no_endpoints',
  /** The host name does not resolve. */
  'dns',
  /** Nothing listens on the port. */
  'refused',
  /** No route to the host or network. */
  'unreachable',
  /** No answer within `checkTimeout`. */
  'timeout',
  /** The server closed or reset the connection before the ping answered. */
  'reset',
  /** The server refused the credentials. */
  'auth_failed',
  /** A TLS handshake or certificate failure. */
  'tls',
  /** Something answered, but not as this database type does (wrong port, wrong server). */
  'protocol',
  /** Anything else; the debug log has the driver's message. */
  'unknown',
] as const;

export type FailureReason = (typeof FAILURE_REASONS)[number];

/** A failure already classified where it happened (preflight, Secret parsing, deadline). */
export class CheckFailure extends Error {
  constructor(
    readonly reason: FailureReason,
    message: string,
  ) {
    super(message);
    this.name = 'CheckFailure';
  }
}

const SYSTEM_CODES: Readonly<Record<string, FailureReason>> = {
  ECONNREFUSED: 'refused',
  EHOSTUNREACH: 'unreachable',
  ENETUNREACH: 'unreachable',
  EADDRNOTAVAIL: 'unreachable',
  ETIMEDOUT: 'timeout',
  ECONNRESET: 'reset',
  EPIPE: 'reset',
  ENOTFOUND: 'dns',
  EAI_AGAIN: 'dns',
  // PostgreSQL SQLSTATE: invalid_password, invalid_authorization_specification.
  '28P01': 'auth_failed',
  '28000': 'auth_failed',
  // MySQL: access denied for user, for database.
  ER_ACCESS_DENIED_ERROR: 'auth_failed',
  ER_DBACCESS_DENIED_ERROR: 'auth_failed',
  ER_NOT_SUPPORTED_AUTH_MODE: 'auth_failed',
  // MongoDB server error codes travel as numbers.
  '18': 'auth_failed',
  '13': 'auth_failed',
};

const MESSAGE_PATTERNS: readonly [RegExp, FailureReason][] = [
  [
    /WRONGPASS|NOAUTH|invalid (username-)?password|AUTH <password> called without any password/i,
    'auth_failed',
  ],
  [/password authentication failed|Access denied for user|Authentication failed/i, 'auth_failed'],
  [/ECONNREFUSED/, 'refused'],
  [/EHOSTUNREACH|ENETUNREACH/, 'unreachable'],
  [/ETIMEDOUT|timed out|timeout/i, 'timeout'],
  [
    /ECONNRESET|EPIPE|Connection terminated|connection .*closed|socket hang up|Connection is closed/i,
    'reset',
  ],
  [/certificate|SSL|TLS/i, 'tls'],
  [/ENOTFOUND|EAI_AGAIN/, 'dns'],
  [/protocol|Unexpected|unknown message|invalid packet|Packets out of order|Premature close/i, 'protocol'],
];

function causes(error: unknown): unknown[] {
  const chain: unknown[] = [];
  let current = error;
  while (current && chain.length < 5 && !chain.includes(current)) {
    chain.push(current);
    current = (current as { cause?: unknown }).cause;
  }
  return chain;
}

/** Maps a driver's error (and its causes) to a reason; table-tested against real driver errors. */
export function classifyFailure(error: unknown): FailureReason {
  const chain = causes(error);
  for (const entry of chain) {
    if (entry instanceof CheckFailure) return entry.reason;
  }
  for (const entry of chain) {
    const code = (entry as { code?: unknown }).code;
    if ((typeof code === 'string' || typeof code === 'number') && SYSTEM_CODES[String(code)]) {
      return SYSTEM_CODES[String(code)] as FailureReason;
    }
    if (
      typeof code === 'string' &&
      /^(ERR_TLS|ERR_SSL|CERT_|DEPTH_ZERO|SELF_SIGNED|UNABLE_TO_VERIFY)/.test(code)
    ) {
      return 'tls';
    }
  }
  for (const entry of chain) {
    const message = entry instanceof Error ? entry.message : String(entry);
    for (const [pattern, reason] of MESSAGE_PATTERNS) if (pattern.test(message)) return reason;
  }
  return 'unknown';
}
