import * as oauth from 'oauth4webapi';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Org, User } from '../../../src/core/model.js';
import { generateApiKey } from '../../../src/core/token-format.js';
import { addMember, makeOrg, makeToken, makeUser, makeVerifier } from '../../factories.js';
import { json, startTestApp, type TestApp } from '../../harness.js';

/**
 * RFC 7662 introspection and RFC 7009 revocation, driven by a real OAuth client library
 * (oauth4webapi) against the listening server, and by hand where a library would not go.
 */
let t: TestApp;
let as: oauth.AuthorizationServer;
let org: Org;
let owner: User;
let verifier: { id: string; secret: string };
const insecure = { [oauth.allowInsecureRequests]: true };

beforeEach(async () => {
  t = await startTestApp();
  const base = await t.app.listen({ host: '127.0.0.1', port: 0 });
  as = { issuer: 'http://keyward.test', introspection_endpoint: `${base}/oauth/introspect`, revocation_endpoint: `${base}/oauth/revoke` };
  org = await makeOrg(t.ctx);
  owner = await makeUser(t.ctx);
  await addMember(t.ctx, org, owner, 'member');
  verifier = await makeVerifier(t.ctx);
});
afterEach(() => t.close());

async function introspect(token: string, secret = verifier.secret): Promise<oauth.IntrospectionResponse> {
  const response = await oauth.introspectionRequest(as, { client_id: verifier.id }, oauth.ClientSecretBasic(secret), token, insecure);
  return oauth.processIntrospectionResponse(as, { client_id: verifier.id }, response);
}

async function revoke(token: string): Promise<void> {
  const response = await oauth.revocationRequest(as, { client_id: 'any-holder' }, oauth.None(), token, insecure);
  await oauth.processRevocationResponse(response);
}

describe('POST /oauth/introspect', () => {
  it('describes an active token as RFC 7662 says', async () => {
    const token = await makeToken(t.ctx, org, owner, { scopes: ['devices:read', 'billing:read'], expiresInDays: 30 });
    const answer = await introspect(token.secret);
    expect(answer).toEqual({
      active: true,
      scope: 'devices:read billing:read',
      client_id: token.id,
      sub: owner.id,
      exp: Math.floor((t.clock.now() + 30 * 86_400_000) / 1000),
      iat: Math.floor(t.clock.now() / 1000),
      token_type: 'Bearer',
      iss: 'http://keyward.test',
    });
  });

  it('answers exactly {"active": false} for revoked, unknown, malformed and foreign tokens', async () => {
    const token = await makeToken(t.ctx, org, owner);
    await revoke(token.secret);
    for (const secret of [token.secret, generateApiKey('kw'), 'not a token', generateApiKey('ghp')]) {
      const response = await fetch(as.introspection_endpoint!, {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from(`${verifier.id}:${verifier.secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token: secret }),
      });
      expect(response.status).toBe(200);
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(await response.text()).toBe('{"active":false}');
    }
  });

  it('refuses a wrong or missing client with 401 invalid_client and a Basic challenge', async () => {
    const token = await makeToken(t.ctx, org, owner);
    await expect(introspect(token.secret, generateApiKey('kwv'))).rejects.toThrow();
    const missing = await t.app.inject({ method: 'POST', url: '/oauth/introspect', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: `token=${token.secret}` });
    expect(missing.statusCode).toBe(401);
    expect(missing.headers['www-authenticate']).toBe('Basic realm="keyward"');
    expect(json(missing).code).toBe('invalid_client');
    // The id must be the secret's own verifier.
    const other = await makeVerifier(t.ctx, 'other');
    const mismatched = await t.app.inject({
      method: 'POST',
      url: '/oauth/introspect',
      headers: { authorization: `Basic ${Buffer.from(`${other.id}:${verifier.secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      payload: `token=${token.secret}`,
    });
    expect(mismatched.statusCode).toBe(401);
    // The client first: a bad body or a JSON one from an unauthenticated caller is still a 401.
    for (const [type, payload] of [['application/x-www-form-urlencoded', 'nothing=here'], ['application/json', '{}']]) {
      expect((await t.app.inject({ method: 'POST', url: '/oauth/introspect', headers: { 'content-type': type! }, payload })).statusCode).toBe(401);
    }
  });

  it('refuses a body without a token, a repeated parameter, and JSON', async () => {
    const basic = { authorization: `Basic ${Buffer.from(`${verifier.id}:${verifier.secret}`).toString('base64')}` };
    const form = { ...basic, 'content-type': 'application/x-www-form-urlencoded' };
    expect((await t.app.inject({ method: 'POST', url: '/oauth/introspect', headers: form, payload: 'token_type_hint=access_token' })).statusCode).toBe(400);
    expect((await t.app.inject({ method: 'POST', url: '/oauth/introspect', headers: form, payload: 'token=a&token=b' })).statusCode).toBe(400);
    expect((await t.app.inject({ method: 'POST', url: '/oauth/introspect', headers: basic, payload: { token: 'x' } })).statusCode).toBe(415);
  });
});

describe('POST /oauth/revoke', () => {
  it('lets a token revoke itself: it stops working at once, and the audit log says how', async () => {
    const token = await makeToken(t.ctx, org, owner);
    expect((await introspect(token.secret)).active).toBe(true);
    await revoke(token.secret);
    expect(await introspect(token.secret)).toEqual({ active: false });
    const event = await t.ctx.db.selectFrom('audit_events').selectAll().where('target_id', '=', token.id).where('action', '=', 'token.revoked').executeTakeFirstOrThrow();
    expect(event.actor_type).toBe('token');
    expect(event.actor_id).toBe(token.id);
    expect(JSON.parse(event.details)).toMatchObject({ via: 'oauth_revocation' });
  });

  it('answers 200 for unknown, malformed and already revoked tokens, changing nothing', async () => {
    const token = await makeToken(t.ctx, org, owner);
    await revoke(token.secret);
    await revoke(token.secret);
    await revoke(generateApiKey('kw'));
    await revoke('garbage');
    const events = await t.ctx.db.selectFrom('audit_events').select('action').where('target_id', '=', token.id).execute();
    expect(events.filter((e) => e.action === 'token.revoked')).toHaveLength(1);
  });
});
