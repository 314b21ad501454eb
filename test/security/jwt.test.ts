import { createServer, type Server } from 'node:http';
import { createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { CompactSign, exportJWK, SignJWT } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Org, User } from '../../src/core/model.js';
import { addMember, makeOrg, makeToken, makeUser, makeVerifier, signIn } from '../factories.js';
import { json, startTestApp, type TestApp } from '../harness.js';
import { countQueries, expectProblem, INVALID_TOKEN } from './attack-helpers.js';

/**
 * RFC 8725 attacks on Keyward's JWTs (EdDSA, typ at+jwt, Keyward's own kid only), over the verify
 * route and the management API. Anything but the exact token Keyward issued is refused; a forgery
 * stops at the signature, before any read, and nothing is fetched from a URL a token names.
 */
let t: TestApp;
let org: Org;
let user: User;
let verifier: { id: string; secret: string };
let real: { id: string; secret: string };
let kid: string;
let outbound: { server: Server; hits: string[]; url: string };

const ISSUER = 'http://keyward.test';
/** The verify body's limit on `token` (src/contract/verify.ts). */
const VERIFY_TOKEN_MAX = 8192;
const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
const decode = (part: string) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;

beforeEach(async () => {
  t = await startTestApp();
  org = await makeOrg(t.ctx);
  user = await makeUser(t.ctx);
  await addMember(t.ctx, org, user, 'owner');
  verifier = await makeVerifier(t.ctx);
  real = await makeToken(t.ctx, org, user, { kind: 'jwt', scopes: ['devices:read', 'keyward:tokens:read'] });
  kid = t.ctx.jwtKeys.current;
  const hits: string[] = [];
  const server = createServer((request, response) => {
    hits.push(`${request.method} ${request.url}`);
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify({ keys: [] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  outbound = { server, hits, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
});
afterEach(async () => {
  await new Promise((resolve) => outbound.server.close(resolve));
  await t.close();
});

/** The real signing key, as an attacker who read the public JWKS has it: the public half only. */
function publicJwk() {
  return t.ctx.jwtKeys.jwks().keys.find((k) => k.kid === kid)!;
}

/** Keyward's own private key, to show that even a genuine signature does not pass with the wrong claims. */
function keywardPrivateKey(): KeyObject {
  return (t.ctx.jwtKeys as unknown as { keys: { kid: string; privateKey: KeyObject }[] }).keys.find((k) => k.kid === kid)!.privateKey;
}

function claims(extra: Record<string, unknown> = {}) {
  const now = Math.floor(t.clock.now() / 1000);
  return { iss: ISSUER, aud: ISSUER, sub: user.id, org: org.id, scope: 'devices:read keyward:admin', jti: real.id, iat: now, exp: now + 3600, ...extra };
}

async function sign(header: Record<string, unknown>, payload: Record<string, unknown>, key: KeyObject | Uint8Array): Promise<string> {
  return new CompactSign(new TextEncoder().encode(JSON.stringify(payload))).setProtectedHeader(header as never).sign(key);
}

const verify = (token: string) => t.app.inject({ method: 'POST', url: '/api/v1/verify', headers: { authorization: `Bearer ${verifier.secret}` }, payload: { token } });
const me = (token: string) => t.app.inject({ method: 'GET', url: '/api/v1/me', headers: { authorization: `Bearer ${token}` } });

/** Refused everywhere: MALFORMED from verify, 401 invalid_token from the management API and forward auth. */
async function expectRefused(token: string, code: 'MALFORMED' | 'NOT_FOUND' | 'REVOKED' | 'EXPIRED', label = '') {
  const answer = await verify(token);
  if (token.length > VERIFY_TOKEN_MAX) {
    // Longer than any token Keyward issues: the verify body's schema refuses it.
    expectProblem(answer, { status: 400, code: 'validation_failed', challenge: null }, label);
  } else {
    expect(answer.statusCode, label).toBe(200);
    expect(json(answer), label).toEqual(code === 'MALFORMED' || code === 'NOT_FOUND' ? { valid: false, code } : expect.objectContaining({ valid: false, code }));
  }
  expectProblem(await me(token), { status: 401, code: 'invalid_token', challenge: INVALID_TOKEN }, label);
  const check = await t.app.inject({
    method: 'GET',
    url: '/auth/check',
    headers: { authorization: `Bearer ${token}`, 'x-original-method': 'GET', 'x-original-uri': '/api/v1/devices' },
  });
  expect(check.statusCode, label).toBe(401);
  expect(check.headers['x-keyward-token-id']).toBeUndefined();
}

/** Forgeries are answered from the signature alone. */
async function expectForgery(token: string, label = '') {
  // The verifier's own credential is read on its first use: warm it, so the count is the token's alone.
  await verify(real.secret);
  const counter = countQueries(t.ctx);
  try {
    await expectRefused(token, 'MALFORMED', label);
    expect(counter.count(), `${label}: database reads`).toBe(0);
  } finally {
    counter.restore();
  }
}

describe('the issued JWT', () => {
  it('works, so every refusal below is about the change alone', async () => {
    expect(json(await verify(real.secret))).toMatchObject({ valid: true, code: 'VALID' });
    expect((await me(real.secret)).statusCode).toBe(200);
    expect(decode(real.secret.split('.')[0]!)).toEqual({ alg: 'EdDSA', typ: 'at+jwt', kid });
  });
});

describe('algorithm confusion', () => {
  it('refuses alg none, with or without a signature, and in every spelling', async () => {
    const [, payload] = real.secret.split('.');
    for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
      const header = b64({ alg, typ: 'at+jwt', kid });
      await expectForgery(`${header}.${payload}.`, alg);
      await expectForgery(`${header}.${payload}.${real.secret.split('.')[2]}`, alg);
    }
  });

  it('refuses HS256 signed with the public key (its raw bytes, its JWK, its PEM)', async () => {
    const jwk = publicJwk();
    const pem = createPublicKey({ key: jwk as never, format: 'jwk' }).export({ type: 'spki', format: 'pem' }) as string;
    const encode = (text: string) => new TextEncoder().encode(text);
    for (const secret of [Buffer.from(jwk.x!, 'base64url'), encode(jwk.x!), encode(JSON.stringify(jwk)), encode(pem)]) {
      for (const alg of ['HS256', 'HS384', 'HS512']) {
        await expectForgery(await sign({ alg, typ: 'at+jwt', kid }, claims(), secret), alg);
      }
    }
  });

  it('refuses every other algorithm, each signed with a fitting key of the attacker', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const p256 = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const ed = generateKeyPairSync('ed25519').privateKey;
    for (const [alg, key] of [
      ['RS256', rsa],
      ['PS256', rsa],
      ['ES256', p256],
      ['EdDSA', ed],
      ['Ed25519', ed],
    ] as const) {
      await expectForgery(await sign({ alg, typ: 'at+jwt', kid }, claims(), key), alg);
    }
  });

  it("refuses Keyward's own key under another alg name or type", async () => {
    const key = keywardPrivateKey();
    await expectForgery(await sign({ alg: 'Ed25519', typ: 'at+jwt', kid }, claims(), key), 'Ed25519');
    for (const typ of ['JWT', 'jwt', 'application/at+jwt', undefined]) {
      await expectForgery(await sign({ alg: 'EdDSA', ...(typ ? { typ } : {}), kid }, claims(), key), String(typ));
    }
  });
});

describe('keys named by the token', () => {
  it('fetches nothing for jku, x5u or an embedded jwk, and trusts none of them', async () => {
    const attacker = generateKeyPairSync('ed25519');
    const jwk = { ...(await exportJWK(attacker.publicKey)), kid: 'attacker', alg: 'EdDSA' };
    for (const [label, header] of [
      ['jku with the attacker kid', { jku: `${outbound.url}/jwks.json`, kid: 'attacker' }],
      ['jku with the real kid', { jku: `${outbound.url}/jwks.json`, kid }],
      ['x5u', { x5u: `${outbound.url}/cert.pem`, kid: 'attacker' }],
      ['x5u with the real kid', { x5u: `${outbound.url}/cert.pem`, kid }],
      ['an embedded jwk', { jwk, kid: 'attacker' }],
      ['an embedded jwk with the real kid', { jwk: { ...jwk, kid }, kid }],
      ['x5c', { x5c: ['MIIB'], kid }],
    ] as const) {
      await expectForgery(await sign({ alg: 'EdDSA', typ: 'at+jwt', ...header }, claims(), attacker.privateKey), label);
    }
    expect(outbound.hits).toEqual([]);
  });
});

describe('hostile kid', () => {
  it.each([
    ['path traversal', '../../../../etc/passwd'],
    ['a file URL', 'file:///etc/passwd'],
    ['SQL', "x' OR '1'='1' --"],
    ['SQL with a union', '1 UNION SELECT digest FROM tokens'],
    ['a NUL byte', `${'k'}\u0000${'id'}`],
    ['very long', 'k'.repeat(12_000)],
    ['empty', ''],
    ['a prototype key', '__proto__'],
    ['a number', 7],
    ['null', null],
    ['an object', { $ne: null }],
    ['a list holding the real kid', ['KID']],
  ])('refuses a kid that is %s', async (label, hostile) => {
    const value = Array.isArray(hostile) ? [kid] : hostile;
    const token = await sign({ alg: 'EdDSA', typ: 'at+jwt', kid: value }, claims(), generateKeyPairSync('ed25519').privateKey);
    await expectForgery(token, label);
    // Even Keyward's own signature does not make an unknown kid acceptable.
    await expectForgery(await sign({ alg: 'EdDSA', typ: 'at+jwt', kid: value }, claims(), keywardPrivateKey()), `${label}, signed by Keyward`);
  });
});

describe('claims', () => {
  it('refuses a wrong or missing aud and iss even under a genuine signature, before any read', async () => {
    const key = keywardPrivateKey();
    const header = { alg: 'EdDSA', typ: 'at+jwt', kid };
    for (const [label, extra] of [
      ['another aud', { aud: 'http://elsewhere.test' }],
      ['an aud list without Keyward', { aud: ['http://elsewhere.test'] }],
      ['no aud', { aud: undefined }],
      ['another iss', { iss: 'http://evil.test' }],
      ['iss with a trailing slash', { iss: `${ISSUER}/` }],
      ['no iss', { iss: undefined }],
    ] as const) {
      await expectForgery(await sign(header, claims(extra), key), label);
    }
  });

  it('refuses a tampered payload, header or signature', async () => {
    const [header, payload, signature] = real.secret.split('.') as [string, string, string];
    const body = decode(payload);
    for (const [label, changed] of [
      ['wider scope', { ...body, scope: 'devices:read keyward:admin keyward:tokens:write' }],
      ['another subject', { ...body, sub: 'usr_someoneelse' }],
      ['another org', { ...body, org: 'org_other' }],
      ['later exp', { ...body, exp: Number(body.exp) + 86_400 * 365 }],
      ['an act claim', { ...body, act: { sub: user.id } }],
    ] as const) {
      await expectForgery(`${header}.${b64(changed)}.${signature}`, label);
    }
    await expectForgery(`${b64({ alg: 'EdDSA', typ: 'at+jwt', kid: `${kid}x` })}.${payload}.${signature}`, 'kid changed');
    await expectForgery(`${header}.${payload}.${signature.slice(0, -2)}${signature.at(-2) === 'A' ? 'B' : 'A'}${signature.at(-1)}`, 'one signature byte');
    await expectForgery(`${header}.${payload}.`, 'no signature');
    await expectForgery(`${header}.${payload}`, 'two parts');
    await expectForgery(`${header}.${payload}.${signature}.${signature}`, 'four parts');
  });
});

describe('expiry at the edges', () => {
  it('is valid up to the last millisecond of its life and EXPIRED from its end on, with no leeway', async () => {
    const { secret, id } = await makeToken(t.ctx, org, user, { kind: 'jwt', expiresInDays: 1 });
    const end = t.clock.now() + 86_400_000;
    const exp = Number(decode(secret.split('.')[1]!).exp);
    // An offline verifier reading exp never accepts it for longer than Keyward does.
    expect(exp * 1000).toBeLessThanOrEqual(end);
    t.clock.ms = end - 1;
    expect(json(await verify(secret))).toMatchObject({ valid: true, code: 'VALID', token: { id } });
    expect((await me(secret)).statusCode).toBe(200);
    t.clock.ms = end;
    await expectRefused(secret, 'EXPIRED');
    t.clock.ms = end + 1;
    await expectRefused(secret, 'EXPIRED');
  });

  it('takes none of exp, nbf or iat from an unissued token: a genuine signature with a far exp or a past nbf is not a token', async () => {
    const key = keywardPrivateKey();
    const header = { alg: 'EdDSA', typ: 'at+jwt', kid };
    const now = Math.floor(t.clock.now() / 1000);
    for (const [label, extra] of [
      ['exp far away', { exp: now + 10 * 365 * 86_400 }],
      ['nbf in the past', { nbf: now - 60 }],
      ['nbf in the future', { nbf: now + 60 }],
      ['iat in the future', { iat: now + 86_400 }],
      ['no exp', { exp: undefined }],
    ] as const) {
      await expectRefused(await sign(header, claims({ ...extra, scope: 'devices:read keyward:tokens:read' }), key), 'NOT_FOUND', label);
    }
  });
});

describe('a revoked JWT', () => {
  async function revoke(id: string) {
    const response = await t.app.inject({ method: 'POST', url: `/api/v1/orgs/${org.id}/tokens/${id}/revoke`, headers: await signIn(t.app, user) });
    expect(response.statusCode).toBe(200);
  }

  it('stays refused however it is re-encoded: same claims re-serialized, a non-canonical signature encoding, padding, re-signed', async () => {
    const victim = await makeToken(t.ctx, org, user, { kind: 'jwt', scopes: ['devices:read', 'keyward:tokens:read'] });
    expect((await me(victim.secret)).statusCode).toBe(200);
    await revoke(victim.id);
    await expectRefused(victim.secret, 'REVOKED');
    const [header, payload, signature] = victim.secret.split('.') as [string, string, string];
    const body = decode(payload);
    const reordered = Object.fromEntries(Object.entries(body).reverse());
    await expectForgery(`${header}.${b64(reordered)}.${signature}`, 'claims in another order');
    await expectForgery(`${header}.${b64(JSON.stringify(body, null, 1))}.${signature}`, 'claims with whitespace');
    await expectForgery(`${b64(Object.fromEntries(Object.entries(decode(header)).reverse()))}.${payload}.${signature}`, 'header in another order');
    // 64 signature bytes leave 4 unused bits in the last base64url character: the same bytes, another string.
    const last = signature.at(-1)!;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const sibling = alphabet[(alphabet.indexOf(last) & ~0xf) | ((alphabet.indexOf(last) + 1) & 0xf)]!;
    const nonCanonical = `${header}.${payload}.${signature.slice(0, -1)}${sibling}`;
    expect(Buffer.from(nonCanonical.split('.')[2]!, 'base64url').equals(Buffer.from(signature, 'base64url'))).toBe(true);
    const answer = json(await verify(nonCanonical));
    expect(answer.valid).toBe(false);
    expectProblem(await me(nonCanonical), { status: 401, code: 'invalid_token', challenge: INVALID_TOKEN });
    await expectForgery(`${header}.${payload}.${signature}=`, 'padded signature');
    await expectForgery(`${header}=.${payload}.${signature}`, 'padded header');
    const standard = victim.secret.replace(/-/g, '+').replace(/_/g, '/');
    if (standard !== victim.secret) await expectForgery(standard, 'base64 in place of base64url');
    // The very claims, signed again with Keyward's key: still not the issued token, whatever its jti says.
    const resigned = await sign(decode(header), body, keywardPrivateKey());
    const again = json(await verify(resigned));
    expect(again.valid).toBe(false);
    expectProblem(await me(resigned), { status: 401, code: 'invalid_token', challenge: INVALID_TOKEN });
  });
});

describe('SignJWT sanity', () => {
  it('builds tokens jose itself would accept, so the refusals are Keyward’s', async () => {
    const token = await new SignJWT({ scope: 'x' }).setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', kid }).setIssuer(ISSUER).setAudience(ISSUER).sign(keywardPrivateKey());
    expect(await t.ctx.jwtKeys.verify(token)).not.toBeNull();
  });
});
