import { newId } from '../src/core/ids.js';
import { defaultPolicy } from '../src/core/policy.js';
import { generateApiKey, secretHint, verifierPrefix } from '../src/core/token-format.js';
import { digestSecret } from '../src/core/token-hash.js';
import type { ServiceContext } from '../src/services/context.js';
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
    features: '[]',
    token_policy: JSON.stringify(defaultPolicy(ctx.config.policyBounds)),
    created_at: now,
    updated_at: now,
  });
  await insertUser(ctx.db, {
    id: userId,
    type: 'user',
    email: 'bench@example.test',
    name: 'Bench',
    password_hash: null,
    status: 'active',
    site_admin: 0,
    org_id: null,
    description: null,
    created_by: null,
    created_at: now,
  });
  await insertMembership(ctx.db, { org_id: orgId, user_id: userId, role: 'member', created_at: now });
  const token = generateApiKey(ctx.config.tokenPrefix);
  await insertToken(ctx.db, {
    id: newId('tok', now),
    org_id: orgId,
    owner_id: userId,
    created_by: userId,
    impersonation: 0,
    name: 'bench token',
    kind: 'api_key',
    scopes: JSON.stringify(scopes),
    digest: digestSecret(ctx.pepper, token),
    hint: secretHint(token),
    ip_allowlist: '[]',
    created_at: now,
    expires_at: now + 30 * 86_400_000,
  });
  const verifier = generateApiKey(verifierPrefix(ctx.config.tokenPrefix));
  await insertVerifier(ctx.db, {
    id: newId('vrf', now),
    name: 'bench',
    digest: digestSecret(ctx.pepper, verifier),
    hint: secretHint(verifier),
    created_at: now,
  });
  return { token, verifier, scopes };
}
