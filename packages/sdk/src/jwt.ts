import { createRemoteJWKSet, customFetch, decodeJwt, jwtVerify, type JWTPayload } from 'jose';
import { scopeAnswer } from './scopes.js';
import type { VerifyAnswer } from './wire.js';

type KeywardClaims = JWTPayload & { jti: string; sub: string; org: string; scope?: string; act?: { sub?: string }; ip_restricted?: boolean; limited?: boolean };

/** Whether a segment is the one base64url spelling of its bytes (no padding, no stray bits). */
function canonical(segment: string): boolean {
  return Buffer.from(segment, 'base64url').toString('base64url') === segment;
}

/** Service accounts' ids carry this prefix (DESIGN §4 ids); everyone else is a user. */
const SERVICE_ACCOUNT_PREFIX = 'svc_';

/**
 * Keyward's JWTs checked from their signature against the JWKS, with no call per request. The
 * revocation feed names what must be asked about online instead: revoked, disabled or rotated
 * JWTs (by id), and every JWT of an owner or org whose power changed. Anything this cannot vouch
 * for (a bad signature, an expired token, an IP-restricted one) is left to Keyward to answer.
 */
export class OfflineJwts {
  private readonly online = new Set<string>();
  private readonly owners = new Set<string>();
  private readonly orgs = new Set<string>();
  private readonly keys: ReturnType<typeof createRemoteJWKSet>;

  constructor(
    base: string,
    private readonly issuer: string,
    fetchImpl: typeof fetch,
  ) {
    this.keys = createRemoteJWKSet(new URL('/.well-known/jwks.json', base), {
      [customFetch]: (url: string, init: RequestInit) => fetchImpl(url, init),
    });
  }

  mustAskOnline(tokenIds: readonly string[]): void {
    for (const id of tokenIds) this.online.add(id);
  }

  ownerChanged(userId: string): void {
    this.owners.add(userId);
  }

  orgChanged(orgId: string): void {
    this.orgs.add(orgId);
  }

  /** The answer from the JWT alone, or null when Keyward must be asked. */
  async verify(token: string, scopes: readonly string[]): Promise<VerifyAnswer | null> {
    const parts = token.split('.');
    // Keyward knows a token by its exact string: a re-encoding of the same bytes is not it.
    if (!token.startsWith('eyJ') || parts.length !== 3 || !parts.every(canonical)) return null;
    let claims: KeywardClaims;
    try {
      if (!this.vouchable(decodeJwt(token))) return null;
      const { payload } = await jwtVerify(token, this.keys, {
        issuer: this.issuer,
        audience: this.issuer,
        algorithms: ['EdDSA'],
        typ: 'at+jwt',
        requiredClaims: ['jti', 'sub', 'org', 'iat'],
      });
      claims = payload as KeywardClaims;
    } catch {
      return null;
    }
    // The feed may have spoken while the keys were being fetched.
    if (!this.vouchable(claims)) return null;
    const creator = claims.act?.sub ?? claims.sub;
    return scopeAnswer(
      {
        id: claims.jti,
        org_id: claims.org,
        owner: { type: claims.sub.startsWith(SERVICE_ACCOUNT_PREFIX) ? 'service_account' : 'user', id: claims.sub },
        scopes: claims.scope ? claims.scope.split(' ') : [],
        kind: 'jwt',
        expires_at: claims.exp === undefined ? null : new Date(claims.exp * 1000).toISOString(),
        impersonation: claims.act !== undefined,
        created_by: { id: creator },
        limited: false,
      },
      scopes,
    );
  }

  private vouchable(claims: JWTPayload): boolean {
    const { jti, sub, org, act, ip_restricted, limited } = claims as Partial<KeywardClaims>;
    // An IP-restricted token needs Keyward's allowlist, a limited one its counters: both go online.
    if (typeof jti !== 'string' || typeof sub !== 'string' || typeof org !== 'string' || ip_restricted === true || limited === true) return false;
    if (this.online.has(jti) || this.owners.has(sub) || this.orgs.has(org)) return false;
    return !(act?.sub !== undefined && this.owners.has(act.sub));
  }
}
