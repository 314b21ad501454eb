import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeUser, PASSWORD, signIn } from '../factories.js';
import { json, startTestApp, type TestApp } from '../harness.js';

let t: TestApp;
beforeEach(async () => {
  t = await startTestApp();
});
afterEach(() => t.close());

describe('POST /api/v1/session', () => {
  it('signs in and sets an HttpOnly SameSite=Lax session cookie and a CSRF cookie', async () => {
    const user = await makeUser(t.ctx);
    const response = await t.app.inject({ method: 'POST', url: '/api/v1/session', payload: { email: user.email, password: PASSWORD } });
    expect(response.statusCode).toBe(200);
    expect(response.headers['cache-control']).toBe('no-store');
    expect(json(response)).toMatchObject({ id: user.id, email: user.email, site_admin: false });
    const setCookie = ([] as string[]).concat(response.headers['set-cookie'] as string[]);
    const session = setCookie.find((c) => c.startsWith('kw_session='))!;
    expect(session).toMatch(/HttpOnly/i);
    expect(session).toMatch(/SameSite=Lax/i);
    expect(setCookie.find((c) => c.startsWith('kw_csrf='))).not.toMatch(/HttpOnly/i);
  });

  it('refuses a wrong password with 401 and audits the failure', async () => {
    const user = await makeUser(t.ctx);
    const response = await t.app.inject({ method: 'POST', url: '/api/v1/session', payload: { email: user.email, password: 'wrong password!' } });
    expect(response.statusCode).toBe(401);
    expect(json(response).code).toBe('unauthenticated');
    const events = await t.ctx.db.selectFrom('audit_events').selectAll().where('action', '=', 'session.failed').execute();
    expect(events).toHaveLength(1);
  });

  it('refuses a deactivated user', async () => {
    const user = await makeUser(t.ctx, { status: 'deactivated' });
    const response = await t.app.inject({ method: 'POST', url: '/api/v1/session', payload: { email: user.email, password: PASSWORD } });
    expect(response.statusCode).toBe(401);
  });

  it('rejects a malformed body with 400 validation_failed', async () => {
    const response = await t.app.inject({ method: 'POST', url: '/api/v1/session', payload: { email: 'x@y.z' } });
    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(json(response).code).toBe('validation_failed');
  });
});

describe('DELETE /api/v1/session', () => {
  it('signs out: the cookie stops working', async () => {
    const user = await makeUser(t.ctx);
    const headers = await signIn(t.app, user);
    expect((await t.app.inject({ method: 'DELETE', url: '/api/v1/session', headers })).statusCode).toBe(204);
    const me = await t.app.inject({ method: 'GET', url: '/api/v1/me', headers });
    expect(me.statusCode).toBe(401);
  });

  it('needs the CSRF header for a cookie-authenticated state change', async () => {
    const user = await makeUser(t.ctx);
    const headers = await signIn(t.app, user);
    const response = await t.app.inject({ method: 'DELETE', url: '/api/v1/session', headers: { cookie: headers.cookie } });
    expect(response.statusCode).toBe(403);
    expect(json(response).code).toBe('forbidden');
  });
});

describe('GET /api/v1/me', () => {
  it('answers 401 with a bare Bearer challenge when no credential is sent', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/api/v1/me' });
    expect(response.statusCode).toBe(401);
    expect(response.headers['www-authenticate']).toBe('Bearer realm="keyward"');
  });

  it('describes the signed-in user', async () => {
    const user = await makeUser(t.ctx, { siteAdmin: true });
    const headers = await signIn(t.app, user);
    const response = await t.app.inject({ method: 'GET', url: '/api/v1/me', headers });
    expect(response.statusCode).toBe(200);
    expect(json(response)).toMatchObject({ user: { id: user.id, site_admin: true }, token: null, orgs: [] });
  });
});

describe('POST /api/v1/session, guessed at', () => {
  it('answers 429 with Retry-After after 10 failures for one account, and lets the owner in after the window', async () => {
    const user = await makeUser(t.ctx);
    for (let i = 0; i < 10; i++) {
      const wrong = await t.app.inject({ method: 'POST', url: '/api/v1/session', payload: { email: user.email, password: `guess number ${i}` } });
      expect(wrong.statusCode).toBe(401);
    }
    const blocked = await t.app.inject({ method: 'POST', url: '/api/v1/session', payload: { email: user.email, password: PASSWORD } });
    expect(blocked.statusCode).toBe(429);
    expect(json(blocked).code).toBe('rate_limited');
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    t.clock.advance(15 * 60_000);
    const later = await t.app.inject({ method: 'POST', url: '/api/v1/session', payload: { email: user.email, password: PASSWORD } });
    expect(later.statusCode).toBe(200);
  });

  it('limits attempts per client address across accounts', async () => {
    const limiter = t.ctx.limits.signInByIp;
    // Each real attempt costs a scrypt; spend the address's allowance directly, all but one.
    for (let i = 0; i < limiter.limit - 1; i++) limiter.hit('127.0.0.1', t.clock.now());
    const lastAllowed = await t.app.inject({ method: 'POST', url: '/api/v1/session', payload: { email: 'nobody@example.test', password: 'whatever you like' } });
    expect(lastAllowed.statusCode).toBe(401);
    const user = await makeUser(t.ctx);
    const blocked = await t.app.inject({ method: 'POST', url: '/api/v1/session', payload: { email: user.email, password: PASSWORD } });
    expect(blocked.statusCode).toBe(429);
  });
});
