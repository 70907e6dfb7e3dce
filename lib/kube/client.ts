/**
 * Kubernetes API access over a ClusterConnection (connection.ts: the in-cluster service account
 * or a kubeconfig), with a client-side rate limit (`kubernetes.qps` / `burst`) as client-go
 * applies it.
 */
import { TokenBucket } from '../token-bucket.js';
import { USER_AGENT } from '../version.js';
import type { ClusterConnection } from './connection.js';
import { continueOfHead, LIST_HEAD_LIMIT } from './list-head.js';
import { ListItemSplitter } from './list-items.js';
import type { KubeAnswer } from './transport.js';

/**
 * The largest watch event read: the API server refuses objects past about 3 MiB (its request
 * body limit, under etcd's 1.5 MiB default per value), so a line past this is not an event.
 */
export const MAX_WATCH_EVENT_BYTES = 16 * 1024 * 1024;

export class WatchEventTooLarge extends Error {
  constructor(limit: number) {
    super(`a watch event passed ${limit} bytes without ending; the watch is dropped`);
    this.name = 'WatchEventTooLarge';
  }
}

/**
 * Splits a byte stream at newlines in linear time: each chunk is searched once, and a line's
 * pieces are joined only when it ends. A line longer than `limit` throws WatchEventTooLarge.
 */
export class LineSplitter {
  readonly #limit: number;
  #pieces: Buffer[] = [];
  #length = 0;

  constructor(limit: number) {
    this.#limit = limit;
  }

