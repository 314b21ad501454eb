import { afterEach, describe, expect, it } from 'vitest';
import { makeUser, PASSWORD } from '../factories.js';
import { json, startTestApp, type TestApp } from '../harness.js';

/**
 * Portal sessions (issue 9): `__Host-` cookies behind TLS, one session per browser (a new sign-in
 * ends the one whose cookie the browser still sent), and expired sessions purged.
 */
let t: TestApp;
afterEach(() => t.close());

type Cookie = { name: string; value: string };

const signIn = (email: string | null, cookie?: string) =>
  t.app.inject({ method: 'POST', url: '/api/v1/session', payload: { email, password: PASSWORD }, headers: cookie ? { cookie } : {} });

const setCookies = (response: { headers: Record<string, unknown> }) => ([] as string[]).concat(response.headers['set-cookie'] as string[]);

const me = (cookie: string) => t.app.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie } });

describe('behind TLS (an https KEYWARD_PUBLIC_URL)', () => {
  it('names the cookies __Host-, Secure, for Path=/ and without Domain, and reads only those', async () => {
    t = await startTestApp({ env: { KEYWARD_PUBLIC_URL: 'https://keyward.test' } });
    const user = await makeUser(t.ctx);
    const response = await signIn(user.email);
    expect(response.statusCode).toBe(200);
    const [session, csrf] = ['__Host-kw_session=', '__Host-kw_csrf='].map((prefix) => setCookies(response).find((c) => c.startsWith(prefix)));
    for (const cookie of [session, csrf]) {
      expect(cookie).toBeDefined();
      expect(cookie).toMatch(/; Secure/i);
      expect(cookie).toMatch(/; Path=\/(;|$)/);
      expect(cookie).toMatch(/; SameSite=Lax/i);
      expect(cookie).not.toMatch(/Domain=/i);
    }
    expect(session).toMatch(/; HttpOnly/i);
    expect(csrf).not.toMatch(/HttpOnly/i);
    expect(setCookies(response).some((c) => c.startsWith('kw_session='))).toBe(false);

    const cookies = response.cookies as Cookie[];
    const secret = cookies.find((c) => c.name === '__Host-kw_session')!.value;
    const token = cookies.find((c) => c.name === '__Host-kw_csrf')!.value;
    expect((await me(`__Host-kw_session=${secret}`)).statusCode).toBe(200);
    // The unprefixed name is what a sibling subdomain could plant: it is not a session here.
    expect((await me(`kw_session=${secret}`)).statusCode).toBe(401);

    const signOut = await t.app.inject({ method: 'DELETE', url: '/api/v1/session', headers: { cookie: `__Host-kw_session=${secret}`, 'x-csrf-token': token } });
    expect(signOut.statusCode).toBe(204);
    // A browser removes a __Host- cookie only for a Set-Cookie that meets the prefix's rules too.
    for (const cleared of setCookies(signOut)) {
      expect(cleared).toMatch(/^__Host-kw_(session|csrf)=;/);
      expect(cleared).toMatch(/; Secure/i);
      expect(cleared).toMatch(/; Path=\//);
    }
    expect((await me(`__Host-kw_session=${secret}`)).statusCode).toBe(401);
  });

  it('documents the prefixed cookie in the OpenAPI document', async () => {
    t = await startTestApp({ env: { KEYWARD_PUBLIC_URL: 'https://keyward.test' } });
    const document = json(await t.app.inject({ method: 'GET', url: '/openapi.json' }));
    expect(document.components.securitySchemes.sessionCookie.name).toBe('__Host-kw_session');
  });
});

describe('a new sign-in', () => {
  it('ends the session whose cookie the browser still sent', async () => {
    t = await startTestApp();
    const user = await makeUser(t.ctx);
    const first = (await signIn(user.email)).cookies as Cookie[];
    const old = `kw_session=${first.find((c) => c.name === 'kw_session')!.value}`;
    expect((await me(old)).statusCode).toBe(200);
    const second = await signIn(user.email, old);
    expect(second.statusCode).toBe(200);
    const fresh = `kw_session=${(second.cookies as Cookie[]).find((c) => c.name === 'kw_session')!.value}`;
    expect(fresh).not.toBe(old);
    expect((await me(old)).statusCode).toBe(401);
    expect((await me(fresh)).statusCode).toBe(200);
  });

  it("ends another user's session on the same browser, and a failed sign-in ends nothing", async () => {
    t = await startTestApp();
    const [alice, bob] = [await makeUser(t.ctx), await makeUser(t.ctx)];
    const aliceCookie = `kw_session=${((await signIn(alice.email)).cookies as Cookie[]).find((c) => c.name === 'kw_session')!.value}`;
    const wrong = await t.app.inject({ method: 'POST', url: '/api/v1/session', payload: { email: bob.email, password: 'not the password' }, headers: { cookie: aliceCookie } });
    expect(wrong.statusCode).toBe(401);
    expect((await me(aliceCookie)).statusCode).toBe(200);
    expect((await signIn(bob.email, aliceCookie)).statusCode).toBe(200);
    expect((await me(aliceCookie)).statusCode).toBe(401);
  });
});

describe('expired sessions', () => {
  it('are purged from the store, not only refused', async () => {
    t = await startTestApp();
    const [alice, bob] = [await makeUser(t.ctx), await makeUser(t.ctx)];
    expect((await signIn(alice.email)).statusCode).toBe(200);
    t.clock.advance(t.ctx.config.sessionTtlMs + 1);
    expect((await signIn(bob.email)).statusCode).toBe(200);
    const rows = await t.ctx.db.selectFrom('sessions').select(['user_id', 'expires_at']).execute();
    expect(rows.map((r) => r.user_id)).toEqual([bob.id]);
    expect(rows.every((r) => Number(r.expires_at) > t.clock.now())).toBe(true);
  });
});
