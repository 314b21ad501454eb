import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { closeContext, createContext } from '../../src/runtime.js';
import type { ServiceContext } from '../../src/services/context.js';
import { prepareToken } from '../../src/services/tokens/issue.js';
import { verifyToken } from '../../src/services/verification.js';
import { insertToken } from '../../src/store/tokens.js';
import { addMember, makeOrg, makeUser } from '../factories.js';
import { FakeClock, testConfig } from '../harness.js';
import { createSchema, type TestSchema } from '../postgres.js';

/**
 * Two processes' contexts on one PostgreSQL: a token created on one drops the other's cached
 * "unknown" for its digest through LISTEN/NOTIFY, within the cluster's bound.
 */
let schema: TestSchema;
const opened: { ctx: ServiceContext; dir: string }[] = [];
afterEach(async () => {
  for (const { ctx, dir } of opened.splice(0)) {
    await closeContext(ctx);
    rmSync(dir, { recursive: true, force: true });
  }
  await schema.drop();
});

async function node(clock: FakeClock): Promise<ServiceContext> {
  const dir = mkdtempSync(join(tmpdir(), 'keyward-node-'));
  const ctx = await createContext(testConfig(dir, { KEYWARD_DATABASE_URL: schema.url }), { clock });
  opened.push({ ctx, dir });
  return ctx;
}

describe('the unknown-token cache in a cluster', () => {
  it('forgets an unknown token on every process once a token of its digest is created', async () => {
    schema = await createSchema();
    const clock = new FakeClock();
    const [a, b] = [await node(clock), await node(clock)];
    const org = await makeOrg(b);
    const owner = await makeUser(b);
    await addMember(b, org, owner, 'member');
    const spec = { orgId: org.id, ownerId: owner.id, createdBy: owner.id, impersonation: false, name: 'later', description: null, scopes: ['devices:read'], kind: 'api_key' as const, ipAllowlist: [], expiresAt: null, rotatedFrom: null, limits: { rateLimits: [], usageLimit: null } };
    const { token, secret } = await prepareToken(b, spec, clock.now());

    expect((await verifyToken(a, { secret })).code).toBe('NOT_FOUND');
    await insertToken(b.db, token);
    // Stored, but nobody told a: it answers from memory.
    expect((await verifyToken(a, { secret })).code).toBe('NOT_FOUND');
    b.invalidate.tokenCreated(token.digest);
    const start = performance.now();
    while ((await verifyToken(a, { secret })).code !== 'VALID') {
      expect(performance.now() - start).toBeLessThan(1000);
      await new Promise((r) => setTimeout(r, 5));
    }
  });
});
