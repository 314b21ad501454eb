import { createHash } from 'node:crypto';
import { newId } from '../../core/ids.js';
import type { Token } from '../../core/model.js';
import { generateApiKey, secretHint } from '../../core/token-format.js';
import { digestSecret } from '../../core/token-hash.js';
import type { ServiceContext } from '../context.js';

/** Everything a new token needs besides what `prepareToken` generates. */
export type TokenSpec = Pick<
  Token,
  'orgId' | 'ownerId' | 'createdBy' | 'impersonation' | 'name' | 'description' | 'scopes' | 'kind' | 'ipAllowlist' | 'expiresAt' | 'rotatedFrom'
>;

/** A token to store and its secret, which is shown once and never stored. */
export type PreparedToken = { token: Token; secret: string };

/**
 * Generates the secret (an API key, or a signed JWT) and the token to store with only its digest.
 * Done before the transaction that stores it opens, so no query waits behind the signing.
 */
export async function prepareToken(ctx: ServiceContext, spec: TokenSpec, nowMs: number): Promise<PreparedToken> {
  const id = newId('tok', nowMs);
  const secret =
    spec.kind === 'jwt'
      ? await ctx.jwtKeys.sign({
          sub: spec.ownerId,
          org: spec.orgId,
          scope: spec.scopes.join(' '),
          jti: id,
          iat: Math.floor(nowMs / 1000),
          ...(spec.expiresAt !== null ? { exp: Math.floor(spec.expiresAt / 1000) } : {}),
          // RFC 8693: the admin who acts on the member's behalf.
          ...(spec.impersonation ? { act: { sub: spec.createdBy } } : {}),
          ...(spec.ipAllowlist.length > 0 ? { ip_restricted: true as const } : {}),
        })
      : generateApiKey(ctx.config.tokenPrefix);
  const token: Token = {
    ...spec,
    id,
    digest: digestSecret(ctx.pepper, secret),
    hint: secretHint(secret),
    createdAt: nowMs,
    lastUsedAt: null,
    lastUsedIp: null,
    revokedAt: null,
    revokedReason: null,
    disabledAt: null,
    disabledReason: null,
    replacedBy: null,
    expiringNotifiedAt: null,
    expiredNotifiedAt: null,
  };
  return { token, secret };
}

/** The SHA-256 of a secret (GitHub's `hashed_token`): lets an audit trail be matched to a leak. */
export function hashedToken(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}
