import { connect, type AddressInfo } from 'node:net';
import type { InjectOptions } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Org, User } from '../../src/core/model.js';
import { generateApiKey } from '../../src/core/token-format.js';
import { addMember, makeOrg, makeToken, makeUser, makeVerifier, signIn } from '../factories.js';
import { json, startTestApp, type TestApp } from '../harness.js';
import { BARE_CHALLENGE, countQueries, expectProblem, INVALID_REQUEST, INVALID_TOKEN, type Expected } from './attack-helpers.js';

/**
 * DESIGN §3, attacked: every odd way of presenting a credential gets one exact answer (status,
 * challenge, problem code), never a 500, and the token never reaches the log.
 */
let t: TestApp;
let org: Org;
let owner: User;
let token: { id: string; secret: string };
let other: { id: string; secret: string };
let verifier: { id: string; secret: string };
beforeEach(async () => {
  t = await startTestApp();
  org = await makeOrg(t.ctx);
  owner = await makeUser(t.ctx);
  await addMember(t.ctx, org, owner, 'owner');
  token = await makeToken(t.ctx, org, owner, { scopes: ['devices:read', 'keyward:tokens:read'] });
  other = await makeToken(t.ctx, org, owner, { scopes: ['devices:read', 'keyward:tokens:read'] });
  verifier = await makeVerifier(t.ctx);
});
afterEach(() => t.close());

/** Raw header lists, so duplicates and order are exactly what is sent. */
const me = (headers: Record<string, string | string[]>, extra: Partial<InjectOptions> = {}) =>
  t.app.inject({ method: 'GET', url: '/api/v1/me', headers: headers as Record<string, string>, ...extra });

const NONE: Expected = { status: 401, code: 'unauthenticated', challenge: BARE_CHALLENGE };
const BAD_TOKEN: Expected = { status: 401, code: 'invalid_token', challenge: INVALID_TOKEN };
const BAD_REQUEST: Expected = { status: 400, code: 'invalid_request', challenge: INVALID_REQUEST };

describe('Authorization on the management API', () => {
  const cases: [label: string, value: (secret: string) => string, expected: Expected][] = [
    ['empty', () => '', NONE],
    ['only spaces', () => '    ', NONE],
    ['Basic', () => `Basic ${Buffer.from('user:pass').toString('base64')}`, NONE],
    ['Digest', () => 'Digest username="a", realm="keyward"', NONE],
    ['Token (another scheme, the secret as its parameter)', (s) => `Token ${s}`, NONE],
    ['Bearerx (a scheme that only starts with Bearer)', (s) => `Bearerx ${s}`, NONE],
    ['DPoP', (s) => `DPoP ${s}`, NONE],
    ['the bare secret, no scheme', (s) => s, NONE],
    ['Bearer with nothing after it', () => 'Bearer', BAD_REQUEST],
    ['Bearer and spaces', () => 'Bearer    ', BAD_REQUEST],
    ['Bearer and a tab before the token', (s) => `Bearer\t${s}`, BAD_REQUEST],
    ['two tokens after one Bearer', (s) => `Bearer ${s} ${s}`, BAD_REQUEST],
    ['two challenges joined with a comma', (s) => `Bearer ${s}, Bearer ${s}`, BAD_REQUEST],
    ['a non-ASCII character in the token', (s) => `Bearer ${s}é`, BAD_REQUEST],
    ['a DEL character in the token', (s) => `Bearer ${s}\x7f`, BAD_REQUEST],
    ['the token in double quotes', (s) => `Bearer "${s}"`, BAD_TOKEN],
    ['the token in single quotes', (s) => `Bearer '${s}'`, BAD_TOKEN],
    ['a trailing comma', (s) => `Bearer ${s},`, BAD_TOKEN],
    ['two tokens joined by a comma', (s) => `Bearer ${s},${s}`, BAD_TOKEN],
    ['a token68 with padding', () => 'Bearer a2V5d2FyZA==', BAD_TOKEN],
    ['a prefix with no secret', () => 'Bearer kw_', BAD_TOKEN],
  ];
  it.each(cases)('answers %s exactly', async (label, value, expected) => {
    expectProblem(await me({ authorization: value(token.secret) }), expected, label);
  });

  it.each([
    ['a NUL byte', '\x00'],
    ['a backspace', '\x08'],
    ['an escape', '\x1b'],
    ['a vertical tab', '\x0b'],
  ])('answers a token holding %s with 400 invalid_request', async (_label, control) => {
    expectProblem(await me({ authorization: `Bearer ${token.secret}${control}` }), BAD_REQUEST);
    expectProblem(await me({ authorization: `Bearer ${control}${token.secret}` }), BAD_REQUEST);
  });

  it('takes every case of the scheme, and nothing in the token is case-folded', async () => {
    for (const scheme of ['Bearer', 'bearer', 'BEARER', 'bEARER']) {
      expect((await me({ authorization: `${scheme} ${token.secret}` })).statusCode, scheme).toBe(200);
    }
    const swapped = token.secret.replace(/[a-z]/, (c) => c.toUpperCase());
    if (swapped !== token.secret) expectProblem(await me({ authorization: `Bearer ${swapped}` }), BAD_TOKEN);
    expectProblem(await me({ authorization: `Bearer ${token.secret.toUpperCase()}` }), BAD_TOKEN);
  });

  it('refuses a CRLF smuggled into the header, injecting nothing into the response', async () => {
    const response = await me({ authorization: `Bearer ${token.secret}\r\nX-Injected: yes` });
    expectProblem(response, BAD_REQUEST);
    expect(response.headers['x-injected']).toBeUndefined();
    expect(String(response.headers['www-authenticate'])).not.toMatch(/[\r\n]/);
  });
});

