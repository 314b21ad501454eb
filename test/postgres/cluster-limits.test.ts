import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signInOverHttp, startBuiltServer } from '../server-process.js';
import { createSchema, type TestSchema } from '../postgres.js';
import { redisServerAvailable, startRedis, type TestRedis } from '../redis.js';

/**
 * Two Keyward processes on one PostgreSQL and one Redis, under load from both sides at once: a token
 * limited to 100 per minute gets at most 100 (+1 %) across the two, credits are spent exactly once,
 * and a token without limits is not slowed or refused by any of it.
 */
const PEPPER = 'f'.repeat(64);
const ADMIN = { email: 'root@example.test', password: 'cluster admin password' };

type Server = Awaited<ReturnType<typeof startBuiltServer>>;

describe.runIf(redisServerAvailable())('two processes sharing counters in Redis', () => {
  let schema: TestSchema;
  let redis: TestRedis;
  let a: Server;
  let b: Server;
  let headers: Record<string, string>;
  let verifier: string;
  let orgId: string;

  beforeAll(async () => {
    schema = await createSchema();
    redis = await startRedis();
    const env = {
      KEYWARD_DATABASE_URL: schema.url,
      KEYWARD_PEPPER: PEPPER,
      KEYWARD_PUBLIC_URL: 'https://keyward.example.test',
      KEYWARD_ADMIN_EMAIL: ADMIN.email,
      KEYWARD_ADMIN_PASSWORD: ADMIN.password,
      KEYWARD_REDIS_URL: redis.url,
    };
    a = await startBuiltServer(env);
    b = await startBuiltServer(env);
    headers = (await signInOverHttp(a.url, ADMIN)).headers;
    const org = await fetch(`${a.url}/api/v1/orgs`, { method: 'POST', headers, body: JSON.stringify({ name: 'Cluster', slug: 'cluster', plan: 'enterprise', owner_email: ADMIN.email }) });
    orgId = ((await org.json()) as { id: string }).id;
    const created = await fetch(`${a.url}/api/v1/verifiers`, { method: 'POST', headers, body: JSON.stringify({ name: 'gateway' }) });
    verifier = ((await created.json()) as { secret: string }).secret;
  }, 60_000);

  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await redis?.stop();
    await schema?.drop();
  });

  async function newToken(body: object): Promise<string> {
    const response = await fetch(`${a.url}/api/v1/orgs/${orgId}/tokens`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ name: `t-${Math.random()}`, scopes: ['devices:read'], expires_in_days: 30, ...body }),
    });
    expect(response.status).toBe(201);
    return ((await response.json()) as { secret: string }).secret;
  }

  /** `total` verifies of `token`, `concurrency` at a time against each server, alternating: the codes seen. */
  async function flood(token: string, total: number, concurrency = 16): Promise<Map<string, number>> {
    const seen = new Map<string, number>();
    let next = 0;
    const worker = async (server: Server) => {
      while (next < total) {
        next += 1;
        const response = await fetch(`${server.url}/api/v1/verify`, {
          method: 'POST',
          headers: { authorization: `Bearer ${verifier}`, 'content-type': 'application/json' },
          body: JSON.stringify({ token }),
        });
        const { code } = (await response.json()) as { code: string };
        seen.set(code, (seen.get(code) ?? 0) + 1);
      }
    };
    await Promise.all(Array.from({ length: concurrency * 2 }, (_, i) => worker(i % 2 === 0 ? a : b)));
    return seen;
  }

  it('both use Redis', async () => {
    for (const server of [a, b]) expect(((await (await fetch(`${server.url}/readyz`)).json()) as { counters: string }).counters).toBe('live');
  });

  it('gives a token limited to 100 per minute at most 100 (+1 %) across both under load', async () => {
    const token = await newToken({ rate_limits: [{ name: 'minute', limit: 100, window_seconds: 60 }] });
    const seen = await flood(token, 1500);
    expect(seen.get('VALID') ?? 0).toBeGreaterThanOrEqual(99);
    expect(seen.get('VALID') ?? 0).toBeLessThanOrEqual(101);
    expect((seen.get('VALID') ?? 0) + (seen.get('RATE_LIMITED') ?? 0)).toBe(1500);
  }, 60_000);

  it('spends 50 credits exactly once across both under load', async () => {
    const token = await newToken({ usage_limit: { remaining: 50 } });
    const seen = await flood(token, 400);
    expect(seen.get('VALID')).toBe(50);
    expect(seen.get('USAGE_EXCEEDED')).toBe(350);
  }, 60_000);

  it('leaves a token without limits alone meanwhile', async () => {
    const token = await newToken({});
    const seen = await flood(token, 400);
    expect([...seen]).toEqual([['VALID', 400]]);
  }, 60_000);
});
