import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { apiKeyPattern, generateApiKey } from '../../../src/core/token-format.js';
import { digestSecret } from '../../../src/core/token-hash.js';
import { addMember, makeOrg, makeToken, makeUser, seedOrg, signIn, type SessionHeaders } from '../../factories.js';
import { json, startTestApp, type TestApp } from '../../harness.js';

let t: TestApp;
let admin: SessionHeaders;
beforeEach(async () => {
  t = await startTestApp();
  admin = await signIn(t.app, await makeUser(t.ctx, { siteAdmin: true }));
});
afterEach(() => t.close());

type VerifierJson = { id: string; name: string; hint: string; created_at: string; last_used_at: string | null; revoked_at: string | null };

async function create(name: string, headers: Record<string, string> = admin) {
  return t.app.inject({ method: 'POST', url: '/api/v1/verifiers', headers, payload: { name } });
}

async function createVerifier(name = 'device-lab API'): Promise<{ verifier: VerifierJson; secret: string }> {
  const response = await create(name);
  expect(response.statusCode).toBe(201);
  expect(response.headers['cache-control']).toBe('no-store');
  return json(response);
}

async function verifyWith(secret: string) {
  return t.app.inject({
    method: 'POST',
    url: '/api/v1/verify',
    headers: { authorization: `Bearer ${secret}` },
    payload: { token: generateApiKey('kw') },
  });
}

describe('POST /api/v1/verifiers', () => {
  it('creates a verifier and returns its secret once, in a format apart from tokens', async () => {
    const { verifier, secret } = await createVerifier('  device-lab API ');
    expect(verifier).toMatchObject({ name: 'device-lab API', last_used_at: null, revoked_at: null });
    expect(verifier.id).toMatch(/^vrf_[0-9A-Za-z]{23}$/);
    expect(secret).toMatch(/^kwv_[0-9A-Za-z]{38}$/);
    expect(secret.match(apiKeyPattern('kw'))).toBeNull();
    expect(verifier.hint).toBe(`${secret.slice(0, 8)}…${secret.slice(-4)}`);
    const row = await t.ctx.db.selectFrom('verifiers').selectAll().where('id', '=', verifier.id).executeTakeFirstOrThrow();
    expect(row.digest).toBe(digestSecret(t.ctx.pepper, secret));
    expect(JSON.stringify(row)).not.toContain(secret);
    const listed = json(await t.app.inject({ method: 'GET', url: '/api/v1/verifiers', headers: admin }));
    expect(JSON.stringify(listed)).not.toContain(secret);
  });

  it('audits verifier.created without an org and without the secret', async () => {
    const { verifier, secret } = await createVerifier();
    const event = await t.ctx.db.selectFrom('audit_events').selectAll().where('action', '=', 'verifier.created').executeTakeFirstOrThrow();
    expect(event).toMatchObject({ org_id: null, target_type: 'verifier', target_id: verifier.id, actor_type: 'user' });
    expect(JSON.stringify(event)).not.toContain(secret);
  });

  it('is refused to anyone but a site admin', async () => {
    const { owner } = await seedOrg(t.app, t.ctx);
    const response = await create('x', owner.headers);
    expect(response.statusCode).toBe(403);
    expect(json(response).code).toBe('forbidden');
  });

  it('needs the CSRF header with a session', async () => {
    const response = await create('x', { cookie: admin.cookie });
    expect(response.statusCode).toBe(403);
  });

  // Issue 9, finding 1: an org-bound token never does deployment-wide work (test/security/site-admin-scope.test.ts).
  it('refuses a site admin’s token, even with keyward:admin', async () => {
    const siteAdmin = await makeUser(t.ctx, { siteAdmin: true });
    const org = await makeOrg(t.ctx);
    await addMember(t.ctx, org, siteAdmin, 'owner');
    for (const scopes of [['keyward:admin'], ['keyward:tokens:read']]) {
      const { secret } = await makeToken(t.ctx, org, siteAdmin, { scopes });
      const refused = await create('ci', { authorization: `Bearer ${secret}` });
      expect(refused.statusCode).toBe(403);
      expect(json(refused).code).toBe('forbidden');
    }
  });

  it('refuses an empty name and unknown fields with 400', async () => {
    expect((await create('   ')).statusCode).toBe(400);
    const extra = await t.app.inject({ method: 'POST', url: '/api/v1/verifiers', headers: admin, payload: { name: 'x', org: 'y' } });
    expect(extra.statusCode).toBe(400);
  });
});

