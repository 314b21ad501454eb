import { createVerifier } from '@keyward/sdk';
import { spawnSync } from 'node:child_process';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, signInOverHttp, startBuiltServer } from '../server-process.js';
import { createSchema, TEST_DATABASE_URL, type TestSchema } from '../postgres.js';

/**
 * Two Keyward processes on one PostgreSQL, as `npm start` runs them: a change on one reaches the
 * other through LISTEN/NOTIFY, they share the JWT signing keys, and a process whose notifications
 * may be lost answers from the database instead of its cache.
 */
const PEPPER = 'e'.repeat(64);
const ADMIN = { email: 'root@example.test', password: 'cluster admin password' };

type Server = Awaited<ReturnType<typeof startBuiltServer>>;

let schema: TestSchema;
let a: Server;
let b: Server;
let headers: Record<string, string>;
let verifier: string;
let orgId: string;

async function call(server: Server, method: string, path: string, body?: object, extra: Record<string, string> = {}) {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: { ...headers, ...(body ? { 'content-type': 'application/json' } : {}), ...extra },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: response.status, body: (await response.json().catch(() => null)) as Record<string, any> };
}

async function verifyOn(server: Server, token: string): Promise<string> {
  const response = await fetch(`${server.url}/api/v1/verify`, {
    method: 'POST',
    headers: { authorization: `Bearer ${verifier}`, 'content-type': 'application/json' },
    body: JSON.stringify({ token }),
  });
  return ((await response.json()) as { code: string }).code;
}

async function newToken(kind: 'api_key' | 'jwt' = 'api_key'): Promise<{ id: string; secret: string }> {
  const created = await call(a, 'POST', `/api/v1/orgs/${orgId}/tokens`, { name: `t-${Math.random()}`, scopes: ['devices:read'], expires_in_days: 30, kind });
  expect(created.status).toBe(201);
  return { id: created.body.token.id, secret: created.body.secret };
}

async function until(check: () => Promise<boolean>, withinMs: number): Promise<number> {
  const start = performance.now();
  while (!(await check())) {
    if (performance.now() - start > withinMs) throw new Error(`not within ${withinMs} ms`);
    await new Promise((r) => setTimeout(r, 2));
  }
  return performance.now() - start;
}

async function adminSql(query: string, params: unknown[] = []): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    return await client.query(query, params);
  } finally {
    await client.end();
  }
}

async function invalidationState(server: Server): Promise<string> {
  return ((await (await fetch(`${server.url}/readyz`)).json()) as { invalidation: string }).invalidation;
}

beforeAll(async () => {
  schema = await createSchema();
  const env = { KEYWARD_DATABASE_URL: schema.url, KEYWARD_PEPPER: PEPPER, KEYWARD_PUBLIC_URL: 'https://keyward.example.test', KEYWARD_ADMIN_EMAIL: ADMIN.email, KEYWARD_ADMIN_PASSWORD: ADMIN.password };
  a = await startBuiltServer(env);
  b = await startBuiltServer(env);
  headers = (await signInOverHttp(a.url, ADMIN)).headers;
  orgId = (await call(a, 'POST', '/api/v1/orgs', { name: 'Cluster', slug: 'cluster', plan: 'enterprise', owner_email: ADMIN.email })).body.id;
  verifier = (await call(a, 'POST', '/api/v1/verifiers', { name: 'gateway' })).body.secret;
}, 60_000);

afterAll(async () => {
  await a?.stop();
  await b?.stop();
  await schema?.drop();
});

