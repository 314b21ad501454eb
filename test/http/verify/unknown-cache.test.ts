import { afterEach, describe, expect, it } from 'vitest';
import { generateApiKey } from '../../../src/core/token-format.js';
import { prepareToken } from '../../../src/services/tokens/issue.js';
import { insertToken } from '../../../src/store/tokens.js';
import type { Org, User } from '../../../src/core/model.js';
import type { ServiceContext } from '../../../src/services/context.js';
import { addMember, makeOrg, makeUser, makeVerifier } from '../../factories.js';
import { json, startTestApp, type TestApp } from '../../harness.js';
import { Interleaver } from '../../interleave.js';

/**
 * Well-formed tokens the store does not know are remembered (bounded), so a flood of random
 * tokens does not reach the database per request; a token created with such a secret's digest
 * drops the entry, on this process at once.
 */
let t: TestApp;
let interleaver: Interleaver | null = null;
afterEach(async () => {
  await t.close();
  await interleaver?.close();
  interleaver = null;
});

async function verify(secret: string, verifier: string): Promise<string> {
  const response = await t.app.inject({ method: 'POST', url: '/api/v1/verify', headers: { authorization: `Bearer ${verifier}` }, payload: { token: secret } });
  return json(response).code as string;
}

/** A token made but not stored yet, so the test knows its secret before it exists. */
async function unstoredToken(ctx: ServiceContext) {
  const org: Org = await makeOrg(ctx);
  const owner: User = await makeUser(ctx);
  await addMember(ctx, org, owner, 'member');
  const spec = { orgId: org.id, ownerId: owner.id, createdBy: owner.id, impersonation: false, name: 'later', description: null, scopes: ['devices:read'], kind: 'api_key' as const, ipAllowlist: [], expiresAt: null, rotatedFrom: null, limits: { rateLimits: [], usageLimit: null } };
  return prepareToken(ctx, spec, ctx.clock.now());
}

describe('the cache of unknown tokens', () => {
  it('answers a repeated unknown token from memory until a token of its digest is created', async () => {
    t = await startTestApp();
    const verifier = (await makeVerifier(t.ctx)).secret;
    const { token, secret } = await unstoredToken(t.ctx);
    expect(await verify(secret, verifier)).toBe('NOT_FOUND');
    expect(t.ctx.tokens.size.unknown).toBe(1);
    // Stored without telling the cache: the answer still comes from memory, so no read happened.
    await insertToken(t.ctx.db, token);
    expect(await verify(secret, verifier)).toBe('NOT_FOUND');
    t.ctx.invalidate.tokenCreated(token.digest);
    expect(t.ctx.tokens.size.unknown).toBe(0);
    expect(await verify(secret, verifier)).toBe('VALID');
  });

  it('keeps at most KEYWARD_UNKNOWN_CACHE_SIZE unknown tokens, and none with 0', async () => {
    t = await startTestApp({ env: { KEYWARD_UNKNOWN_CACHE_SIZE: '3' } });
    const verifier = (await makeVerifier(t.ctx)).secret;
    for (let i = 0; i < 10; i++) expect(await verify(generateApiKey('kw'), verifier)).toBe('NOT_FOUND');
    expect(t.ctx.tokens.size.unknown).toBe(3);
    await t.close();
    t = await startTestApp({ env: { KEYWARD_UNKNOWN_CACHE_SIZE: '0' } });
    const other = (await makeVerifier(t.ctx)).secret;
    expect(await verify(generateApiKey('kw'), other)).toBe('NOT_FOUND');
    expect(t.ctx.tokens.size.unknown).toBe(0);
  });

  it('does not remember a miss whose read overlapped the creation, after every read', async () => {
    t = await startTestApp();
    const gate = (interleaver = Interleaver.install(t.ctx));
    const verifier = (await makeVerifier(t.ctx)).secret;
    expect(await verify(generateApiKey('kw'), verifier)).toBe('NOT_FOUND'); // the verifier is cached now
    let points = 0;
    for (let k = 0; ; k++) {
      const { token, secret } = await unstoredToken(t.ctx);
      const create = async () => {
        await insertToken(t.ctx.db, token);
        t.ctx.invalidate.tokenCreated(token.digest);
      };
      // Paused after each read: the miss was read before the token existed, and is answered after.
      const { paused, result } = await gate.interleave(k, () => verify(secret, verifier), create, { at: 'after' });
      if (!paused) break;
      points += 1;
      expect(result).toBe('NOT_FOUND');
      expect(await verify(secret, verifier), `paused before round trip ${k}`).toBe('VALID');
    }
    expect(points).toBeGreaterThanOrEqual(1);
  });
});