describe('GET /api/v1/verifiers', () => {
  it('lists newest first with a cursor', async () => {
    const names = ['a', 'b', 'c'];
    for (const name of names) {
      await createVerifier(name);
      t.clock.advance(1000);
    }
    const first = json(await t.app.inject({ method: 'GET', url: '/api/v1/verifiers?limit=2', headers: admin }));
    expect(first.data.map((v: VerifierJson) => v.name)).toEqual(['c', 'b']);
    expect(first.next_cursor).toBe(first.data[1].id);
    const second = json(
      await t.app.inject({ method: 'GET', url: `/api/v1/verifiers?limit=2&cursor=${first.next_cursor}`, headers: admin }),
    );
    expect(second.data.map((v: VerifierJson) => v.name)).toEqual(['a']);
    expect(second.next_cursor).toBeNull();
  });

  it('shows when a verifier was last used', async () => {
    const { verifier, secret } = await createVerifier();
    t.clock.advance(5000);
    expect((await verifyWith(secret)).statusCode).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const listed = json(await t.app.inject({ method: 'GET', url: '/api/v1/verifiers', headers: admin }));
    expect(listed.data.find((v: VerifierJson) => v.id === verifier.id).last_used_at).toBe(new Date(t.clock.now()).toISOString());
  });

  it('is refused to a member', async () => {
    const { member } = await seedOrg(t.app, t.ctx);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/verifiers', headers: member.headers })).statusCode).toBe(403);
  });
});

describe('DELETE /api/v1/verifiers/{id}', () => {
  it('revokes at once: the next verify with it is 401, and it is audited', async () => {
    const { verifier, secret } = await createVerifier();
    expect((await verifyWith(secret)).statusCode).toBe(200);
    const response = await t.app.inject({ method: 'DELETE', url: `/api/v1/verifiers/${verifier.id}`, headers: admin });
    expect(response.statusCode).toBe(204);
    const refused = await verifyWith(secret);
    expect(refused.statusCode).toBe(401);
    expect(refused.headers['www-authenticate']).toMatch(/error="invalid_token"/);
    const listed = json(await t.app.inject({ method: 'GET', url: '/api/v1/verifiers', headers: admin }));
    expect(listed.data[0].revoked_at).toBe(new Date(t.clock.now()).toISOString());
    const events = await t.ctx.db.selectFrom('audit_events').selectAll().where('action', '=', 'verifier.revoked').execute();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ org_id: null, target_id: verifier.id });
  });

  it('is idempotent: revoking twice is 204 and audited once', async () => {
    const { verifier } = await createVerifier();
    for (let i = 0; i < 2; i++) {
      expect((await t.app.inject({ method: 'DELETE', url: `/api/v1/verifiers/${verifier.id}`, headers: admin })).statusCode).toBe(204);
    }
    const events = await t.ctx.db.selectFrom('audit_events').selectAll().where('action', '=', 'verifier.revoked').execute();
    expect(events).toHaveLength(1);
  });

  it('answers 404 for an unknown verifier', async () => {
    const response = await t.app.inject({ method: 'DELETE', url: '/api/v1/verifiers/vrf_nope', headers: admin });
    expect(response.statusCode).toBe(404);
  });

  it('is refused to an org owner', async () => {
    const { verifier } = await createVerifier();
    const { owner } = await seedOrg(t.app, t.ctx);
    const response = await t.app.inject({ method: 'DELETE', url: `/api/v1/verifiers/${verifier.id}`, headers: owner.headers });
    expect(response.statusCode).toBe(403);
  });
});
