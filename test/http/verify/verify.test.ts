import { generateKeyPairSync } from 'node:crypto';
import { SignJWT } from 'jose';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generateApiKey } from '../../../src/core/token-format.js';
import { isPostgres } from '../../../src/store/engine.js';
import { updateOrg } from '../../../src/store/orgs.js';
import { findTokenById, updateToken } from '../../../src/store/tokens.js';
import { setUserStatus } from '../../../src/store/users.js';
import { verifyToken } from '../../../src/services/verification.js';
import { addMember, makeOrg, makeToken, makeUser, makeVerifier, seedOrg, signIn } from '../../factories.js';
import { json, startTestApp, type TestApp } from '../../harness.js';
import { countQueries } from '../../security/attack-helpers.js';

let t: TestApp;
let verifier: { id: string; secret: string };
beforeEach(async () => {
  t = await startTestApp();
  verifier = await makeVerifier(t.ctx);
});
afterEach(() => t.close());

type VerifyAnswer = {
  valid: boolean;
  code: string;
  token?: {
    id: string;
    org_id: string;
    owner: { type: string; id: string };
    scopes: string[];
    kind: string;
    expires_at: string | null;
    impersonation: boolean;
    created_by: { id: string };
  };
  missing_scopes?: string[];
};

async function verify(body: Record<string, unknown>, headers: Record<string, string> = { authorization: `Bearer ${verifier.secret}` }) {
  return t.app.inject({ method: 'POST', url: '/api/v1/verify', headers, payload: body });
}

async function answer(body: Record<string, unknown>): Promise<VerifyAnswer> {
  const response = await verify(body);
  expect(response.statusCode).toBe(200);
  return json<VerifyAnswer>(response);
}

async function tokenOwner(options: Parameters<typeof makeOrg>[1] = {}) {
  const org = await makeOrg(t.ctx, options);
  const user = await makeUser(t.ctx);
  await addMember(t.ctx, org, user, 'member');
  return { org, user };
}