describe('duplicate and competing headers', () => {
  it('answers two Authorization headers 400 in either order, a valid one first or last', async () => {
    for (const pair of [
      [`Bearer ${token.secret}`, 'Bearer garbage'],
      ['Bearer garbage', `Bearer ${token.secret}`],
      [`Bearer ${token.secret}`, `Bearer ${other.secret}`],
      [`Bearer ${other.secret}`, `Bearer ${token.secret}`],
      [`Bearer ${token.secret}`, ''],
      ['', `Bearer ${token.secret}`],
      [`Bearer ${token.secret}`, 'Basic dXNlcjpwYXNz'],
      ['Basic dXNlcjpwYXNz', `Bearer ${token.secret}`],
    ]) {
      expectProblem(await me({ authorization: pair }), BAD_REQUEST, pair.join(' | '));
    }
  });

  it('answers two X-API-Key headers 400 in either order, even equal ones', async () => {
    for (const pair of [
      [token.secret, other.secret],
      [other.secret, token.secret],
      [token.secret, token.secret],
    ]) {
      expectProblem(await me({ 'x-api-key': pair }), BAD_REQUEST);
    }
  });

  it('answers Authorization and X-API-Key with different tokens 400 in either order, and takes them equal', async () => {
    expectProblem(await me({ authorization: `Bearer ${token.secret}`, 'x-api-key': other.secret }), BAD_REQUEST);
    expectProblem(await me({ 'x-api-key': other.secret, authorization: `Bearer ${token.secret}` }), BAD_REQUEST);
    expectProblem(await me({ 'x-api-key': 'garbage', authorization: `Bearer ${token.secret}` }), BAD_REQUEST);
    const same = await me({ 'x-api-key': token.secret, authorization: `Bearer ${token.secret}` });
    expect(same.statusCode).toBe(200);
    expect(json(same).token.id).toBe(token.id);
  });

  it('answers an empty or blank X-API-Key 400, and X-API-Key beside another scheme as the key', async () => {
    expectProblem(await me({ 'x-api-key': '' }), BAD_REQUEST);
    expectProblem(await me({ 'x-api-key': '   ' }), BAD_REQUEST);
    expectProblem(await me({ 'x-api-key': `"${token.secret}"` }), BAD_TOKEN);
    expectProblem(await me({ 'x-api-key': `${token.secret} extra` }), BAD_TOKEN);
    const beside = await me({ authorization: 'Basic dXNlcjpwYXNz', 'x-api-key': token.secret });
    expect(beside.statusCode).toBe(200);
  });

  it('lets a token win over a session cookie, and a bad token is not rescued by the cookie', async () => {
    const member = await makeUser(t.ctx);
    await addMember(t.ctx, org, member, 'member');
    const session = await signIn(t.app, member);
    const withToken = await me({ ...session, authorization: `Bearer ${token.secret}` });
    expect(json(withToken).token.id).toBe(token.id);
    expectProblem(await me({ ...session, authorization: 'Bearer garbage' }), BAD_TOKEN);
  });
});

