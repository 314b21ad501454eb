import type { FastifyInstance } from 'fastify';
import { newId } from '../src/core/ids.js';
import { hashPassword } from '../src/core/password.js';
import { defaultPolicy, mergePolicy, type TokenPolicy } from '../src/core/policy.js';
import type { ServiceContext } from '../src/services/context.js';
import { insertMembership, insertOrg, insertRole } from '../src/store/orgs.js';
import type { Org, User } from '../src/core/model.js';
import { insertUser } from '../src/store/users.js';
import { prepareToken } from '../src/services/tokens/issue.js';
import { insertToken } from '../src/store/tokens.js';
import { generateApiKey, secretHint, verifierPrefix } from '../src/core/token-format.js';
import { insertVerifier } from '../src/store/verifiers.js';
import { digestSecret } from '../src/core/token-hash.js';
import type { Permission } from '../src/core/permissions.js';
import type { RateLimit, UsageLimit } from '../src/core/usage-limits.js';
import { keepSecret } from './secret-capture.js';

export const PASSWORD = 'correct horse battery staple';
// scrypt is deliberately slow: fixtures use a cheap cost, once per test file.
const passwordHash = hashPassword(PASSWORD, 2 ** 10);
let counter = 0;

export async function makeUser(
  ctx: ServiceContext,
  options: { siteAdmin?: boolean; email?: string; name?: string; status?: User['status'] } = {},
): Promise<User> {
  counter += 1;
  const now = ctx.clock.now();
  const user: User = {
    id: newId('usr', now),
    type: 'user',
    email: options.email ?? `user${counter}-${Math.random().toString(36).slice(2, 8)}@example.test`,
    name: options.name ?? `User ${counter}`,
    passwordHash: await passwordHash,
    status: options.status ?? 'active',
    siteAdmin: options.siteAdmin ?? false,
    orgId: null,
    description: null,
    createdBy: null,
    createdAt: now,
    deactivatedAt: null,
  };
  await insertUser(ctx.db, user);
  return user;
}

export async function makeOrg(
  ctx: ServiceContext,
  options: { plan?: string; features?: string[]; policy?: Partial<TokenPolicy>; name?: string } = {},
): Promise<Org> {
  counter += 1;
  const now = ctx.clock.now();
  const bounds = ctx.config.policyBounds;
  const org: Org = {
    id: newId('org', now),
    name: options.name ?? `Org ${counter}`,
    slug: `org-${counter}-${Math.random().toString(36).slice(2, 8)}`,
    plan: options.plan ?? 'enterprise',
    features: options.features ?? [],
    tokenPolicy: mergePolicy(defaultPolicy(bounds), options.policy ?? {}, bounds),
    createdAt: now,
    updatedAt: now,
  };
  await insertOrg(ctx.db, org);
  return org;
}

/** Adds a user to an org with a built-in role name or a custom role id. */
export async function addMember(ctx: ServiceContext, org: Org, user: User, role = 'member'): Promise<void> {
  await insertMembership(ctx.db, { orgId: org.id, userId: user.id, role, createdAt: ctx.clock.now() });
}

export async function makeRole(ctx: ServiceContext, org: Org, permissions: Permission[], name = 'custom'): Promise<string> {
  const id = newId('rol', ctx.clock.now());
  await insertRole(ctx.db, { id, orgId: org.id, name, description: null, permissions, createdAt: ctx.clock.now() });
  return id;
}

export type SessionHeaders = { cookie: string; 'x-csrf-token': string };

/** Signs in through the API and returns the headers a browser would send. */
export async function signIn(app: FastifyInstance, user: User): Promise<SessionHeaders> {
  const response = await app.inject({ method: 'POST', url: '/api/v1/session', payload: { email: user.email, password: PASSWORD } });
  if (response.statusCode !== 200) throw new Error(`sign-in failed: ${response.statusCode} ${response.body}`);
  const cookies = response.cookies as { name: string; value: string }[];
  const session = cookies.find((c) => c.name === 'kw_session')!.value;
  const csrf = cookies.find((c) => c.name === 'kw_csrf')!.value;
  return { cookie: `kw_session=${session}; kw_csrf=${csrf}`, 'x-csrf-token': csrf };
}

