import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Org, User } from '../../src/core/model.js';
import { addMember, makeOrg, makeToken, makeUser } from '../factories.js';
import { startTestApp, type TestApp } from '../harness.js';
import { CADDY, gatewayAvailable, NGINX, startCaddy, startNginx, startUpstream, type Gateway } from './processes.js';

/**
 * Keyward's forward auth behind a real nginx (auth_request) and a real Caddy (forward_auth), each
 * with the configuration shipped in examples/, in front of a small upstream that echoes what
 * reached it.
 */
const gateways: [string, boolean, (keyward: number, upstream: number) => Promise<Gateway>][] = [
  ['nginx', gatewayAvailable('nginx', NGINX, 'nginx-light'), startNginx],
  ['Caddy', gatewayAvailable('Caddy', CADDY, 'caddy'), startCaddy],
];

describe.each(gateways)('forward auth through %s', (name, available, start) => {
  let t: TestApp;
  let upstream: Awaited<ReturnType<typeof startUpstream>>;
  let gateway: Gateway;
  let org: Org;
  let owner: User;
  let reader: { id: string; secret: string };

  beforeAll(async () => {
    if (!available) return;
    t = await startTestApp();
    const keyward = new URL(await t.app.listen({ host: '127.0.0.1', port: 0 }));
    upstream = await startUpstream();
    gateway = await start(Number(keyward.port), upstream.port);
    org = await makeOrg(t.ctx);
    owner = await makeUser(t.ctx);
    await addMember(t.ctx, org, owner, 'member');
    reader = await makeToken(t.ctx, org, owner, { scopes: ['devices:read'] });
  });
  afterAll(async () => {
    if (!available) return;
    await gateway?.stop();
    await upstream?.close();
    await t?.close();
  });

  const send = (method: string, path: string, headers: Record<string, string> = {}) => fetch(`${gateway.url}${path}`, { method, headers });

  it.skipIf(!available)('lets a token with the scope through, and the upstream learns who called', async () => {
    // A client's own X-Keyward-* header never reaches the upstream: the gateway sets them.
    const response = await send('GET', '/api/v1/devices?page=2', { authorization: `Bearer ${reader.secret}`, 'x-keyward-token-id': 'tok_forged' });
    expect(response.status).toBe(200);
    const seen = (await response.json()) as { url: string; keyward: Record<string, string> };
    expect(seen.url).toBe('/api/v1/devices?page=2');
    expect(seen.keyward).toEqual({ 'x-keyward-token-id': reader.id, 'x-keyward-org': org.id, 'x-keyward-subject': owner.id, 'x-keyward-scopes': 'devices:read' });
  });

  it.skipIf(!available)('answers 403 insufficient_scope for a route the token lacks the scope of', async () => {
    const response = await send('PATCH', '/api/v1/devices/dev_1', { authorization: `Bearer ${reader.secret}` });
    expect(response.status).toBe(403);
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="keyward", error="insufficient_scope", scope="devices:write"');
  });

  it.skipIf(!available)('denies routes the table does not know, and paths that could be read two ways', async () => {
    const auth = { authorization: `Bearer ${reader.secret}` };
    expect((await send('GET', '/api/v1/secrets', auth)).status).toBe(403);
    expect((await send('GET', '/api/v1/devices/%2e%2e/clients', auth)).status).toBe(403);
    expect((await send('GET', '/api/v1/devices%2Fdev_1', auth)).status).toBe(403);
  });

  it.skipIf(!available)('answers 401 with the RFC 6750 challenge without a token', async () => {
    const response = await send('GET', '/api/v1/devices');
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="keyward"');
  });

  it.skipIf(!available)('answers 401 invalid_token for a revoked token, at once', async () => {
    const token = await makeToken(t.ctx, org, owner, { scopes: ['devices:read'] });
    expect((await send('GET', '/api/v1/devices', { authorization: `Bearer ${token.secret}` })).status).toBe(200);
    const revoke = await t.app.inject({ method: 'POST', url: `/api/v1/orgs/${org.id}/tokens/${token.id}/revoke`, headers: { authorization: `Bearer ${(await makeToken(t.ctx, org, owner, { scopes: ['keyward:tokens:write'] })).secret}` } });
    expect(revoke.statusCode).toBe(200);
    const response = await send('GET', '/api/v1/devices', { authorization: `Bearer ${token.secret}` });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer realm="keyward", error="invalid_token"/);
  });

  it.skipIf(!available)("answers 429 with Retry-After and the RateLimit headers for a token over its rate limit", async () => {
    const limited = await makeToken(t.ctx, org, owner, { scopes: ['devices:read'], rateLimits: [{ name: 'minute', limit: 2, window_seconds: 60 }] });
    const auth = { authorization: `Bearer ${limited.secret}` };
    const first = await send('GET', '/api/v1/devices', auth);
    expect(first.status).toBe(200);
    // nginx's example copies the quota onto the answer; Caddy's forward_auth hands headers only to the upstream.
    if (name === 'nginx') expect(first.headers.get('ratelimit')).toMatch(/^"minute";r=1;t=\d+$/);
    expect((await send('GET', '/api/v1/devices', auth)).status).toBe(200);
    const refused = await send('GET', '/api/v1/devices', auth);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(59);
    expect(refused.headers.get('ratelimit-policy')).toBe('"minute";q=2;w=60');
    expect(refused.headers.get('ratelimit')).toMatch(/^"minute";r=0;t=\d+$/);
  });

  // Last: it leaves the client's address blocked for the rest of the minute.
  it.skipIf(!available)('answers 429 with Retry-After once a client has failed too often', async () => {
    let response: Response | undefined;
    for (let i = 0; i < 150; i++) {
      response = await send('GET', '/api/v1/devices', { authorization: `Bearer kw_guess${i}` });
      if (response.status !== 401) break;
    }
    expect(response!.status).toBe(429);
    expect(Number(response!.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});
