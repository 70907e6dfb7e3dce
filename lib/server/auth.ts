/**
 * Bearer-token auth for the metrics path, the way kube-rbac-proxy and the kubelet do it: the
 * token is checked with a TokenReview, then a SubjectAccessReview asks whether that user may `get`
 * the non-resource URL. Decisions are cached briefly (by token hash, never the token itself).
 */
import { createHash } from 'node:crypto';
import type { KubeClient } from '../kube/client.js';

export interface AuthDecision {
  /** 200 allowed, 401 no or invalid token, 403 valid but not allowed, 503 the API could not answer. */
  readonly status: 200 | 401 | 403 | 503;
  readonly reason: string;
  readonly user?: string;
}

/**
 * Both reviews of one token must answer within this; a scrape is not held for the API client's
 * own (much longer) request timeout while Prometheus has long given up.
 */
export const REVIEW_TIMEOUT_MS = 5_000;
const ALLOW_TTL_MS = 60_000;
const DENY_TTL_MS = 10_000;
const MAX_ENTRIES = 1024;

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
  readonly #cache = new Map<string, { decision: AuthDecision; expires: number }>();

  constructor(client: KubeClient) {
    this.#client = client;
  }

  async check(authorization: string | undefined, path: string): Promise<AuthDecision> {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    if (!match) return { status: 401, reason: 'no bearer token' };
    const token = match[1] as string;
    const key = createHash('sha256').update(token).update('\0').update(path).digest('hex');
    const cached = this.#cache.get(key);
    if (cached && cached.expires > Date.now()) return cached.decision;
    const decision = await this.#review(token, path);
    if (decision.status !== 503) {
      if (this.#cache.size >= MAX_ENTRIES) this.#cache.delete(this.#cache.keys().next().value as string);
      this.#cache.set(key, {
        decision,
        expires: Date.now() + (decision.status === 200 ? ALLOW_TTL_MS : DENY_TTL_MS),
      });
    }
    return decision;
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
