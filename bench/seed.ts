import { newId } from '../src/core/ids.js';
import { defaultPolicy } from '../src/core/policy.js';
import { generateApiKey, secretHint, verifierPrefix } from '../src/core/token-format.js';
import { digestSecret } from '../src/core/token-hash.js';
import type { ServiceContext } from '../src/services/context.js';
import { prepareToken } from '../src/services/tokens/issue.js';
import { insertMembership, insertOrg } from '../src/store/orgs.js';
import { insertToken } from '../src/store/tokens.js';
import { insertUser } from '../src/store/users.js';
import { insertVerifier } from '../src/store/verifiers.js';

export type VerifyFixture = { token: string; verifier: string; scopes: string[] };

/** One org, one member with a 30-day api_key token, and one verifier credential, straight into the store. */
export async function seedVerifyFixture(ctx: ServiceContext): Promise<VerifyFixture> {
  const now = ctx.clock.now();
  const orgId = newId('org', now);
  const userId = newId('usr', now);
  const scopes = ['devices:read', 'device_requests:read'];
  await insertOrg(ctx.db, {
    id: orgId,
    name: 'Bench Org',
    slug: 'bench',
    plan: 'enterprise',
    features: [],
    tokenPolicy: defaultPolicy(ctx.config.policyBounds),
    createdAt: now,
    updatedAt: now,
  });
  await insertUser(ctx.db, {
    id: userId,
    type: 'user',
    email: 'bench@example.test',
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
  await insertMembership(ctx.db, { orgId, userId, role: 'member', createdAt: now });
  const { token, secret } = await prepareToken(
    ctx,
    {
      orgId,
      ownerId: userId,
      createdBy: userId,
      impersonation: false,
      name: 'bench token',
      description: null,
      kind: 'api_key',
      scopes,
      ipAllowlist: [],
      expiresAt: now + 30 * 86_400_000,
      rotatedFrom: null,
    },
    now,
  );
  await insertToken(ctx.db, token);
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
  return { token: secret, verifier, scopes };
}
