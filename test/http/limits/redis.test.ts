import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { closeContext, createContext } from '../../../src/runtime.js';
import type { ServiceContext } from '../../../src/services/context.js';
import { generateApiKey } from '../../../src/core/token-format.js';
import type { KeywardError } from '../../../src/core/errors.js';
import { authenticateToken } from '../../../src/services/authentication.js';
import { signIn } from '../../../src/services/sessions.js';
import { verifyToken } from '../../../src/services/verification.js';
import { makeUser, makeVerifier, seedOrg } from '../../factories.js';
import { json, startTestApp, type TestApp } from '../../harness.js';
import { redisServerAvailable, startRedis, type TestRedis } from '../../redis.js';
import { createdToken, NEW_TOKEN } from '../tokens/helpers.js';
import { codes, verifyAs } from './helpers.js';

/**
 * The shared counters in Redis (KEYWARD_REDIS_URL): two processes' contexts on one store and one
 * Redis enforce one limit, one set of credits and one failed-authentication limit per address; with Redis gone, limited tokens fail closed at
 * once, unlimited ones are served as before, /readyz says so, and it all recovers with Redis.
 */
describe.runIf(redisServerAvailable())('shared counters in Redis', () => {
  let redis: TestRedis;
  let t: TestApp;
  let other: ServiceContext;
  let seeded: Awaited<ReturnType<typeof seedOrg>>;
  let verifier: { id: string; secret: string };

  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(() => redis?.stop());
  beforeEach(async () => {
    t = await startTestApp({ env: { KEYWARD_REDIS_URL: redis.url } });
    // A second process of the cluster: its own memory, the same store and Redis.
    other = await createContext(t.ctx.config, { clock: t.clock });
    seeded = await seedOrg(t.app, t.ctx);
    verifier = await makeVerifier(t.ctx);
  });
  afterEach(async () => {
    await closeContext(other);
    await t.close();
  });

  const readiness = async () => json<{ counters: string }>(await t.app.inject({ method: 'GET', url: '/readyz' }));

  it('counts one limit across both processes', async () => {
    expect((await readiness()).counters).toBe('live');
    const token = await createdToken(t, seeded.member.headers, seeded.org.id, { ...NEW_TOKEN, rate_limits: [{ name: 'minute', limit: 5, window_seconds: 60 }] });
    const here = await codes(t, verifier.secret, { token: token.secret }, 3);
    const there: string[] = [];
    for (let i = 0; i < 3; i++) there.push((await verifyToken(other, { secret: token.secret })).code);
    expect([...here, ...there]).toEqual(['VALID', 'VALID', 'VALID', 'VALID', 'VALID', 'RATE_LIMITED']);
    const refused = await verifyAs(t, verifier.secret, { token: token.secret });
    expect(refused).toMatchObject({ code: 'RATE_LIMITED', rate_limits: [{ name: 'minute', remaining: 0 }] });
    expect(refused.retry_after_seconds).toBeGreaterThanOrEqual(59);
  });

  it('spends one set of credits across both processes, and writes the lowest count to the store', async () => {
    const token = await createdToken(t, seeded.member.headers, seeded.org.id, { ...NEW_TOKEN, usage_limit: { remaining: 4 } });
    const results = await Promise.all([
      ...Array.from({ length: 4 }, () => verifyAs(t, verifier.secret, { token: token.secret })),
      ...Array.from({ length: 4 }, () => verifyToken(other, { secret: token.secret })),
    ]);
    expect(results.filter((r) => r.code === 'VALID')).toHaveLength(4);
    expect(results.filter((r) => r.code === 'USAGE_EXCEEDED')).toHaveLength(4);
    await other.credits.flush();
    await t.ctx.credits.flush();
    const stored = await t.ctx.db.selectFrom('tokens').select('usage_remaining').where('id', '=', token.id).executeTakeFirstOrThrow();
    expect(stored.usage_remaining).toBe(0);
  });

  it('refuses an address spreading bad tokens over both processes once their shared total reaches the limit', async () => {
    const ip = '198.51.100.7';
    const bad = () => generateApiKey(t.ctx.config.tokenPrefix);
    const onA = async () => (await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: { authorization: `Bearer ${bad()}` }, remoteAddress: ip })).statusCode;
    const onB = () => authenticateToken(other, { secret: bad(), header: 'authorization' }, { ip, userAgent: null }).then(() => 200, (error: KeywardError) => error.status);
    const statuses: number[] = [];
    for (let i = 0; i < 75; i++) {
      statuses.push(await onA(), await onB());
      // The shared total reaches each process a moment after its own failure.
      await new Promise((r) => setTimeout(r, 2));
    }
    const failures = statuses.filter((s) => s === 401).length;
    // Alone each process would have evaluated 100 (200 in all); together at most the limit and one per process.
    expect(failures).toBeGreaterThanOrEqual(100);
    expect(failures).toBeLessThanOrEqual(102);
    expect(statuses.slice(-10)).toEqual(Array(10).fill(429));
  });

  it("holds one budget of failed sign-ins per (account, address) across both processes", async () => {
    const ip = '198.51.100.9';
    const user = await makeUser(t.ctx);
    const wrong = { email: user.email!, password: 'not the password' };
    const onA = async (password = wrong.password) =>
      (await t.app.inject({ method: 'POST', url: '/api/v1/session', payload: { ...wrong, password }, remoteAddress: ip })).statusCode;
    const onB = () => signIn(other, wrong, { ip, userAgent: null }).then(() => 200, (error: KeywardError) => error.status);
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) {
      statuses.push(await onA(), await onB());
      await new Promise((r) => setTimeout(r, 5));
    }
    const failures = statuses.filter((s) => s === 401).length;
    // 10 per pair; alone each process would have taken 10 (16 here, all evaluated).
    expect(failures).toBeGreaterThanOrEqual(10);
    expect(failures).toBeLessThanOrEqual(11);
    expect(statuses.slice(-2)).toEqual([429, 429]);
  });

  it('fails closed for limited tokens when Redis goes away, leaves the others alone, and recovers', async () => {
    const limited = await createdToken(t, seeded.member.headers, seeded.org.id, { ...NEW_TOKEN, rate_limits: [{ name: 'minute', limit: 100, window_seconds: 60 }] });
    const free = await createdToken(t, seeded.member.headers, seeded.org.id, { ...NEW_TOKEN, name: 'free' });
    expect((await verifyAs(t, verifier.secret, { token: limited.secret })).code).toBe('VALID');
    await redis.stop();
    const started = performance.now();
    const refused = await verifyAs(t, verifier.secret, { token: limited.secret });
    // At once: nothing waits for a Redis that is not there.
    expect(performance.now() - started).toBeLessThan(1500);
    expect(refused).toMatchObject({ valid: false, code: 'RATE_LIMITED', retry_after_seconds: 1 });
    expect((await verifyAs(t, verifier.secret, { token: free.secret })).code).toBe('VALID');
    const ready = await t.app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(json(ready)).toMatchObject({ status: 'ready', counters: 'degraded' });
    await redis.start();
    const deadline = Date.now() + 10_000;
    while ((await readiness()).counters !== 'live') {
      if (Date.now() > deadline) throw new Error('the counters did not reconnect to Redis');
      await new Promise((r) => setTimeout(r, 50));
    }
    expect((await verifyAs(t, verifier.secret, { token: limited.secret })).code).toBe('VALID');
  }, 30_000);
});
