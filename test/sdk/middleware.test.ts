import { serve } from '@hono/node-server';
import { createVerifier, type TokenFacts, type Verifier } from '@keyward/sdk';
import { requireToken as expressToken } from '@keyward/sdk/express';
import { requireToken as fastifyToken } from '@keyward/sdk/fastify';
import { requireToken as honoToken, type KeywardEnv } from '@keyward/sdk/hono';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import { request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMember, makeOrg, makeToken } from '../factories.js';
import { startKeyward, within, type Keyward } from './keyward.js';

/**
 * requireToken in a real host app of each framework, in front of a real Keyward: a product's
 * route with `devices:read`, reached with tokens of different scopes and states.
 */
type Host = { url: string; close(): Promise<void> };

const SCOPES = { scopes: ['devices:read'] };

async function expressHost(verifier: Verifier): Promise<Host> {
  const app = express();
  app.get('/devices', expressToken(verifier, SCOPES), (req, res) => {
    res.json({ token: req.token });
  });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((r) => server.close(() => r())) };
}

async function fastifyHost(verifier: Verifier): Promise<Host> {
  const app = Fastify();
  app.get('/devices', { onRequest: fastifyToken(verifier, SCOPES) }, async (request) => ({ token: request.token }));
  return { url: await app.listen({ host: '127.0.0.1', port: 0 }), close: () => app.close() };
}

async function honoHost(verifier: Verifier): Promise<Host> {
  const app = new Hono<KeywardEnv>();
  app.get('/devices', honoToken(verifier, SCOPES), (c) => c.json({ token: c.get('token') }));
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((r) => server.close(() => r())) };
}

let k: Keyward;
beforeAll(async () => {
  k = await startKeyward();
});
afterAll(async () => {
  await k?.close();
});