  *push(chunk: Uint8Array): Generator<Buffer> {
    let bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    for (let newline = bytes.indexOf(10); newline >= 0; newline = bytes.indexOf(10)) {
      const tail = bytes.subarray(0, newline);
      if (this.#length + tail.length > this.#limit) throw new WatchEventTooLarge(this.#limit);
      const line = this.#pieces.length === 0 ? tail : Buffer.concat([...this.#pieces, tail]);
      this.#pieces = [];
      this.#length = 0;
      bytes = bytes.subarray(newline + 1);
      yield line;
    }
    if (bytes.length === 0) return;
    this.#length += bytes.length;
    if (this.#length > this.#limit) throw new WatchEventTooLarge(this.#limit);
    // Copied: the stream may reuse the chunk's memory.
    this.#pieces.push(Buffer.from(bytes));
  }
}

export class KubeApiError extends Error {
  readonly code: number;
  readonly reason: string;
  readonly retryAfterSeconds: number | undefined;
  constructor(code: number, reason: string, message: string, retryAfterSeconds?: number) {
    super(message);
    this.name = 'KubeApiError';
    this.code = code;
    this.reason = reason;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** The client-side rate limit: a request waits for a token of the bucket. */
class RateLimiter {
  readonly #bucket: TokenBucket;

  constructor(qps: number, burst: number) {
    this.#bucket = new TokenBucket(qps, burst);
  }

  async take(signal?: AbortSignal): Promise<void> {
    while (!this.#bucket.take()) {
      await new Promise((resolve) => setTimeout(resolve, this.#bucket.msUntilToken()));
      signal?.throwIfAborted();
    }
  }
}

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** A list page as KubeClient.listPage reads it. */
export interface ListPage<T> {
  /** The page's continue token once the body's head names it; see KubeClient.listPage. */
  readonly next: Promise<string | null | undefined>;
  readonly page: Promise<T>;
}

export interface RequestOptions {
  readonly query?: Record<string, string | number | boolean | undefined>;
  readonly body?: unknown;
  readonly signal?: AbortSignal;
  /** false: outside the client-side rate limit, for callers with a budget of their own. */
  readonly rateLimited?: boolean;
}

function statusError(code: number, text: string, retryAfter: string | null): KubeApiError {
  let reason = 'Unknown';
  let message = text.slice(0, 300);
  try {
    const parsed = JSON.parse(text) as { reason?: string; message?: string };
    reason = parsed.reason ?? reason;
    message = parsed.message ?? message;
  } catch {
    // Not a Status object (a proxy's error page, say): keep the text.
  }
  const seconds = retryAfter === null ? undefined : Number(retryAfter);
  return new KubeApiError(
    code,
    reason,
    `${code} ${reason}: ${message}`,
    Number.isFinite(seconds) ? seconds : undefined,
  );
}

/** As client-go names its callers: program/version. */

const succeeded = (answer: KubeAnswer) => answer.status >= 200 && answer.status < 300;

export class KubeClient {
  readonly connection: ClusterConnection;
  readonly #limiter: RateLimiter;

  readonly #requestTimeoutMs: number;
  readonly #watchIdleMs: number;

  constructor(
    connection: ClusterConnection,
    limits: { qps: number; burst: number; requestTimeoutMs?: number; watchIdleMs?: number },
  ) {
    this.connection = connection;
    this.#limiter = new RateLimiter(limits.qps, limits.burst);
    this.#requestTimeoutMs = limits.requestTimeoutMs ?? 60_000;
    this.#watchIdleMs = limits.watchIdleMs ?? 120_000;
  }

  get server(): string {
    return this.connection.server;
  }

  async #send(method: Method, path: string, options: RequestOptions & { signal: AbortSignal }) {
    const url = new URL(this.server.replace(/\/$/, '') + path);
    for (const [key, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    const body = options.body !== undefined ? JSON.stringify(options.body) : undefined;
    const answer = await this.connection.send({
      method,
      url,
      headers: {
        accept: 'application/json',
        'user-agent': USER_AGENT,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      signal: options.signal,
      ...(body !== undefined ? { body } : {}),
    });
    if (answer.status === 401) this.connection.rejected();
    return answer;
  }

  /**
   * One request; a non-2xx answer throws KubeApiError with the API's reason and Retry-After. A
   * request without a whole answer within `kubernetes.requestTimeout` is cut with an error
   * saying so (the rate limiter's wait does not count).
   */
  async request<T>(method: Method, path: string, options: RequestOptions = {}): Promise<T> {
    return JSON.parse(await this.#exchange(method, path, options, (answer) => answer.text())) as T;
  }

  /**
   * One page of a list. Its items go to `onItem` one by one as their bytes arrive
   * (list-items.ts); `page` is the rest of the body (kind, apiVersion, metadata, and `items`
   * only if the body had them where the scan does not look). `next` is the page's continue token
   * as soon as the body's head names it (list-head.ts), so the caller may ask for the next page
   * while the API server still writes this one: undefined when the head does not say, `null`
   * when it says this is the last page.
   */
  listPage<T>(path: string, options: RequestOptions, onItem: (item: unknown) => void): ListPage<T> {
    let tell: (token: string | null | undefined) => void = () => {};
    const next = new Promise<string | null | undefined>((resolve) => {
      tell = resolve;
    });
    const page = this.#exchange('GET', path, options, async (answer) => {
      const splitter = new ListItemSplitter(onItem);
      const head: Uint8Array[] = [];
      let headBytes = 0;
      let told = false;
      for await (const chunk of answer.chunks()) {
        if (!told) {
          head.push(chunk);
          headBytes += chunk.length;
          const found = continueOfHead(
            Buffer.concat(head, Math.min(headBytes, LIST_HEAD_LIMIT)).toString('latin1'),
          );
          if (found !== undefined || headBytes >= LIST_HEAD_LIMIT) {
            told = true;
            head.length = 0;
            tell(found);
          }
        }
        splitter.push(chunk);
      }
      return splitter.end<T>();
    });
    void page.finally(() => tell(undefined)).catch(() => {});
    return { next, page };
  }

  async #exchange<R>(
    method: Method,
    path: string,
    options: RequestOptions,
    read: (answer: KubeAnswer) => Promise<R>,
  ): Promise<R> {
    if (options.rateLimited !== false) await this.#limiter.take(options.signal);
    const timeoutMs = this.#requestTimeoutMs;
    const cut = new AbortController();
    const timer = setTimeout(() => cut.abort(), timeoutMs);
    const signal = options.signal ? AbortSignal.any([options.signal, cut.signal]) : cut.signal;
    try {
      const answer = await this.#send(method, path, { ...options, signal });
      if (!succeeded(answer)) {
        throw statusError(answer.status, await answer.text(), answer.header('retry-after'));
      }
      return await read(answer);
    } catch (error) {
      if (cut.signal.aborted && !options.signal?.aborted) {
        throw new Error(`${method} ${path}: no answer from the API server within ${timeoutMs} ms`);
      }
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * A watch stream: calls `onEvent` per JSON line until the server ends the stream (resolves) or
   * the request fails (rejects with KubeApiError). Aborting the signal ends it. A stream that
   * brings nothing for `kubernetes.watchIdleTimeout` ends as if the server had ended it (the
   * caller re-watches from its last resourceVersion); it resolves `idle` then.
   */
  async watch(
    path: string,
    query: Record<string, string | number | boolean | undefined>,
    onEvent: (event: { type: string; object: Record<string, unknown> }) => void,
    signal: AbortSignal,
  ): Promise<'ended' | 'idle'> {
    await this.#limiter.take(signal);
    const idle = new AbortController();
    let timer = setTimeout(() => idle.abort(), this.#watchIdleMs);
    const rearm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => idle.abort(), this.#watchIdleMs);
    };
    try {
      const both = AbortSignal.any([signal, idle.signal]);
      const answer = await this.#send('GET', path, {
        query: { ...query, watch: true },
        signal: both,
      });
      if (!succeeded(answer)) {
        throw statusError(answer.status, await answer.text(), answer.header('retry-after'));
      }
      const lines = new LineSplitter(MAX_WATCH_EVENT_BYTES);
      for await (const chunk of answer.chunks()) {
        for (const line of lines.push(chunk as Uint8Array)) {
          // Only a whole event counts as life: a server trickling bytes of a line that never
          // ends is as silent as one sending nothing.
          rearm();
          const text = line.toString('utf8').trim();
          if (text !== '') onEvent(JSON.parse(text) as { type: string; object: Record<string, unknown> });
        }
      }
      return 'ended';
    } catch (error) {
      if (idle.signal.aborted && !signal.aborted) return 'idle';
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }
}
