import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bootstrap } from '../../src/services/bootstrap.js';
import { json, startTestApp, type TestApp } from '../harness.js';

let t: TestApp;
beforeEach(async () => {
  t = await startTestApp();
});
afterEach(() => t.close());

const PASSWORD = 'correct horse battery staple';

async function setupToken(): Promise<string> {
  const outcome = await bootstrap(t.ctx);
  if (outcome.kind !== 'setup_link') throw new Error(`expected a setup link, got ${outcome.kind}`);
  return new URL(outcome.url).searchParams.get('token')!;
}

describe('GET /api/v1/setup', () => {
  it('says whether setup is pending, without credentials', async () => {
    expect(json(await t.app.inject({ method: 'GET', url: '/api/v1/setup' }))).toEqual({ pending: false });
    await setupToken();
    expect(json(await t.app.inject({ method: 'GET', url: '/api/v1/setup' }))).toEqual({ pending: true });
  });
});

describe('POST /api/v1/setup', () => {
  it('creates the first site admin once and signs them in', async () => {
    const token = await setupToken();
    const payload = { token, email: 'root@example.test', name: 'Root', password: PASSWORD };
    const response = await t.app.inject({ method: 'POST', url: '/api/v1/setup', payload });
    expect(response.statusCode).toBe(201);
    expect(json(response)).toMatchObject({ email: 'root@example.test', site_admin: true, status: 'active' });
    const cookies = response.cookies as { name: string; value: string }[];
    const session = cookies.find((c) => c.name === 'kw_session')!.value;
    const me = await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie: `kw_session=${session}` } });
    expect(json(me).user).toMatchObject({ email: 'root@example.test', site_admin: true });
    expect(json(await t.app.inject({ method: 'GET', url: '/api/v1/setup' }))).toEqual({ pending: false });

    const again = await t.app.inject({ method: 'POST', url: '/api/v1/setup', payload: { ...payload, email: 'two@example.test' } });
    expect(again.statusCode).toBe(403);
  });

  it('refuses a wrong token with 403', async () => {
    await setupToken();
    const response = await t.app.inject({ method: 'POST', url: '/api/v1/setup', payload: { token: 'wrong', email: 'root@example.test', name: 'Root', password: PASSWORD } });
    expect(response.statusCode).toBe(403);
    expect(json(response).code).toBe('forbidden');
  });

  it('rejects a malformed body with 400', async () => {
    const token = await setupToken();
    for (const payload of [{ token }, { token, email: 'root@example.test', name: 'Root', password: 'short' }, { token, email: 'r@e.test', name: 'R', password: PASSWORD, site_admin: false }]) {
      expect((await t.app.inject({ method: 'POST', url: '/api/v1/setup', payload })).statusCode).toBe(400);
    }
  });
});

describe('POST /api/v1/setup, raced', () => {
  it('lets exactly one of two concurrent visitors with the link become site admin', async () => {
    const token = await setupToken();
    const attempts = await Promise.all(
      ['a@example.test', 'b@example.test', 'c@example.test'].map((email) =>
        t.app.inject({ method: 'POST', url: '/api/v1/setup', payload: { token, email, name: 'Racer', password: PASSWORD } }),
      ),
    );
    expect(attempts.map((r) => r.statusCode).sort()).toEqual([201, 403, 403]);
    const admins = await t.ctx.db.selectFrom('users').select('email').where('site_admin', '=', 1).execute();
    expect(admins).toHaveLength(1);
  });
});