describe.each([
  ['Express', expressHost],
  ['Fastify', fastifyHost],
  ['Hono', honoHost],
])('requireToken for %s', (_name, start) => {
  let verifier: Verifier;
  let host: Host;
  beforeAll(async () => {
    verifier = createVerifier({ url: k.url, verifierSecret: k.verifier.secret, issuer: 'http://keyward.test' });
    host = await start(verifier);
    await within(2000, () => verifier.feedLive);
  });
  afterAll(async () => {
    await host?.close();
    verifier?.close();
  });

  const get = (headers: Record<string, string> = {}) => fetch(`${host.url}/devices`, { headers });

  async function expectProblem(response: Response, status: number, code: string) {
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await response.json()).toMatchObject({ status, code, type: `https://keyward.dev/problems/${code}`, instance: '/devices' });
  }

  it('lets a token with the scope in and hands the route its facts', async () => {
    const { id, secret } = await k.token({ scopes: ['devices:read', 'clients:read'] });
    const response = await get({ authorization: `Bearer ${secret}` });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { token: TokenFacts };
    expect(body.token).toEqual({ id, org_id: k.org.id, subject: k.owner.id, scopes: ['devices:read', 'clients:read'] });
  });

  it('accepts X-API-Key, and a JWT', async () => {
    const key = await k.token();
    expect((await get({ 'x-api-key': key.secret })).status).toBe(200);
    const jwt = await k.token({ kind: 'jwt' });
    expect((await get({ authorization: `Bearer ${jwt.secret}` })).status).toBe(200);
  });

  it("refuses X-API-Key where the token's org does not accept it, even after a cached Bearer use", async () => {
    const org = await makeOrg(k.t.ctx, { policy: { accept_x_api_key: false } });
    await addMember(k.t.ctx, org, k.owner, 'member');
    const { secret } = await makeToken(k.t.ctx, org, k.owner);
    expect((await get({ authorization: `Bearer ${secret}` })).status).toBe(200);
    await expectProblem(await get({ 'x-api-key': secret }), 401, 'invalid_token');
  });

  it('answers 401 with a bare challenge without a token', async () => {
    const response = await get();
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="keyward"');
    await expectProblem(response, 401, 'unauthenticated');
  });

  it('answers 401 invalid_token for an unknown token, and for a revoked one within a second', async () => {
    const unknown = await get({ authorization: 'Bearer kw_unknown' });
    expect(unknown.headers.get('www-authenticate')).toMatch(/^Bearer realm="keyward", error="invalid_token"/);
    await expectProblem(unknown, 401, 'invalid_token');
    const { id, secret } = await k.token();
    expect((await get({ authorization: `Bearer ${secret}` })).status).toBe(200);
    await k.revoke(id);
    await within(1000, async () => (await get({ authorization: `Bearer ${secret}` })).status === 401);
  });

  it('answers 403 insufficient_scope naming the scope', async () => {
    const { secret } = await k.token({ scopes: ['clients:read'] });
    const response = await get({ authorization: `Bearer ${secret}` });
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="keyward", error="insufficient_scope", scope="devices:read"');
    await expectProblem(response, 403, 'insufficient_scope');
  });

  it('answers 400 invalid_request for two different credentials, two Authorization headers, or a query token beside a header', async () => {
    const { secret } = await k.token();
    const other = await k.token();
    await expectProblem(await get({ authorization: `Bearer ${secret}`, 'x-api-key': other.secret }), 400, 'invalid_request');
    expect((await get({ authorization: `Bearer ${secret}`, 'x-api-key': secret })).status).toBe(200);
    expect(await rawGet(['authorization', `Bearer ${secret}`, 'authorization', `Bearer ${other.secret}`])).toBe(400);
    await expectProblem(await fetch(`${host.url}/devices?access_token=${secret}`, { headers: { authorization: `Bearer ${secret}` } }), 400, 'invalid_request');
  });

  it('takes a token in the query string alone, or under another scheme, for no token at all', async () => {
    const { secret } = await k.token();
    await expectProblem(await fetch(`${host.url}/devices?access_token=${secret}`), 401, 'unauthenticated');
    await expectProblem(await get({ authorization: `Basic ${Buffer.from(`x:${secret}`).toString('base64')}` }), 401, 'unauthenticated');
  });

  it("puts a limited token's RateLimit headers on the route's answer, and answers 429 with Retry-After over the limit", async () => {
    const { secret } = await k.token({ rateLimits: [{ name: 'minute', limit: 2, window_seconds: 60 }] });
    const first = await get({ authorization: `Bearer ${secret}` });
    expect(first.status).toBe(200);
    expect(first.headers.get('ratelimit-policy')).toBe('"minute";q=2;w=60');
    expect(first.headers.get('ratelimit')).toMatch(/^"minute";r=1;t=\d+$/);
    expect((await get({ authorization: `Bearer ${secret}` })).status).toBe(200);
    const refused = await get({ authorization: `Bearer ${secret}` });
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(59);
    expect(refused.headers.get('ratelimit')).toMatch(/^"minute";r=0;t=\d+$/);
    expect(refused.headers.get('www-authenticate')).toBeNull();
    await expectProblem(refused, 429, 'rate_limited');
  });

  it('answers 429 usage_exceeded without Retry-After once credits that never refill are spent', async () => {
    const { secret } = await k.token({ usageLimit: { remaining: 1, refill: null } });
    expect((await get({ authorization: `Bearer ${secret}` })).status).toBe(200);
    const refused = await get({ authorization: `Bearer ${secret}` });
    expect(refused.headers.get('retry-after')).toBeNull();
    await expectProblem(refused, 429, 'usage_exceeded');
  });

  /** A request with exactly these header lines (fetch would join duplicates). */
  function rawGet(headers: string[]): Promise<number> {
    return new Promise((resolve, reject) => {
      const url = new URL(`${host.url}/devices`);
      const req = request({ host: url.hostname, port: url.port, path: url.pathname, headers }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
  }
});
