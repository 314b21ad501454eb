import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedOrg } from '../factories.js';
import { json, startTestApp, type TestApp } from '../harness.js';
import { createdToken, NEW_TOKEN } from './tokens/helpers.js';

let t: TestApp;
let org: Awaited<ReturnType<typeof seedOrg>>;
beforeAll(async () => {
  t = await startTestApp();
  org = await seedOrg(t.app, t.ctx);
});
afterAll(() => t.close());

const tokensUrl = () => `/api/v1/orgs/${org.org.id}/tokens`;

describe('body-less requests', () => {
  it('accepts Content-Type: application/json with an empty body on revoke, disable and enable', async () => {
    const { id } = await createdToken(t, org.member.headers, org.org.id);
    for (const action of ['disable', 'enable', 'revoke']) {
      const response = await t.app.inject({
        method: 'POST',
        url: `${tokensUrl()}/${id}/${action}`,
        headers: { ...org.member.headers, 'content-type': 'application/json' },
        payload: '',
      });
      expect(response.statusCode, `${action}: ${response.body}`).toBe(200);
    }
  });

  it('rotates with no body at all, and with an empty JSON body', async () => {
    for (const extra of [{}, { headers: { 'content-type': 'application/json' }, payload: '' }]) {
      const { id } = await createdToken(t, org.member.headers, org.org.id);
      const response = await t.app.inject({ method: 'POST', url: `${tokensUrl()}/${id}/rotate`, headers: { ...org.member.headers, ...extra.headers }, payload: extra.payload });
      expect(response.statusCode, response.body).toBe(201);
      expect(response.headers['cache-control']).toBe('no-store');
    }
  });

  it('still refuses a missing body where fields are required, naming the field', async () => {
    const response = await t.app.inject({ method: 'POST', url: tokensUrl(), headers: org.member.headers });
    expect(response.statusCode).toBe(400);
    expect(json(response)).toMatchObject({ code: 'validation_failed', field: 'name', detail: 'name is required.' });
  });
});

describe('probes and unknown paths', () => {
  it.each(['/healthz/', '/readyz/', '/healthz/x', '/readyz/deep/path', '/openapi.json/x', '/api/v1/nothing-here'])('answers %s with a problem+json 404, not the portal', async (url) => {
    const response = await t.app.inject({ method: 'GET', url });
    expect(response.statusCode).toBe(404);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(json(response).code).toBe('not_found');
  });
});

describe('wrong methods', () => {
  it('answers 405 with Allow for a method a path does not take', async () => {
    const response = await t.app.inject({ method: 'PUT', url: `${tokensUrl()}/tok_x` });
    expect(response.statusCode).toBe(405);
    expect(response.headers.allow).toBe('GET, HEAD, PATCH');
    expect(json(response).code).toBe('method_not_allowed');
    const health = await t.app.inject({ method: 'POST', url: '/healthz' });
    expect(health.statusCode).toBe(405);
    expect(health.headers.allow).toBe('GET, HEAD');
  });
});

describe('bodies the server does not take', () => {
  it('answers 413 payload_too_large for a body over the limit', async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: tokensUrl(),
      headers: { ...org.member.headers, 'content-type': 'application/json' },
      payload: JSON.stringify({ ...NEW_TOKEN, description: 'x'.repeat(2 * 1024 * 1024) }),
    });
    expect(response.statusCode).toBe(413);
    expect(json(response).code).toBe('payload_too_large');
  });

  it('answers 415 unsupported_media_type for a body that is not JSON', async () => {
    const response = await t.app.inject({ method: 'POST', url: tokensUrl(), headers: { ...org.member.headers, 'content-type': 'text/plain' }, payload: 'name=x' });
    expect(response.statusCode).toBe(415);
    expect(json(response).code).toBe('unsupported_media_type');
  });
});

describe('schema limits match the server’s', () => {
  it('takes a 100-character name and refuses 101 with a sentence naming the field', async () => {
    const ok = await t.app.inject({ method: 'POST', url: tokensUrl(), headers: org.admin.headers, payload: { ...NEW_TOKEN, name: 'n'.repeat(100) } });
    expect(ok.statusCode, ok.body).toBe(201);
    const long = await t.app.inject({ method: 'POST', url: tokensUrl(), headers: org.admin.headers, payload: { ...NEW_TOKEN, name: 'n'.repeat(101) } });
    expect(long.statusCode).toBe(400);
    expect(json(long)).toMatchObject({ field: 'name', detail: 'name must be at most 100 characters long.' });
  });

  it('words every schema refusal as a sentence, never a raw validator message', async () => {
    const cases: [object, string][] = [
      [{ ...NEW_TOKEN, kind: 'opaque' }, 'kind must be one of api_key, jwt.'],
      [{ ...NEW_TOKEN, scopes: [] }, 'scopes must list at least 1 item.'],
      [{ ...NEW_TOKEN, expires_in_days: 'soon' }, 'expires_in_days must be a whole number.'],
      [{ ...NEW_TOKEN, color: 'red' }, 'color is not a field this request takes.'],
    ];
    for (const [payload, detail] of cases) {
      const response = await t.app.inject({ method: 'POST', url: tokensUrl(), headers: org.admin.headers, payload });
      expect(response.statusCode).toBe(400);
      expect(json(response).detail).toBe(detail);
    }
  });
});
