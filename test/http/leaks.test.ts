import { createHash, generateKeyPairSync } from 'node:crypto';
import { SignJWT } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generateApiKey } from '../../src/core/token-format.js';
import type { Org, User } from '../../src/core/model.js';
import { findTokenById, updateToken } from '../../src/store/tokens.js';
import { addMember, makeOrg, makeToken, makeUser, makeVerifier } from '../factories.js';
import { json, startTestApp, type TestApp } from '../harness.js';

let t: TestApp;
let verifier: { id: string; secret: string };
let org: Org;
let owner: User;
beforeEach(async () => {
  t = await startTestApp();
  verifier = await makeVerifier(t.ctx);
  org = await makeOrg(t.ctx);
  owner = await makeUser(t.ctx);
  await addMember(t.ctx, org, owner, 'member');
});
afterEach(() => t.close());

type Candidate = { token: unknown; type?: unknown; url?: unknown; source?: unknown };

function report(body: unknown, options: { headers?: Record<string, string>; remoteAddress?: string } = {}) {
  return t.app.inject({
    method: 'POST',
    url: '/api/v1/leaks',
    headers: { 'content-type': 'application/json', ...options.headers },
    payload: typeof body === 'string' ? body : JSON.stringify(body),
    ...(options.remoteAddress ? { remoteAddress: options.remoteAddress } : {}),
  });
}

/** Reports, then waits until the report has been worked through (the answer comes before that). */
async function reportAndSettle(candidates: Candidate[]) {
  const response = await report(candidates);
  await t.ctx.leakReports.idle();
  return response;
}

async function verifyCode(secret: string): Promise<string> {
  const response = await t.app.inject({ method: 'POST', url: '/api/v1/verify', headers: { authorization: `Bearer ${verifier.secret}` }, payload: { token: secret } });
  expect(response.statusCode).toBe(200);
  return json<{ code: string }>(response).code;
}

async function auditRows() {
  return t.ctx.db.selectFrom('audit_events').selectAll().orderBy('id').execute();
}

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

function foreignJwt(claims: Record<string, unknown>): Promise<string> {
  const { privateKey } = generateKeyPairSync('ed25519');
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', kid: 'not-ours' })
    .setIssuer('http://keyward.test')
    .setAudience('http://keyward.test')
    .setIssuedAt()
    .sign(privateKey);
}

describe('POST /api/v1/leaks: valid tokens', () => {
  it('revokes a reported API key and JWT, audits token.leaked without the secret, and answers 202 {received}', async () => {
    const apiKey = await makeToken(t.ctx, org, owner, { kind: 'api_key' });
    const jwt = await makeToken(t.ctx, org, owner, { kind: 'jwt' });
    // Verified once, so a cached VALID answer has to be dropped by the revocation.
    expect(await verifyCode(apiKey.secret)).toBe('VALID');
    expect(await verifyCode(jwt.secret)).toBe('VALID');

    const response = await report(
      [
        { token: apiKey.secret, type: 'keyward_api_key', url: 'https://github.com/acme/app/blob/abc123/.env', source: 'content' },
        { token: jwt.secret, type: 'keyward_jwt', url: 'https://gist.github.com/acme/1', source: 'gist' },
        // The same token again, elsewhere: revoked and audited once.
        { token: apiKey.secret, url: 'https://github.com/acme/app/issues/7' },
      ],
      // A credential on the request is ignored, even a bad one.
      { headers: { authorization: 'Bearer kw_not_a_real_token' } },
    );
    expect(response.statusCode).toBe(202);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(json(response)).toEqual({ received: 3 });
    await t.ctx.leakReports.idle();

    expect(await verifyCode(apiKey.secret)).toBe('REVOKED');
    expect(await verifyCode(jwt.secret)).toBe('REVOKED');
    expect((await findTokenById(t.ctx.db, org.id, apiKey.id))?.revokedReason).toBe('leaked');

    const rows = await auditRows();
    const leaked = rows.filter((r) => r.action === 'token.leaked');
    expect(leaked.map((r) => r.target_id).sort()).toEqual([apiKey.id, jwt.id].sort());
    const apiKeyEvent = leaked.find((r) => r.target_id === apiKey.id)!;
    expect(apiKeyEvent).toMatchObject({ org_id: org.id, target_type: 'token', actor_type: 'system' });
    expect(JSON.parse(apiKeyEvent.details)).toEqual({
      url: 'https://github.com/acme/app/blob/abc123/.env',
      source: 'content',
      type: 'keyward_api_key',
      hashed_token: sha256(apiKey.secret),
      occurrences: 2,
    });
    expect(JSON.parse(leaked.find((r) => r.target_id === jwt.id)!.details)).toMatchObject({ url: 'https://gist.github.com/acme/1', source: 'gist', hashed_token: sha256(jwt.secret) });
    const revoked = rows.filter((r) => r.action === 'token.revoked');
    expect(revoked.map((r) => r.target_id).sort()).toEqual([apiKey.id, jwt.id].sort());
    expect(JSON.parse(revoked[0]!.details)).toMatchObject({ reason: 'leaked' });

    // Never a secret, in the audit log or in the server's log.
    const everything = JSON.stringify(rows) + t.logs.join('');
    for (const secret of [apiKey.secret, jwt.secret, apiKey.secret.slice(3)]) expect(everything).not.toContain(secret);
  });

  it('keeps tokens out of what the reporter said and bounds its length', async () => {
    const token = await makeToken(t.ctx, org, owner);
    const other = generateApiKey(t.ctx.config.tokenPrefix);
    await reportAndSettle([{ token: token.secret, url: `https://example.test/?key=${token.secret}&also=${other}\u0007`, source: 's'.repeat(256), type: 'x' }]);
    const event = (await auditRows()).find((r) => r.action === 'token.leaked')!;
    const details = JSON.parse(event.details) as { url: string; source: string };
    expect(details.url).toBe('https://example.test/?key=[token]&also=[token]');
    expect(details.source).toHaveLength(100);
    expect(event.details).not.toContain(token.secret);
  });

  it('revokes a disabled token too, since enabling it would bring the leaked secret back', async () => {
    const token = await makeToken(t.ctx, org, owner);
    await updateToken(t.ctx.db, token.id, { disabledAt: t.clock.now(), disabledReason: 'manual' });
    await reportAndSettle([{ token: token.secret }]);
    expect((await findTokenById(t.ctx.db, org.id, token.id))?.revokedReason).toBe('leaked');
  });

  it('answers before the candidates are looked at', async () => {
    const token = await makeToken(t.ctx, org, owner);
    // Work queued ahead holds the report back: the answer must not wait for it.
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    t.ctx.leakReports.add(0, () => gate, () => undefined);
    try {
      const response = await report([{ token: token.secret }]);
      expect(response.statusCode).toBe(202);
      expect(await verifyCode(token.secret)).toBe('VALID');
    } finally {
      release();
    }
    await t.ctx.leakReports.idle();
    expect(await verifyCode(token.secret)).toBe('REVOKED');
  });
});