/** An org with an owner, an admin and a member, each signed in. */
/** A user, signed in: the row and the headers a browser would send. */
export async function makeSignedInUser(
  app: FastifyInstance,
  ctx: ServiceContext,
  options: Parameters<typeof makeUser>[1] = {},
): Promise<{ user: User; headers: SessionHeaders }> {
  const user = await makeUser(ctx, options);
  return { user, headers: await signIn(app, user) };
}

export async function seedOrg(app: FastifyInstance, ctx: ServiceContext, options: Parameters<typeof makeOrg>[1] = {}) {
  const org = await makeOrg(ctx, options);
  const [owner, admin, member] = [await makeSignedInUser(app, ctx), await makeSignedInUser(app, ctx), await makeSignedInUser(app, ctx)];
  await addMember(ctx, org, owner.user, 'owner');
  await addMember(ctx, org, admin.user, 'admin');
  await addMember(ctx, org, member.user, 'member');
  return { org, owner, admin, member };
}

/**
 * Inserts a token straight into the store (bypassing the tokens service) and returns its secret,
 * for tests of the verify path and of auth that are not about token creation.
 */
export async function makeToken(
  ctx: ServiceContext,
  org: Org,
  owner: User,
  options: {
    scopes?: string[];
    kind?: 'api_key' | 'jwt';
    expiresInDays?: number | null;
    ipAllowlist?: string[];
    impersonatedBy?: User;
    name?: string;
    rateLimits?: RateLimit[];
    usageLimit?: UsageLimit;
  } = {},
): Promise<{ id: string; secret: string }> {
  const now = ctx.clock.now();
  const { token, secret } = await prepareToken(
    ctx,
    {
      orgId: org.id,
      ownerId: owner.id,
      createdBy: options.impersonatedBy?.id ?? owner.id,
      impersonation: options.impersonatedBy !== undefined,
      name: options.name ?? 'test token',
      description: null,
      scopes: options.scopes ?? ['devices:read'],
      kind: options.kind ?? 'api_key',
      ipAllowlist: options.ipAllowlist ?? [],
      expiresAt: options.expiresInDays === null ? null : now + (options.expiresInDays ?? 30) * 86_400_000,
      rotatedFrom: null,
      limits: { rateLimits: options.rateLimits ?? [], usageLimit: options.usageLimit ?? null },
    },
    now,
  );
  await insertToken(ctx.db, token);
  keepSecret(options.kind === 'jwt' ? 'JWT' : 'token', secret);
  return { id: token.id, secret };
}

/** Inserts a verifier credential straight into the store and returns its secret. */
export async function makeVerifier(ctx: ServiceContext, name = 'resource server'): Promise<{ id: string; secret: string }> {
  const now = ctx.clock.now();
  const id = newId('vrf', now);
  const secret = generateApiKey(verifierPrefix(ctx.config.tokenPrefix));
  const digest = digestSecret(ctx.pepper, secret);
  await insertVerifier(ctx.db, { id, name, digest, hint: secretHint(secret), createdBy: null, createdAt: now, lastUsedAt: null, revokedAt: null });
  keepSecret('verifier secret', secret);
  return { id, secret };
}

/** A service account of an org (a `users` row bound to the org, holding the member role there). */
export async function makeServiceAccount(ctx: ServiceContext, org: Org, name = 'deploy bot'): Promise<User> {
  const now = ctx.clock.now();
  const account: User = {
    id: newId('svc', now),
    type: 'service_account',
    email: null,
    name,
    passwordHash: null,
    status: 'active',
    siteAdmin: false,
    orgId: org.id,
    description: null,
    createdBy: null,
    createdAt: now,
    deactivatedAt: null,
  };
  await insertUser(ctx.db, account);
  await addMember(ctx, org, account, 'member');
  return account;
}
