import { newId } from '../src/core/ids.js';
import { defaultPolicy } from '../src/core/policy.js';
import { generateApiKey, secretHint, verifierPrefix } from '../src/core/token-format.js';
import { digestSecret } from '../src/core/token-hash.js';
import type { Token } from '../src/core/model.js';
import type { ServiceContext } from '../src/services/context.js';
import { prepareToken, type TokenLimits } from '../src/services/tokens/issue.js';
import { insertMembership, insertOrg } from '../src/store/orgs.js';
import { analyzeTokens, insertToken, insertTokens } from '../src/store/tokens.js';
import { insertUser } from '../src/store/users.js';
import { insertVerifier } from '../src/store/verifiers.js';

export type VerifyFixture = {
  orgId: string;
  /** A product token with `scopes`, for verify. */
  token: string;
  tokenId: string;
  /** The same product token with a rate limit and credits, both too high to refuse anything in a bench. */
  limitedToken: string;
  /** The org owner's management token (keyward:tokens:read/write), for protected routes. */
  manager: string;
  verifier: string;
  scopes: string[];
};

export type SeededToken = { id: string; secret: string };

/** The bench's deployment: token caps out of the way, so creation can be measured for seconds. */
export const BENCH_BOUNDS = { max_tokens_per_user: 10_000_000, max_lifetime_days: 365, allowed_kinds: ['api_key', 'jwt'], allow_no_expiration: true };

/** One org, its owner with a product token and a management token, and one verifier credential, straight into the store. */
export async function seedVerifyFixture(ctx: ServiceContext): Promise<VerifyFixture> {
  const now = ctx.clock.now();
  const orgId = newId('org', now);
  const userId = newId('usr', now);
  const scopes = ['devices:read', 'device_requests:read'];
  await insertOrg(ctx.db, {
    id: orgId,
    name: 'Bench Org',
    slug: `bench-${orgId.slice(-8).toLowerCase()}`,
    plan: 'enterprise',
    features: [],
    tokenPolicy: { ...defaultPolicy(ctx.config.policyBounds), max_tokens_per_user: ctx.config.policyBounds.max_tokens_per_user },
    createdAt: now,
    updatedAt: now,
  });
  await insertUser(ctx.db, {
    id: userId,
    type: 'user',
    email: `bench-${userId.slice(-8).toLowerCase()}@example.test`,
    name: 'Bench',
    passwordHash: null,
    status: 'active',
    siteAdmin: false,
    orgId: null,
    description: null,
    createdBy: null,
    createdAt: now,
    deactivatedAt: null,
  });
  await insertMembership(ctx.db, { orgId, userId, role: 'owner', createdAt: now });
  const issue = async (name: string, tokenScopes: string[], limits: TokenLimits = NO_LIMITS) => {
    const { token, secret } = await prepareToken(ctx, { ...tokenSpec(orgId, userId, name, tokenScopes, now), limits }, now);
    await insertToken(ctx.db, token);
    return { id: token.id, secret };
  };
  const verifier = generateApiKey(verifierPrefix(ctx.config.tokenPrefix));
  await insertVerifier(ctx.db, {
    id: newId('vrf', now),
    name: 'bench',
    digest: digestSecret(ctx.pepper, verifier),
    hint: secretHint(verifier),
    createdBy: null,
    createdAt: now,
    lastUsedAt: null,
    revokedAt: null,
  });
  const product = await issue('bench token', scopes);
  const limited = await issue('bench limited token', scopes, {
    rateLimits: [{ name: 'bench', limit: 1_000_000_000, window_seconds: 60 }],
    usageLimit: { remaining: 1_000_000_000_000, refill: null },
  });
  return {
    orgId,
    token: product.secret,
    tokenId: product.id,
    limitedToken: limited.secret,
    manager: (await issue('bench manager', [...scopes, 'keyward:tokens:read', 'keyward:tokens:write'])).secret,
    verifier,
    scopes,
  };
}

function tokenSpec(orgId: string, ownerId: string, name: string, scopes: string[], now: number) {
  return {
    orgId,
    ownerId,
    createdBy: ownerId,
    impersonation: false,
    name,
    description: null,
    kind: 'api_key' as const,
    scopes,
    ipAllowlist: [],
    expiresAt: now + 30 * 86_400_000,
    rotatedFrom: null,
    limits: NO_LIMITS,
  };
}

const NO_LIMITS: TokenLimits = { rateLimits: [], usageLimit: null };

/**
 * `count` more api_key tokens of the fixture's org, inserted in multi-row statements (the bulk
 * path of a migration, not the API), owned by the fixture's owner. Returns up to `keep` of them.
 */
export async function seedTokens(ctx: ServiceContext, fixture: VerifyFixture, count: number, keep: number): Promise<SeededToken[]> {
  const owner = await ctx.db.selectFrom('memberships').select('user_id').where('org_id', '=', fixture.orgId).executeTakeFirstOrThrow();
  const kept: SeededToken[] = [];
  const batch = 500;
  const now = ctx.clock.now();
  for (let done = 0; done < count; done += batch) {
    const rows: Token[] = [];
    for (let i = done; i < Math.min(count, done + batch); i++) {
      // One millisecond apart, oldest first, as if made one after another.
      const { token, secret } = await prepareToken(ctx, tokenSpec(fixture.orgId, owner.user_id, `seeded ${i}`, fixture.scopes, now), now - count + i);
      rows.push(token);
      if (kept.length < keep) kept.push({ id: token.id, secret });
    }
    await insertTokens(ctx.db, rows);
  }
  // As after any bulk import: the planner learns the table's new size now, not at autovacuum's next pass.
  await analyzeTokens(ctx.db);
  return kept;
}