describe('POST /api/v1/leaks: anything else', () => {
  it('answers unknown, malformed, revoked, expired and foreign candidates exactly as valid ones, and changes nothing', async () => {
    const otherOrg = await makeOrg(t.ctx);
    const otherOwner = await makeUser(t.ctx);
    await addMember(t.ctx, otherOrg, otherOwner);
    const bystander = await makeToken(t.ctx, otherOrg, otherOwner);
    const revoked = await makeToken(t.ctx, org, owner);
    await updateToken(t.ctx.db, revoked.id, { revokedAt: t.clock.now() - 1000, revokedReason: 'manual' });
    const expired = await makeToken(t.ctx, org, owner, { expiresInDays: 1 });
    t.clock.advanceDays(2);
    const candidates: Candidate[] = [
      { token: generateApiKey(t.ctx.config.tokenPrefix) }, // well formed, never issued
      { token: `${bystander.secret.slice(0, -1)}${bystander.secret.endsWith('A') ? 'B' : 'A'}` }, // a typo: bad checksum
      { token: 'hello world' },
      { token: generateApiKey('arrow') }, // another deployment's prefix
      { token: await foreignJwt({ sub: owner.id, org: org.id, scope: 'devices:read', jti: revoked.id }) },
      { token: revoked.secret },
      { token: expired.secret },
    ];
    const before = await auditRows();
    const revokedBefore = await findTokenById(t.ctx.db, org.id, revoked.id);

    const nothing = await reportAndSettle(candidates);
    expect(nothing.statusCode).toBe(202);
    expect(json(nothing)).toEqual({ received: candidates.length });

    expect(await auditRows()).toEqual(before);
    expect(await findTokenById(t.ctx.db, org.id, revoked.id)).toEqual(revokedBefore);
    expect((await findTokenById(t.ctx.db, org.id, expired.id))?.revokedAt).toBeNull();
    expect(await verifyCode(bystander.secret)).toBe('VALID');

    // A report of as many candidates, all valid, gets the very same answer.
    const valid = await Promise.all(candidates.map(() => makeToken(t.ctx, org, owner, { expiresInDays: 30 })));
    const something = await reportAndSettle(valid.map((v) => ({ token: v.secret })));
    expect(something.statusCode).toBe(nothing.statusCode);
    expect(something.body).toBe(nothing.body);
    expect(something.headers['content-type']).toBe(nothing.headers['content-type']);
    expect(await verifyCode(valid[0]!.secret)).toBe('REVOKED');
    expect(await verifyCode(bystander.secret)).toBe('VALID');
  });

  it('refuses a body that is not a report with 400, and revokes nothing of it', async () => {
    const token = await makeToken(t.ctx, org, owner);
    const tooMany = Array.from({ length: 1001 }, (_, i) => ({ token: i === 0 ? token.secret : `candidate-${i}` }));
    const shapes: unknown[] = [
      tooMany,
      [],
      { token: token.secret },
      [{ url: 'https://example.test' }],
      [{ token: 42 }],
      [{ token: '' }],
      [token.secret],
      [{ token: 'x'.repeat(4097) }],
      [{ token: token.secret, url: 'u'.repeat(2049) }],
      [{ token: token.secret, source: ['content'] }],
      '[{"token": "unterminated',
    ];
    for (const body of shapes) {
      const response = await report(body);
      expect(response.statusCode, JSON.stringify(body).slice(0, 80)).toBe(400);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(json(response).code).toBe('validation_failed');
    }
    expect(json(await report(tooMany)).detail).toMatch(/at most 1000 items/);
    await t.ctx.leakReports.idle();
    expect(await verifyCode(token.secret)).toBe('VALID');
    expect((await auditRows()).filter((r) => r.action === 'token.leaked')).toEqual([]);
  });

  it('refuses other media types with 415 and a body over 2 MiB with 413, taking one above Fastify’s default 1 MiB', async () => {
    const text = await t.app.inject({ method: 'POST', url: '/api/v1/leaks', headers: { 'content-type': 'text/plain' }, payload: 'kw_x' });
    expect(text.statusCode).toBe(415);
    const large = await report(Array.from({ length: 400 }, (_, i) => ({ token: `${i}`.padEnd(4000, 'x') })));
    expect(large.statusCode).toBe(202);
    expect(json(large)).toEqual({ received: 400 });
    const huge = await report(Array.from({ length: 600 }, () => ({ token: 'x'.repeat(4000) })));
    expect(huge.statusCode).toBe(413);
    expect(json(huge).code).toBe('payload_too_large');
  });
});

