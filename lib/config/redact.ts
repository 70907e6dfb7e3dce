/**
 * Secret hygiene for anything that prints config: values under secret-looking keys are masked,
 * header maps are masked, and passwords inside URLs (DSNs) are masked wherever they appear.
 */
const SECRET_KEY = /pass(word)?|secret|token|dsn|access.?key|api.?key|credential|license|private.?key/i;
const MASK = '<redacted>';

export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

/** A value somewhere under a secret key or inside a header map. */
export function isSecretPath(path: readonly string[]): boolean {
  return path.some((key) => isSecretKey(key) || /^headers$/i.test(key));
}

/** `postgres://user:pw@host/db` -> `postgres://user:<redacted>@host/db`. */
export function redactUrlPassword(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/[^/\s:@]*):[^@\s/]*@/gi, `$1:${MASK}@`);
}

export function redactValue(key: string, value: unknown): unknown {
  if (value === undefined || value === null || value === '') return value;
  if (isSecretKey(key)) {
    // A DSN keeps its host and database visible: that is what an operator needs to debug.
    return typeof value === 'string' && /^[a-z][a-z0-9+.-]*:\/\//i.test(value) && /dsn/i.test(key)
      ? redactUrlPassword(value).replace(/(password|sslkey)=[^&\s]*/gi, `$1=${MASK}`)
      : MASK;
  }
  if (/^headers$/i.test(key) && typeof value === 'object') {
    return Object.fromEntries(Object.keys(value as object).map((name) => [name, MASK]));
  }
  return redact(value);
}

/** A deep copy of a config-like value with every secret masked. */
export function redact(value: unknown): unknown {
  if (typeof value === 'string') return redactUrlPassword(value);
  if (Array.isArray(value)) return value.map((item) => redact(item));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, child]) => [key, redactValue(key, child)]));
  }
  return value;
}

/** The password in a connection URL (DSN), decoded; empty when there is none or it is not a URL. */
export function dsnPassword(dsn: string): string {
  try {
    return decodeURIComponent(new URL(dsn).password);
  } catch {
    return '';
  }
}

/**
 * What an error may say in health, logs and the debug page: its first line, at most 300
 * characters, with the given secrets and any password inside a URL masked. Drivers and SDKs quote
 * connection strings and request details in their messages.
 */
export function safeErrorLine(error: unknown, secrets: readonly (string | undefined)[] = []): string {
  const message = error instanceof Error ? error.message : String(error);
  let line = (message.split('\n')[0] ?? '').slice(0, 300) || 'error';
  for (const secret of secrets) if (secret) line = line.replaceAll(secret, MASK);
  return redactUrlPassword(line);
}
