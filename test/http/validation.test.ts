import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { seedOrg } from '../factories.js';
import { json, startTestApp, type TestApp } from '../harness.js';

let t: TestApp;
beforeEach(async () => {
  t = await startTestApp();
});
afterEach(() => t.close());

describe('request validation', () => {
  it('refuses a JSON body whose types are wrong instead of coercing them', async () => {
    const { org, member } = await seedOrg(t.app, t.ctx);
    const url = `/api/v1/orgs/${org.id}/tokens`;
    for (const payload of [
      { name: ['a'], scopes: ['devices:read'], expires_in_days: 30 },
      { name: 'a', scopes: 'devices:read', expires_in_days: 30 },
      { name: 'a', scopes: ['devices:read'], expires_in_days: '30' },
    ]) {
      const response = await t.app.inject({ method: 'POST', url, headers: member.headers, payload });
      expect(response.statusCode, JSON.stringify(payload)).toBe(400);
      expect(json(response).code).toBe('validation_failed');
    }
    const count = await t.ctx.db.selectFrom('tokens').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(0);
  });

  it('still reads numbers and repeated values from the query string', async () => {
    const { org, member } = await seedOrg(t.app, t.ctx);
    const response = await t.app.inject({ method: 'GET', url: `/api/v1/orgs/${org.id}/tokens?limit=5`, headers: member.headers });
    expect(response.statusCode).toBe(200);
  });

  it.each(['1e400', '-1', '0', '101', '1.5', 'NaN', 'Infinity', '99999999999999999999'])('answers 400, never 500, for limit=%s', async (limit) => {
    const { org, owner } = await seedOrg(t.app, t.ctx);
    for (const path of ['tokens', 'audit-events', 'members']) {
      const response = await t.app.inject({ method: 'GET', url: `/api/v1/orgs/${org.id}/${path}?limit=${limit}`, headers: owner.headers });
      expect(response.statusCode, `${path}?limit=${limit}`).toBe(400);
    }
  });
});