describe('POST /api/v1/leaks: rate limit', () => {
  it('limits reports per client address with 429 and Retry-After, counting refused bodies too', async () => {
    const limit = t.ctx.limits.leakReportsByIp.limit;
    const from = { remoteAddress: '203.0.113.7' };
    for (let i = 0; i < limit; i++) {
      // X-Forwarded-For is not believed without KEYWARD_TRUST_PROXY: it cannot buy a fresh allowance.
      const response = await report(i % 2 ? [{ token: `candidate-${i}` }] : 'not json', { ...from, headers: { 'x-forwarded-for': `198.51.100.${i}` } });
      expect(response.statusCode).toBe(i % 2 ? 202 : 400);
    }
    const limited = await report([{ token: 'one more' }], from);
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(json(limited).code).toBe('rate_limited');
    const retryAfter = Number(limited.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);

    expect((await report([{ token: 'elsewhere' }], { remoteAddress: '203.0.113.8' })).statusCode).toBe(202);
    t.clock.advance(retryAfter * 1000);
    expect((await report([{ token: 'later' }], from)).statusCode).toBe(202);
  });

  it('limits by the forwarded address when the proxy is trusted', async () => {
    const behindProxy = await startTestApp({ env: { KEYWARD_TRUST_PROXY: '127.0.0.1' } });
    try {
      const send = (client: string) =>
        behindProxy.app.inject({ method: 'POST', url: '/api/v1/leaks', headers: { 'x-forwarded-for': client }, payload: [{ token: 'x' }], remoteAddress: '127.0.0.1' });
      for (let i = 0; i < behindProxy.ctx.limits.leakReportsByIp.limit; i++) expect((await send('198.51.100.1')).statusCode).toBe(202);
      expect((await send('198.51.100.1')).statusCode).toBe(429);
      expect((await send('198.51.100.2')).statusCode).toBe(202);
    } finally {
      await behindProxy.close();
    }
  });
});

describe('POST /api/v1/leaks in the API document', () => {
  it('is public, takes the array of candidates and documents 202 and 429', async () => {
    const doc = json<{ paths: Record<string, Record<string, { security: unknown[]; requestBody: { content: Record<string, { schema: { type: string; maxItems: number } }> }; responses: Record<string, unknown> }>> }>(
      await t.app.inject({ method: 'GET', url: '/openapi.json' }),
    );
    const operation = doc.paths['/api/v1/leaks']!.post!;
    expect(operation.security).toEqual([]);
    expect(operation.requestBody.content['application/json']!.schema).toMatchObject({ type: 'array', maxItems: 1000 });
    expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining(['202', '400', '413', '429']));
  });
});
