import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { signInOverHttp, startBuiltServer } from './server-process.js';

/**
 * SIGTERM, as a process manager stops `npm start`: requests already accepted are answered, the
 * last-used times buffered in memory are written, and the process exits 0. Nothing the server
 * acknowledged is lost.
 */
const ADMIN = { email: 'root@example.test', password: 'shutdown admin password' };
let server: Awaited<ReturnType<typeof startBuiltServer>> | null = null;
afterEach(async () => server?.stop());

describe('SIGTERM', () => {
  it('answers in-flight verifies and flushes every acknowledged use before exiting 0', async () => {
    server = await startBuiltServer({ KEYWARD_ADMIN_EMAIL: ADMIN.email, KEYWARD_ADMIN_PASSWORD: ADMIN.password });
    const { url } = server;
    const session = (await signInOverHttp(url, ADMIN)).headers;
    const post = async (path: string, body: object) => (await fetch(`${url}${path}`, { method: 'POST', headers: session, body: JSON.stringify(body) })).json() as Promise<Record<string, any>>;
    const org = await post('/api/v1/orgs', { name: 'Shutdown', slug: 'shutdown', plan: 'enterprise', owner_email: ADMIN.email });
    const verifier = (await post('/api/v1/verifiers', { name: 'gateway' })).secret as string;
    const tokens: { id: string; secret: string }[] = [];
    for (let i = 0; i < 8; i++) {
      const created = await post(`/api/v1/orgs/${org.id}/tokens`, { name: `t${i}`, scopes: ['devices:read'], expires_in_days: 30 });
      tokens.push({ id: created.token.id, secret: created.secret });
    }

    // A burst of verifies, SIGTERM as soon as the first is answered: the rest are in flight.
    const answered = new Set<string>();
    let refused = 0;
    let first!: () => void;
    const firstAnswer = new Promise<void>((resolve) => (first = resolve));
    const burst = Array.from({ length: 200 }, async (_, i) => {
      const token = tokens[i % tokens.length]!;
      try {
        const response = await fetch(`${url}/api/v1/verify`, { method: 'POST', headers: { authorization: `Bearer ${verifier}`, 'content-type': 'application/json' }, body: JSON.stringify({ token: token.secret }) });
        // Requests that arrive once closing began are turned away whole (Fastify's 503 with
        // Connection: close, for the load balancer to retry elsewhere): not acknowledged.
        if (response.status === 503) {
          refused += 1;
          return;
        }
        const body = (await response.json()) as { code: string };
        expect(response.status).toBe(200);
        expect(body.code).toBe('VALID');
        answered.add(token.id);
        first();
      } catch (error) {
        // Not acknowledged: the connection was refused or closed before a response began.
        if (error instanceof Error && error.message.startsWith('expected')) throw error;
        refused += 1;
      }
    });
    await firstAnswer;
    process.kill(server.pid, 'SIGTERM');
    await Promise.all(burst);
    expect(await server.exited).toBe(0);

    expect(answered.size).toBeGreaterThan(0);
    const db = new Database(join(server.dataDir, 'keyward.db'), { readonly: true });
    try {
      for (const id of answered) {
        const row = db.prepare('select last_used_at from tokens where id = ?').get(id) as { last_used_at: number | null };
        expect(row.last_used_at, `token ${id} was used and acknowledged`).not.toBeNull();
      }
    } finally {
      db.close();
    }
  });
});
