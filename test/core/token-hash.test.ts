import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateApiKey } from '../../src/core/token-format.js';
import { digestSecret, sameDigest } from '../../src/core/token-hash.js';
import { findTokenByDigest } from '../../src/store/tokens.js';
import { addMember, makeOrg, makeToken, makeUser } from '../factories.js';
import { startTestApp, type TestApp } from '../harness.js';

const pepper = randomBytes(32);

describe('digestSecret', () => {
  it('is a deterministic 64-hex HMAC that depends on the pepper', () => {
    fc.assert(
      fc.property(fc.string(), (secret) => {
        const digest = digestSecret(pepper, secret);
        expect(digest).toMatch(/^[0-9a-f]{64}$/);
        expect(digestSecret(pepper, secret)).toBe(digest);
        expect(digestSecret(randomBytes(32), secret)).not.toBe(digest);
      }),
    );
  });

  it('never maps two different generated tokens to the same digest', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 300 }), (n) => {
        const tokens = new Set(Array.from({ length: n }, () => generateApiKey('kw')));
        const digests = new Set([...tokens].map((t) => digestSecret(pepper, t)));
        expect(digests.size).toBe(tokens.size);
      }),
      { numRuns: 50 },
    );
  });

  it('separates secrets that differ in one character', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.nat(), (secret, at) => {
        const position = at % secret.length;
        const other = secret.slice(0, position) + String.fromCharCode(secret.charCodeAt(position) ^ 1) + secret.slice(position + 1);
        expect(digestSecret(pepper, other)).not.toBe(digestSecret(pepper, secret));
      }),
    );
  });
});

describe('sameDigest', () => {
  it('is string equality', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (a, b) => {
        expect(sameDigest(a, b)).toBe(a === b);
        expect(sameDigest(a, a)).toBe(true);
      }),
    );
  });
});

describe('findTokenByDigest', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('returns exactly the token whose secret was digested, and nothing for any other', async () => {
    const org = await makeOrg(t.ctx);
    const owner = await makeUser(t.ctx);
    await addMember(t.ctx, org, owner);
    const tokens: { id: string; secret: string }[] = [];
    for (let i = 0; i < 200; i++) tokens.push(await makeToken(t.ctx, org, owner, { kind: i % 20 === 0 ? 'jwt' : 'api_key' }));
    for (const { id, secret } of tokens) {
      const row = await findTokenByDigest(t.ctx.db, digestSecret(t.ctx.pepper, secret));
      expect(row?.id).toBe(id);
    }
    for (let i = 0; i < 50; i++) {
      expect(await findTokenByDigest(t.ctx.db, digestSecret(t.ctx.pepper, generateApiKey('kw')))).toBeUndefined();
    }
    // The same secret under another pepper finds nothing: the pepper is part of the lookup key.
    expect(await findTokenByDigest(t.ctx.db, digestSecret(randomBytes(32), tokens[0]!.secret))).toBeUndefined();
  });
});
