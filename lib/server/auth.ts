/**
 * Bearer-token auth for the metrics path, the way kube-rbac-proxy and the kubelet do it: the
 * token is checked with a TokenReview, then a SubjectAccessReview asks whether that user may `get`
 * the non-resource URL. Decisions are cached briefly (by token hash, never the token itself).
 *
 * Unauthenticated clients must not be able to spend what leader election and the watches need:
 * reviews have their own budget (not the API client's rate limit), a client address may ask for
 * only a few reviews of new tokens a second, concurrent checks of one token share one review,
 * and refusals are cached apart from acceptances, so a flood of made-up tokens cannot evict a
 * scraper that was let in.
 */
import { createHash } from 'node:crypto';
import type { KubeClient } from '../kube/client.js';
import { TokenBucket } from '../token-bucket.js';

export interface AuthDecision {
  /**
   * 200 allowed, 401 no or invalid token, 403 valid but not allowed, 429 this address asks for
   * too many reviews, 503 the API could not answer or the review budget is spent.
   */
  readonly status: 200 | 401 | 403 | 429 | 503;
  readonly reason: string;
  readonly user?: string;
  /** Refused by this process's own review budget, not by the API: expected under a flood, not worth a warning. */
  readonly throttled?: true;
}

/**
 * Both reviews of one token must answer within this; a scrape is not held for the API client's
 * own (much longer) request timeout while Prometheus has long given up.
 */
export const REVIEW_TIMEOUT_MS = 5_000;
const ALLOW_TTL_MS = 60_000;
const DENY_TTL_MS = 10_000;
const MAX_ALLOWED = 1024;
const MAX_DENIED = 4096;
/** Reviews (a TokenReview and, for a valid token, a SubjectAccessReview) begun a second, at most. */
export const REVIEWS_PER_SECOND = 10;
const REVIEW_BURST = 20;
/** New tokens one client address may have reviewed a second; past it, 429 without a review. */
export const ADDRESS_REVIEWS_PER_SECOND = 1;
const ADDRESS_BURST = 5;
const MAX_ADDRESSES = 4096;

/** A map of at most `limit` entries, the oldest dropped first. */
class Bounded<V> extends Map<string, V> {
  constructor(readonly limit: number) {
    super();
  }

  override set(key: string, value: V): this {
    this.delete(key);
    if (this.size >= this.limit) this.delete(this.keys().next().value as string);
    return super.set(key, value);
  }
}

interface TokenReview {
  status?: {
    authenticated?: boolean;
    user?: { username?: string; groups?: string[]; uid?: string };
    error?: string;
  };
}

interface SubjectAccessReview {
  status?: { allowed?: boolean; reason?: string };
}

export class TokenAuthorizer {
  readonly #client: KubeClient;
  readonly #allowed = new Bounded<{ decision: AuthDecision; expires: number }>(MAX_ALLOWED);
  readonly #denied = new Bounded<{ decision: AuthDecision; expires: number }>(MAX_DENIED);
  readonly #inFlight = new Map<string, Promise<AuthDecision>>();
  readonly #budget = new TokenBucket(REVIEWS_PER_SECOND, REVIEW_BURST);
  readonly #addresses = new Bounded<TokenBucket>(MAX_ADDRESSES);

  constructor(client: KubeClient) {
    this.#client = client;
  }

  async check(authorization: string | undefined, path: string, address = ''): Promise<AuthDecision> {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    if (!match) return { status: 401, reason: 'no bearer token' };
    const token = match[1] as string;
    const key = createHash('sha256').update(token).update('\0').update(path).digest('hex');
    const now = Date.now();
    for (const cache of [this.#allowed, this.#denied]) {
      const cached = cache.get(key);
      if (cached && cached.expires > now) return cached.decision;
    }
    // Scrapes that arrive together with one new token wait for one review.
    const pending = this.#inFlight.get(key);
    if (pending) return pending;
    let bucket = this.#addresses.get(address);
    if (!bucket) {
      bucket = new TokenBucket(ADDRESS_REVIEWS_PER_SECOND, ADDRESS_BURST);
      this.#addresses.set(address, bucket);
    }
    if (!bucket.take())
      return { status: 429, reason: 'too many new tokens from this address', throttled: true };
    if (!this.#budget.take())
      return { status: 503, reason: 'token reviews are being rate-limited', throttled: true };
    const review = this.#review(token, path).then((decision) => {
      if (decision.status === 200) this.#allowed.set(key, { decision, expires: Date.now() + ALLOW_TTL_MS });
      else if (decision.status !== 503)
        this.#denied.set(key, { decision, expires: Date.now() + DENY_TTL_MS });
      return decision;
    });
    this.#inFlight.set(key, review);
    try {
      return await review;
    } finally {
      this.#inFlight.delete(key);
    }
  }

  async #review(token: string, path: string): Promise<AuthDecision> {
    const signal = AbortSignal.timeout(REVIEW_TIMEOUT_MS);
    const failure = (what: string, error: unknown): AuthDecision => ({
      status: 503,
      reason: signal.aborted
        ? `${what}: no answer from the API server within ${REVIEW_TIMEOUT_MS} ms`
        : `${what} failed: ${(error as Error).message}`,
    });
    let review: TokenReview;
    try {
      review = await this.#client.request<TokenReview>(
        'POST',
        '/apis/authentication.k8s.io/v1/tokenreviews',
        {
          body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token } },
          signal,
          // Reviews have their own budget above; they must not wait behind, or delay, leases and watches.
          rateLimited: false,
        },
      );
    } catch (error) {
      return failure('TokenReview', error);
    }
    const user = review.status?.user;
    if (!review.status?.authenticated || !user?.username) return { status: 401, reason: 'invalid token' };
    let access: SubjectAccessReview;
    try {
      access = await this.#client.request<SubjectAccessReview>(
        'POST',
        '/apis/authorization.k8s.io/v1/subjectaccessreviews',
        {
          body: {
            apiVersion: 'authorization.k8s.io/v1',
            kind: 'SubjectAccessReview',
            spec: {
              user: user.username,
              groups: user.groups ?? [],
              ...(user.uid ? { uid: user.uid } : {}),
              nonResourceAttributes: { path, verb: 'get' },
            },
          },
          signal,
          rateLimited: false,
        },
      );
    } catch (error) {
      return failure('SubjectAccessReview', error);
    }
    return access.status?.allowed
      ? { status: 200, reason: 'allowed', user: user.username }
      : { status: 403, reason: `${user.username} may not get ${path}`, user: user.username };
  }
}
