import { createHash } from 'node:crypto';
import { AnswerCache } from './cache.js';
import { RevocationFeedClient } from './feed.js';
import { OfflineJwts } from './jwt.js';
import type { VerifyAnswer } from './wire.js';

export type VerifierOptions = {
  /** Keyward's base URL, e.g. `https://keyward.internal:8080`. */
  url: string;
  /** A verifier credential (`kwv_…`), created by a site admin. */
  verifierSecret: string;
  /** How long a VALID answer may be reused; the revocation feed drops it sooner. Default 5000. */
  cacheTtlMs?: number;
  /** The JWT issuer and audience (Keyward's `KEYWARD_PUBLIC_URL`). Default: `url`. */
  issuer?: string;
  /** Verify `kind: jwt` tokens from their signature while the feed is live. Default true. */
  offlineJwt?: boolean;
  /** Abort a verify call after this long. Default 5000. */
  timeoutMs?: number;
  /** Most answers kept. Default 10,000. */
  maxEntries?: number;
  fetch?: typeof fetch;
};

export type VerifyOptions = {
  /** All of these must be held. */
  scopes?: string[];
  /** The client's address, for tokens with an IP allowlist. */
  ip?: string;
  /** What this call costs against the token's usage limits; such calls always ask Keyward. */
  cost?: number;
  /** The header the client used; `x-api-key` is refused where the token's org does not accept it. */
  header?: 'authorization' | 'x-api-key';
};

export type Verifier = {
  /** Keyward's answer about the token, from the cache when it may be trusted. */
  verify(token: string, options?: VerifyOptions): Promise<VerifyAnswer>;
  /** Whether the revocation feed is up, so answers may be cached. */
  readonly feedLive: boolean;
  close(): void;
};

/** Keyward could not answer (unreachable, a refused verifier credential, a server error): fail closed. */
export class VerifierUnavailable extends Error {
  override readonly name = 'VerifierUnavailable';
}

/**
 * A verifier for a resource server: asks `POST /api/v1/verify`, reuses VALID answers for at
 * most `cacheTtlMs`, and follows the revocation feed so a revoked, disabled or rotated-away token
 * is dropped within a second. While the feed is down nothing is cached and every call asks.
 */
export function createVerifier(options: VerifierOptions): Verifier {
  const base = options.url.replace(/\/+$/, '');
  const doFetch = options.fetch ?? fetch;
  const cache = new AnswerCache(options.cacheTtlMs ?? 5_000, options.maxEntries ?? 10_000);
  const jwts = options.offlineJwt === false ? null : new OfflineJwts(base, options.issuer ?? base, doFetch);
  const feed = new RevocationFeedClient(
    { url: base, verifierSecret: options.verifierSecret, fetch: doFetch },
    {
      live: (ready) => {
        jwts?.mustAskOnline(ready.online_jwt_ids);
        cache.trust();
      },
      down: () => cache.distrust(),
      token: (event) => {
        cache.drop((t) => t.id === event.token_id);
        jwts?.mustAskOnline([event.token_id]);
      },
      owner: (event) => {
        cache.drop((t) => t.owner.id === event.user_id || t.created_by.id === event.user_id);
        jwts?.ownerChanged(event.user_id);
      },
      org: (event) => {
        cache.drop((t) => t.org_id === event.org_id);
        jwts?.orgChanged(event.org_id);
      },
    },
  );

  async function ask(token: string, verifyOptions: VerifyOptions): Promise<VerifyAnswer> {
    let response: Response;
    try {
      response = await doFetch(`${base}/api/v1/verify`, {
        method: 'POST',
        headers: { authorization: `Bearer ${options.verifierSecret}`, 'content-type': 'application/json' },
        body: JSON.stringify({ token, ...verifyOptions }),
        signal: AbortSignal.timeout(options.timeoutMs ?? 5_000),
      });
    } catch (error) {
      throw new VerifierUnavailable(`Keyward did not answer: ${(error as Error).message}`);
    }
    if (response.status !== 200) {
      await response.body?.cancel();
      throw new VerifierUnavailable(`Keyward answered ${response.status} to the verify call.`);
    }
    return (await response.json()) as VerifyAnswer;
  }

  return {
    get feedLive() {
      return feed.live;
    },
    async verify(token, verifyOptions = {}) {
      const scopes = verifyOptions.scopes ?? [];
      const counted = verifyOptions.cost !== undefined;
      // Only Keyward knows whether the token's org accepts X-API-Key.
      if (!counted && feed.live && jwts && verifyOptions.header !== 'x-api-key') {
        const offline = await jwts.verify(token, scopes);
        if (offline) return offline;
      }
      const key = createHash('sha256')
        .update(`${verifyOptions.ip ?? ''}\0${verifyOptions.header ?? 'authorization'}\0`)
        .update(token)
        .digest('base64');
      const cached = counted ? undefined : cache.answer(key, scopes);
      if (cached) return cached;
      const ticket = cache.ticket();
      const answer = await ask(token, verifyOptions);
      if (!counted) cache.keep(key, answer, ticket);
      return answer;
    },
    close() {
      feed.close();
    },
  };
}