describe('the verifier routes and forward auth', () => {
  const verify = (headers: Record<string, string | string[]>) =>
    t.app.inject({ method: 'POST', url: '/api/v1/verify', headers: headers as Record<string, string>, payload: { token: token.secret } });
  const check = (headers: Record<string, string | string[]>) =>
    t.app.inject({ method: 'GET', url: '/auth/check', headers: { 'x-original-method': 'GET', 'x-original-uri': '/api/v1/devices', ...headers } as Record<string, string> });

  it('answers the same malformed credentials on /api/v1/verify as on the management API', async () => {
    expectProblem(await verify({}), NONE);
    expectProblem(await verify({ authorization: '' }), NONE);
    expectProblem(await verify({ authorization: `Basic ${Buffer.from(`${verifier.id}:${verifier.secret}`).toString('base64')}` }), NONE);
    expectProblem(await verify({ authorization: 'Bearer' }), BAD_REQUEST);
    expectProblem(await verify({ authorization: `Bearer "${verifier.secret}"` }), BAD_TOKEN);
    expectProblem(await verify({ authorization: [`Bearer ${verifier.secret}`, `Bearer ${verifier.secret}`] }), BAD_REQUEST);
    expectProblem(await verify({ 'x-api-key': verifier.secret }), BAD_TOKEN);
    expect((await verify({ authorization: `bearer ${verifier.secret}` })).statusCode).toBe(200);
  });

  it('answers every malformed credential on /auth/check with a 401 (nginx turns a 400 into a 500), never 2xx', async () => {
    expectProblem(await check({}), NONE);
    expectProblem(await check({ authorization: 'Basic dXNlcjpwYXNz' }), NONE);
    const malformed: Record<string, string | string[]>[] = [
      { authorization: 'Bearer' },
      { authorization: `Bearer ${token.secret} ${token.secret}` },
      { authorization: `Bearer ${token.secret}\x00` },
      { authorization: `Bearer ${token.secret}é` },
      { authorization: [`Bearer ${token.secret}`, `Bearer ${other.secret}`] },
      { authorization: ['Bearer garbage', `Bearer ${token.secret}`] },
      { 'x-api-key': [token.secret, token.secret] },
      { authorization: `Bearer ${token.secret}`, 'x-api-key': other.secret },
      { authorization: `Bearer "${token.secret}"` },
    ];
    for (const headers of malformed) {
      const response = await check(headers);
      expectProblem(response, BAD_TOKEN, JSON.stringify(headers));
      expect(response.headers['x-keyward-token-id']).toBeUndefined();
    }
    expect((await check({ authorization: `BEARER ${token.secret}` })).statusCode).toBe(200);
  });
});

describe('a bad checksum', () => {
  const badChecksum = () => token.secret.slice(0, -1) + (token.secret.at(-1) === 'A' ? 'B' : 'A');
  const oneCharOff = () => token.secret.slice(0, 10) + (token.secret[10] === 'x' ? 'y' : 'x') + token.secret.slice(11);

  it('is answered 401 invalid_token by the management API without a database read', async () => {
    await me({ authorization: `Bearer ${token.secret}` }); // warms caches
    const counter = countQueries(t.ctx);
    try {
      for (const secret of [badChecksum(), oneCharOff(), `${token.secret}A`, token.secret.slice(0, -1)]) {
        expectProblem(await me({ authorization: `Bearer ${secret}` }), BAD_TOKEN, secret);
        expectProblem(await me({ 'x-api-key': secret }), BAD_TOKEN, secret);
        expectProblem(
          await t.app.inject({ method: 'POST', url: `/api/v1/orgs/${org.id}/tokens`, headers: { authorization: `Bearer ${secret}` }, payload: { name: 'x' } }),
          BAD_TOKEN,
        );
      }
      expect(counter.count()).toBe(0);
      // The counter does see reads: an unknown token with a good checksum is looked up.
      expectProblem(await me({ authorization: `Bearer ${generateApiKey('kw')}` }), BAD_TOKEN);
      expect(counter.count()).toBeGreaterThan(0);
    } finally {
      counter.restore();
    }
  });

  it('is answered 401 invalid_token by /auth/check without a database read', async () => {
    const check = (secret: string) =>
      t.app.inject({ method: 'GET', url: '/auth/check', headers: { authorization: `Bearer ${secret}`, 'x-original-method': 'GET', 'x-original-uri': '/api/v1/devices' } });
    expect((await check(token.secret)).statusCode).toBe(200);
    const counter = countQueries(t.ctx);
    try {
      for (const secret of [badChecksum(), oneCharOff()]) {
        const response = await check(secret);
        expectProblem(response, BAD_TOKEN);
        expect(response.headers['x-keyward-token-id']).toBeUndefined();
      }
      expect(counter.count()).toBe(0);
    } finally {
      counter.restore();
    }
  });
});