/** Lets fire-and-forget audit writes land. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

async function auditActions(targetId: string): Promise<string[]> {
  const rows = await t.ctx.db.selectFrom('audit_events').select('action').where('target_id', '=', targetId).execute();
  return rows.map((r) => r.action);
}

function foreignKeyJwt(kid: string, claims: Record<string, unknown>): Promise<string> {
  const { privateKey } = generateKeyPairSync('ed25519');
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', kid })
    .setIssuer('http://keyward.test')
    .setAudience('http://keyward.test')
    .setIssuedAt()
    .sign(privateKey);
}

const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('POST /api/v1/verify: codes', () => {
  it('answers NOT_FOUND, not a 500, for a token whose org is gone', async () => {
    const { org, user } = await tokenOwner();
    const { secret } = await makeToken(t.ctx, org, user);
    // The store never lets an org go while its tokens stay; the test has to switch the checks off.
    if (isPostgres(t.ctx.db)) {
      await t.ctx.db.transaction().execute(async (trx) => {
        await sql`set local session_replication_role = replica`.execute(trx);
        await trx.deleteFrom('orgs').where('id', '=', org.id).execute();
      });
    } else {
      await sql`pragma foreign_keys = off`.execute(t.ctx.db);
      await t.ctx.db.deleteFrom('orgs').where('id', '=', org.id).execute();
    }
    t.ctx.invalidate.org(org.id);
    expect(await answer({ token: secret })).toEqual({ valid: false, code: 'NOT_FOUND' });
  });

  it('answers VALID with the token facts and its effective scopes', async () => {
    const { org, user } = await tokenOwner();
    const { id, secret } = await makeToken(t.ctx, org, user, { scopes: ['devices:read', 'clients:read'] });
    const result = await answer({ token: secret, scopes: ['devices:read'] });
    expect(result).toEqual({
      valid: true,
      code: 'VALID',
      token: {
        id,
        org_id: org.id,
        owner: { type: 'user', id: user.id },
        scopes: ['devices:read', 'clients:read'],
        kind: 'api_key',
        expires_at: new Date(t.clock.now() + 30 * 86_400_000).toISOString(),
        impersonation: false,
        created_by: { id: user.id },
        limited: false,
      },
    });
  });

  it('answers MALFORMED for garbage, a wrong prefix and a bad checksum', async () => {
    const { org, user } = await tokenOwner();
    const { secret } = await makeToken(t.ctx, org, user);
    const last = secret.at(-1) === 'A' ? 'B' : 'A';
    for (const token of ['', 'hello', `zz${secret.slice(2)}`, secret.slice(0, -1) + last, `${secret}x`]) {
      expect(await answer({ token })).toEqual({ valid: false, code: 'MALFORMED' });
    }
  });

  it('answers MALFORMED without touching the database', async () => {
    const { org, user } = await tokenOwner();
    const { secret } = await makeToken(t.ctx, org, user);
    await answer({ token: secret }); // warms the verifier's cache entry
    const counter = countQueries(t.ctx);
    try {
      const badChecksum = secret.slice(0, -1) + (secret.at(-1) === 'A' ? 'B' : 'A');
      expect((await answer({ token: badChecksum })).code).toBe('MALFORMED');
      expect((await answer({ token: 'not a token' })).code).toBe('MALFORMED');
      expect(counter.count()).toBe(0);
      // The counter does see reads: an unknown well-formed token is looked up.
      expect((await answer({ token: generateApiKey('kw') })).code).toBe('NOT_FOUND');
      expect(counter.count()).toBeGreaterThan(0);
    } finally {
      counter.restore();
    }
  });

  it('answers NOT_FOUND for a well-formed unknown token', async () => {
    expect(await answer({ token: generateApiKey('kw') })).toEqual({ valid: false, code: 'NOT_FOUND' });
  });

  it('answers EXPIRED once the expiry passes, and audits the failed use', async () => {
    const { org, user } = await tokenOwner();
    const { id, secret } = await makeToken(t.ctx, org, user, { expiresInDays: 30 });
    expect((await answer({ token: secret })).code).toBe('VALID');
    t.clock.advanceDays(30);
    expect(await answer({ token: secret })).toEqual({ valid: false, code: 'EXPIRED' });
    await settle();
    expect(await auditActions(id)).toContain('token.rejected');
  });

  it('answers REVOKED on the next verify after a revoke, though the record was cached', async () => {
    const { org, user } = await tokenOwner();
    const { id, secret } = await makeToken(t.ctx, org, user);
    expect((await answer({ token: secret })).code).toBe('VALID');
    expect(t.ctx.tokens.size.records).toBe(1);
    await updateToken(t.ctx.db, id, { revokedAt: t.clock.now(), revokedReason: 'manual' });
    t.ctx.invalidate.token(id);
    expect(await answer({ token: secret, ip: '198.51.100.7' })).toEqual({ valid: false, code: 'REVOKED' });
    await settle();
    const event = await t.ctx.db.selectFrom('audit_events').selectAll().where('target_id', '=', id).executeTakeFirstOrThrow();
    expect(event.action).toBe('token.rejected');
    expect(event.ip).toBe('198.51.100.7');
    expect(JSON.parse(event.details)).toEqual({ code: 'REVOKED' });
    expect(JSON.stringify(event)).not.toContain(secret);
  });

  it('keeps a rotated-away token VALID until its grace period ends, then REVOKED', async () => {
    const { org, user } = await tokenOwner();
    const { id, secret } = await makeToken(t.ctx, org, user);
    const graceEnd = t.clock.now() + 3_600_000;
    await updateToken(t.ctx.db, id, { revokedAt: graceEnd, revokedReason: 'rotated' });
    t.ctx.invalidate.token(id);
    const during = await answer({ token: secret });
    expect(during.code).toBe('VALID');
    expect(during.token?.expires_at).toBe(new Date(graceEnd).toISOString());
    t.clock.advance(3_600_000);
    expect((await answer({ token: secret })).code).toBe('REVOKED');
  });

  it('answers DISABLED for a disabled token', async () => {
    const { org, user } = await tokenOwner();
    const { id, secret } = await makeToken(t.ctx, org, user);
    await updateToken(t.ctx.db, id, { disabledAt: t.clock.now(), disabledReason: 'manual' });
    t.ctx.invalidate.token(id);
    expect(await answer({ token: secret })).toEqual({ valid: false, code: 'DISABLED' });
  });

  it('answers DISABLED for a token the client sent in X-API-Key where its org does not accept that header', async () => {
    const { org, user } = await tokenOwner({ policy: { accept_x_api_key: false } });
    const { secret } = await makeToken(t.ctx, org, user);
    expect((await answer({ token: secret, header: 'authorization' })).code).toBe('VALID');
    expect(await answer({ token: secret, header: 'x-api-key' })).toEqual({ valid: false, code: 'DISABLED' });
    const open = await tokenOwner();
    const accepted = await makeToken(t.ctx, open.org, open.user);
    expect((await answer({ token: accepted.secret, header: 'x-api-key' })).code).toBe('VALID');
    expect((await verify({ token: secret, header: 'cookie' })).statusCode).toBe(400);
  });

  it('answers DISABLED once the owner is deactivated or leaves the org', async () => {
    const { org, user } = await tokenOwner();
    const { secret } = await makeToken(t.ctx, org, user);
    expect((await answer({ token: secret })).code).toBe('VALID');
    await setUserStatus(t.ctx.db, user.id, 'deactivated', t.clock.now());
    t.ctx.invalidate.owner(user.id);
    expect(await answer({ token: secret })).toEqual({ valid: false, code: 'DISABLED' });

    const other = await tokenOwner();
    const second = await makeToken(t.ctx, other.org, other.user);
    expect((await answer({ token: second.secret })).code).toBe('VALID');
    await t.ctx.db.deleteFrom('memberships').where('user_id', '=', other.user.id).execute();
    t.ctx.invalidate.owner(other.user.id);
    expect((await answer({ token: second.secret })).code).toBe('DISABLED');
  });

  it('answers INSUFFICIENT_SCOPE with the token and the missing scopes', async () => {
    const { org, user } = await tokenOwner();
    const { id, secret } = await makeToken(t.ctx, org, user, { scopes: ['devices:read'] });
    const result = await answer({ token: secret, scopes: ['devices:read', 'devices:write', 'billing:read'] });
    expect(result.valid).toBe(false);
    expect(result.code).toBe('INSUFFICIENT_SCOPE');
    expect(result.missing_scopes).toEqual(['devices:write', 'billing:read']);
    expect(result.token?.id).toBe(id);
  });

  it('checks the client address against the allowlist (IPv4, IPv6, CIDR, mapped) and fails closed without one', async () => {
    const { org, user } = await tokenOwner();
    const { secret } = await makeToken(t.ctx, org, user, { ipAllowlist: ['203.0.113.0/24', '2001:db8::/32'] });
    expect((await answer({ token: secret, ip: '203.0.113.9' })).code).toBe('VALID');
    expect((await answer({ token: secret, ip: '::ffff:203.0.113.9' })).code).toBe('VALID');
    expect((await answer({ token: secret, ip: '2001:db8::1' })).code).toBe('VALID');
    expect(await answer({ token: secret, ip: '198.51.100.1' })).toEqual({ valid: false, code: 'IP_NOT_ALLOWED' });
    expect((await answer({ token: secret })).code).toBe('IP_NOT_ALLOWED');
    const open = await makeToken(t.ctx, org, user);
    expect((await answer({ token: open.secret })).code).toBe('VALID');
  });

  it('refuses an ip that is not an address with 400', async () => {
    const response = await verify({ token: generateApiKey('kw'), ip: 'localhost' });
    expect(response.statusCode).toBe(400);
    expect(json(response).code).toBe('validation_failed');
  });

  it('refuses unknown body fields with 400', async () => {
    const response = await verify({ token: generateApiKey('kw'), scope: 'devices:read' });
    expect(response.statusCode).toBe(400);
  });
});

describe('POST /api/v1/verify: effective scopes', () => {
  it('drops a feature-gated scope when the org loses the feature', async () => {
    const { org, user } = await tokenOwner({ features: ['insights_api'] });
    const { secret } = await makeToken(t.ctx, org, user, { scopes: ['devices:read', 'insights:read'] });
    expect((await answer({ token: secret, scopes: ['insights:read'] })).token?.scopes).toEqual(['devices:read', 'insights:read']);
    await updateOrg(t.ctx.db, { ...org, features: [] });
    t.ctx.invalidate.org(org.id);
    const result = await answer({ token: secret, scopes: ['insights:read'] });
    expect(result.code).toBe('INSUFFICIENT_SCOPE');
    expect(result.missing_scopes).toEqual(['insights:read']);
    expect(result.token?.scopes).toEqual(['devices:read']);
  });

  it('drops a management scope when the owner is demoted', async () => {
    const org = await makeOrg(t.ctx);
    const user = await makeUser(t.ctx);
    await addMember(t.ctx, org, user, 'admin');
    const { secret } = await makeToken(t.ctx, org, user, { scopes: ['keyward:admin', 'devices:read'] });
    expect((await answer({ token: secret })).token?.scopes).toEqual(['keyward:admin', 'devices:read']);
    await t.ctx.db.updateTable('memberships').set({ role: 'member' }).where('user_id', '=', user.id).execute();
    t.ctx.invalidate.owner(user.id);
    expect((await answer({ token: secret })).token?.scopes).toEqual(['devices:read']);
  });

  it('leaves out scopes no longer in the catalog', async () => {
    const { org, user } = await tokenOwner();
    const { secret } = await makeToken(t.ctx, org, user, { scopes: ['devices:read', 'retired:scope'] });
    expect((await answer({ token: secret })).token?.scopes).toEqual(['devices:read']);
  });
});

describe('POST /api/v1/verify: last used', () => {
  it('records the use in memory and writes it to the row on flush', async () => {
    const { org, user } = await tokenOwner();
    const { id, secret } = await makeToken(t.ctx, org, user);
    await answer({ token: secret, ip: '192.0.2.44' });
    expect(t.ctx.usage.peek(id)).toEqual({ at: t.clock.now(), ip: '192.0.2.44' });
    expect((await findTokenById(t.ctx.db, org.id, id))?.lastUsedAt).toBeNull();
    await t.ctx.usage.flush();
    const row = await findTokenById(t.ctx.db, org.id, id);
    expect(row?.lastUsedAt).toBe(t.clock.now());
    expect(row?.lastUsedIp).toBe('192.0.2.44');
  });

  it('does not count a failed verify as a use', async () => {
    const { org, user } = await tokenOwner();
    const { id, secret } = await makeToken(t.ctx, org, user);
    await answer({ token: secret, scopes: ['billing:read'] });
    expect(t.ctx.usage.peek(id)).toBeUndefined();
  });
});

describe('POST /api/v1/verify: JWT tokens', () => {
  it('answers VALID for a Keyward-signed JWT, with its kind and impersonation', async () => {
    const org = await makeOrg(t.ctx);
    const user = await makeUser(t.ctx);
    const admin = await makeUser(t.ctx);
    await addMember(t.ctx, org, user);
    await addMember(t.ctx, org, admin, 'admin');
    const { id, secret } = await makeToken(t.ctx, org, user, { kind: 'jwt', impersonatedBy: admin });
    const result = await answer({ token: secret, scopes: ['devices:read'] });
    expect(result.code).toBe('VALID');
    expect(result.token).toMatchObject({ id, kind: 'jwt', impersonation: true, created_by: { id: admin.id } });
  });

  it('answers EXPIRED, not MALFORMED, for an expired Keyward JWT', async () => {
    const { org, user } = await tokenOwner();
    const { secret } = await makeToken(t.ctx, org, user, { kind: 'jwt', expiresInDays: 30 });
    t.clock.advanceDays(31);
    expect((await answer({ token: secret })).code).toBe('EXPIRED');
  });

  it('answers MALFORMED without a database read for a JWT signed by a foreign Ed25519 key', async () => {
    const { org, user } = await tokenOwner();
    const real = await makeToken(t.ctx, org, user, { kind: 'jwt' });
    await answer({ token: real.secret });
    const kid = t.ctx.jwtKeys.jwks().keys[0]!.kid!;
    const forged = await foreignKeyJwt(kid, { sub: user.id, org: org.id, scope: 'devices:read', jti: real.id });
    const counter = countQueries(t.ctx);
    try {
      expect(await answer({ token: forged })).toEqual({ valid: false, code: 'MALFORMED' });
      expect(counter.count()).toBe(0);
    } finally {
      counter.restore();
    }
  });

  it('answers MALFORMED for alg none and HS256', async () => {
    const { org, user } = await tokenOwner();
    const real = await makeToken(t.ctx, org, user, { kind: 'jwt' });
    const kid = t.ctx.jwtKeys.jwks().keys[0]!.kid!;
    const [, payload] = real.secret.split('.');
    const noneHeader = b64({ alg: 'none', typ: 'at+jwt', kid });
    const hs256 = await new SignJWT({ sub: user.id, org: org.id, scope: 'devices:read', jti: real.id })
      .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid })
      .setIssuer('http://keyward.test')
      .setAudience('http://keyward.test')
      .setIssuedAt()
      .sign(new TextEncoder().encode('a'.repeat(32)));
    for (const token of [`${noneHeader}.${payload}.`, `${noneHeader}.${payload}.AAAA`, hs256]) {
      expect(await answer({ token })).toEqual({ valid: false, code: 'MALFORMED' });
    }
  });
});

describe('POST /api/v1/verify: who may call it', () => {
  it('answers 401 with a bare challenge without credentials', async () => {
    const response = await verify({ token: generateApiKey('kw') }, {});
    expect(response.statusCode).toBe(401);
    expect(response.headers['www-authenticate']).toBe('Bearer realm="keyward"');
    expect(json(response).code).toBe('unauthenticated');
  });

  it('answers 401 invalid_token for a bad or mistyped verifier secret', async () => {
    const typo = verifier.secret.slice(0, -1) + (verifier.secret.at(-1) === 'A' ? 'B' : 'A');
    for (const secret of ['nope', typo, generateApiKey('kwv')]) {
      const response = await verify({ token: generateApiKey('kw') }, { authorization: `Bearer ${secret}` });
      expect(response.statusCode).toBe(401);
      expect(response.headers['www-authenticate']).toMatch(/^Bearer realm="keyward", error="invalid_token"/);
    }
  });

  it('refuses an access token, even one with every management scope', async () => {
    const { org, owner } = await seedOrg(t.app, t.ctx);
    const { secret } = await makeToken(t.ctx, org, owner.user, { scopes: ['keyward:admin', 'keyward:tokens:read'] });
    const bearer = await verify({ token: secret }, { authorization: `Bearer ${secret}` });
    expect(bearer.statusCode).toBe(401);
    expect(json(bearer).code).toBe('invalid_token');
    const header = await verify({ token: secret }, { 'x-api-key': secret });
    expect(header.statusCode).toBe(401);
  });

  it('refuses a session, even a site admin’s', async () => {
    const admin = await makeUser(t.ctx, { siteAdmin: true });
    const headers = await signIn(t.app, admin);
    const response = await verify({ token: generateApiKey('kw') }, headers);
    expect(response.statusCode).toBe(401);
  });

  it('refuses a verifier secret presented as an access token', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: { authorization: `Bearer ${verifier.secret}` } });
    expect(response.statusCode).toBe(401);
    expect(json(response).code).toBe('invalid_token');
    expect(await answer({ token: verifier.secret })).toEqual({ valid: false, code: 'MALFORMED' });
  });

  it('answers 400 for two different credentials', async () => {
    const response = await verify({ token: generateApiKey('kw') }, { authorization: `Bearer ${verifier.secret}`, 'x-api-key': 'other' });
    expect(response.statusCode).toBe(400);
    expect(json(response).code).toBe('invalid_request');
  });
});

describe('a token in X-API-Key where the org does not accept that header', () => {
  it('is DISABLED with a reason that says what to send instead, and 401 invalid_token on the management API', async () => {
    const { org, member } = await seedOrg(t.app, t.ctx, { policy: { accept_x_api_key: false } });
    const { secret } = await makeToken(t.ctx, org, member.user);
    const result = await verifyToken(t.ctx, { secret, viaXApiKey: true });
    expect(result).toMatchObject({ valid: false, code: 'DISABLED' });
    expect(result.valid ? '' : result.reason).toContain('Authorization: Bearer');
    expect((await verifyToken(t.ctx, { secret })).code).toBe('VALID');
    const response = await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: { 'x-api-key': secret } });
    expect(response.statusCode).toBe(401);
    expect(json(response).code).toBe('invalid_token');
    expect(response.headers['www-authenticate']).toContain('X-API-Key');
  });
});