describe('two processes on one PostgreSQL', () => {
  it('both listen for invalidations', async () => {
    expect(await invalidationState(a)).toBe('live');
    expect(await invalidationState(b)).toBe('live');
  });

  it('revocation on one process stops the token there at once and on the other within a second', async () => {
    const delays: number[] = [];
    for (let i = 0; i < 10; i++) {
      const { id, secret } = await newToken();
      expect(await verifyOn(b, secret)).toBe('VALID'); // now cached on b
      expect(await verifyOn(b, secret)).toBe('VALID');
      expect((await call(a, 'POST', `/api/v1/orgs/${orgId}/tokens/${id}/revoke`)).status).toBe(200);
      expect(await verifyOn(a, secret)).toBe('REVOKED');
      delays.push(await until(async () => (await verifyOn(b, secret)) === 'REVOKED', 1000));
    }
    expect(Math.max(...delays)).toBeLessThan(1000);
  });

  it('shares the JWT signing keys: a JWT minted on one verifies on the other, and a key rotation reaches both', async () => {
    const before = await newToken('jwt');
    expect(await verifyOn(b, before.secret)).toBe('VALID');
    const rotated = spawnSync(process.execPath, [CLI, 'keys', 'rotate'], {
      env: { ...process.env, KEYWARD_DATABASE_URL: schema.url, KEYWARD_PEPPER: PEPPER, KEYWARD_PUBLIC_URL: 'https://keyward.example.test', KEYWARD_LOG_LEVEL: 'warn' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(rotated.status, rotated.stderr).toBe(0);
    const kid = rotated.stdout.trim();
    for (const server of [a, b]) {
      await until(async () => ((await (await fetch(`${server.url}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] }).keys.some((k) => k.kid === kid), 1000);
    }
    const after = await newToken('jwt');
    expect(JSON.parse(Buffer.from(after.secret.split('.')[0]!, 'base64url').toString()).kid).toBe(kid);
    expect(await verifyOn(b, after.secret)).toBe('VALID');
    expect(await verifyOn(b, before.secret)).toBe('VALID');
  });

  it('answers from the database, not its cache, while its listening connection is cut, and catches up', async () => {
    const { id, secret } = await newToken();
    expect(await verifyOn(b, secret)).toBe('VALID');
    await adminSql('select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1', [`keyward-listener-${b.pid}`]);
    await until(async () => (await invalidationState(b)) === 'degraded', 1000).catch(() => undefined);
    // The notification of this revocation cannot reach b's listener.
    expect((await call(a, 'POST', `/api/v1/orgs/${orgId}/tokens/${id}/revoke`)).status).toBe(200);
    expect(await verifyOn(b, secret)).toBe('REVOKED');
    await until(async () => (await invalidationState(b)) === 'live', 5000);
    expect(await verifyOn(b, secret)).toBe('REVOKED');
  });

  it('stops trusting its cache once its own heartbeat is more than a second old', async () => {
    const { id, secret } = await newToken();
    expect(await verifyOn(b, secret)).toBe('VALID');
    const { rows } = await adminSql('select pid from pg_stat_activity where application_name = $1', [`keyward-listener-${b.pid}`]);
    const backend = Number(rows[0]?.pid);
    // A listening connection that hangs without closing: its backend is stopped.
    process.kill(backend, 'SIGSTOP');
    try {
      await until(async () => (await invalidationState(b)) === 'degraded', 2000);
      expect((await call(a, 'POST', `/api/v1/orgs/${orgId}/tokens/${id}/revoke`)).status).toBe(200);
      expect(await verifyOn(b, secret)).toBe('REVOKED');
    } finally {
      process.kill(backend, 'SIGCONT');
    }
    await until(async () => (await invalidationState(b)) === 'live', 5000);
    expect(await verifyOn(b, secret)).toBe('REVOKED');
  });
});

describe('the SDK in front of a cluster', () => {
  const connect = async (server: Server) => {
    const sdk = createVerifier({ url: server.url, verifierSecret: verifier, issuer: 'https://keyward.example.test' });
    await until(async () => sdk.feedLive, 2000);
    return sdk;
  };

  it('drops a token revoked through another process within a second', async () => {
    const sdk = await connect(b);
    try {
      for (const kind of ['api_key', 'jwt'] as const) {
        const { id, secret } = await newToken(kind);
        expect((await sdk.verify(secret)).code).toBe('VALID');
        expect((await call(a, 'POST', `/api/v1/orgs/${orgId}/tokens/${id}/revoke`)).status).toBe(200);
        expect(await until(async () => (await sdk.verify(secret)).code === 'REVOKED', 1000)).toBeLessThan(1000);
      }
    } finally {
      sdk.close();
    }
  });

  it('trusts no cache while its Keyward process may be missing the cluster\'s changes', async () => {
    const sdk = await connect(b);
    try {
      const { rows } = await adminSql('select pid from pg_stat_activity where application_name = $1', [`keyward-listener-${b.pid}`]);
      const backend = Number(rows[0]?.pid);
      process.kill(backend, 'SIGSTOP');
      try {
        await until(async () => !sdk.feedLive, 2000);
      } finally {
        process.kill(backend, 'SIGCONT');
      }
      await until(async () => sdk.feedLive, 10_000);
    } finally {
      sdk.close();
    }
  });
});