describe('the log', () => {
  it('holds none of the tokens presented in any of these ways', async () => {
    const secrets = [token.secret, other.secret, verifier.secret];
    await me({ authorization: `Bearer ${token.secret}` });
    await me({ authorization: [`Bearer ${token.secret}`, `Bearer ${other.secret}`] });
    await me({ authorization: `Token ${token.secret}` });
    await me({ authorization: `Bearer "${token.secret}"` });
    await me({ authorization: `Bearer ${token.secret}\r\nX: y` });
    await me({ 'x-api-key': [other.secret, token.secret] });
    await me({ authorization: `Bearer ${token.secret}` }, { url: `/api/v1/me?access_token=${other.secret}` });
    await me({}, { url: `/api/v1/me?access_token=${other.secret}` });
    await t.app.inject({ method: 'POST', url: `/api/v1/orgs/${org.id}/tokens`, headers: { authorization: `Bearer ${token.secret}` }, payload: { access_token: other.secret } });
    await t.app.inject({ method: 'POST', url: '/api/v1/verify', headers: { authorization: `Bearer ${verifier.secret}` }, payload: { token: other.secret.slice(0, -1) + 'Z' } });
    await t.app.inject({ method: 'POST', url: '/api/v1/verify', headers: { authorization: `Bearer ${verifier.secret}` }, payload: { token: token.secret } });
    await t.app.inject({ method: 'GET', url: '/auth/check', headers: { authorization: `Bearer ${token.secret}`, 'x-original-uri': `/api/v1/devices?access_token=${other.secret}`, 'x-original-method': 'GET' } });
    const log = t.logs.join('\n');
    expect(t.logs.length).toBeGreaterThan(0);
    for (const secret of secrets) {
      expect(log).not.toContain(secret);
      expect(log).not.toContain(secret.slice(3, 3 + 32)); // the random part, without its prefix
    }
  });
});

describe('oversized requests', () => {
  it('answers an oversized header 431 on a listening server, which keeps serving', async () => {
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = t.app.server.address() as AddressInfo;
    // A raw socket: Node answers 431 and closes while a client may still be writing, which an HTTP client reports as a reset.
    const get = (headers: Record<string, string>) =>
      new Promise<{ status: number; body: string }>((resolve) => {
        const socket = connect(port, '127.0.0.1');
        let received = '';
        const done = () => {
          const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(received)?.[1] ?? 0);
          resolve({ status, body: received.slice(received.indexOf('\r\n\r\n') + 4) });
        };
        socket.on('data', (chunk) => (received += chunk.toString('utf8')));
        socket.on('error', done);
        socket.on('close', done);
        const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`);
        socket.write(`GET /api/v1/me HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n${lines.join('')}\r\n`);
      });
    for (const headers of [
      { authorization: `Bearer ${'a'.repeat(64 * 1024)}` },
      { 'x-api-key': 'k'.repeat(64 * 1024) },
      { cookie: `kw_session=${'s'.repeat(64 * 1024)}` },
      Object.fromEntries(Array.from({ length: 400 }, (_, i) => [`x-filler-${i}`, 'f'.repeat(100)])),
    ]) {
      expect((await get(headers)).status).toBe(431);
    }
    expect((await get({ authorization: `Bearer ${token.secret}` })).status).toBe(200);
    // Long but under the limit: an answer of the app, not of Node.
    const long = await get({ authorization: `Bearer ${'a'.repeat(8 * 1024)}` });
    expect(long.status).toBe(401);
    expect(JSON.parse(long.body).code).toBe('invalid_token');
  });

  it('answers an oversized body 413 payload_too_large on every kind of body route, before or after authentication', async () => {
    const big = 'x'.repeat(2 * 1024 * 1024);
    const bodies: [string, InjectOptions][] = [
      ['sign-in', { method: 'POST', url: '/api/v1/session', payload: JSON.stringify({ email: 'a@b.test', password: big }) }],
      ['verify', { method: 'POST', url: '/api/v1/verify', headers: { authorization: `Bearer ${verifier.secret}` }, payload: JSON.stringify({ token: big }) }],
      ['token create', { method: 'POST', url: `/api/v1/orgs/${org.id}/tokens`, headers: { authorization: `Bearer ${token.secret}` }, payload: JSON.stringify({ name: big }) }],
      ['leak report', { method: 'POST', url: '/api/v1/leaks', payload: JSON.stringify({ tokens: [big] }) }],
      [
        'introspection form',
        {
          method: 'POST',
          url: '/oauth/introspect',
          headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${verifier.id}:${verifier.secret}`).toString('base64')}` },
          payload: `token=${big}`,
        },
      ],
      ['revocation form', { method: 'POST', url: '/oauth/revoke', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: `token=${big}` }],
    ];
    for (const [label, options] of bodies) {
      const response = await t.app.inject({ ...options, headers: { 'content-type': 'application/json', ...options.headers } });
      expectProblem(response, { status: 413, code: 'payload_too_large', challenge: null }, label);
    }
    expect((await me({ authorization: `Bearer ${token.secret}` })).statusCode).toBe(200);
  });
});
