import Database from 'better-sqlite3';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createSchema, postgresAvailable, type TestSchema } from './postgres.js';
import { signInOverHttp, startBuiltServer, type HttpSession } from './server-process.js';

/**
 * SIGKILL, as the kernel's OOM killer or a power cut ends a process: no handler runs. Under a
 * create-and-revoke load the server is killed at a random moment and started again on the same
 * store. Whatever a client was told must still hold: every secret it read from a 201 verifies
 * (unless the client also saw its revocation acknowledged), every revocation it saw answered 200
 * still holds, and the SQLite file passes `PRAGMA integrity_check`. Requests the client never got
 * an answer to may have gone either way. Needs the build (`npm run build`).
 */
const ADMIN = { email: 'root@example.test', password: 'crash safety admin password' };
const PEPPER = 'c'.repeat(64);
type Server = Awaited<ReturnType<typeof startBuiltServer>>;

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A config file whose bounds let one user hold every token a few seconds of load create. */
function configFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'keyward-crash-config-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'config.json');
  writeFileSync(file, JSON.stringify({ policyBounds: { max_tokens_per_user: 100_000 } }));
  return file;
}

async function start(env: Record<string, string>, dataDir?: string): Promise<Server> {
  const server = await startBuiltServer({ KEYWARD_ADMIN_EMAIL: ADMIN.email, KEYWARD_ADMIN_PASSWORD: ADMIN.password, KEYWARD_LOG_LEVEL: 'warn', ...env }, { dataDir });
  cleanups.push(() => server.stop());
  return server;
}

async function call(url: string, session: HttpSession, path: string, body: object): Promise<Response> {
  return fetch(`${url}${path}`, { method: 'POST', headers: session.headers, body: JSON.stringify(body) });
}

/** An org whose policy allows the load's tokens, and a verifier to check them with afterwards. */
async function prepare(url: string): Promise<{ org: string; verifier: string }> {
  const session = await signInOverHttp(url, ADMIN);
  const org = (await (await call(url, session, '/api/v1/orgs', { name: 'Crash', slug: 'crash', plan: 'enterprise', owner_email: ADMIN.email })).json()) as { id: string };
  const patched = await fetch(`${url}/api/v1/orgs/${org.id}`, { method: 'PATCH', headers: session.headers, body: JSON.stringify({ token_policy: { max_tokens_per_user: 100_000 } }) });
  expect(patched.status).toBe(200);
  const verifier = (await (await call(url, session, '/api/v1/verifiers', { name: 'crash-check' })).json()) as { secret: string };
  return { org: org.id, verifier: verifier.secret };
}

/** What the clients were told: secrets read from a 201, revocations answered 200 (and those merely sent). */
type Acknowledged = { created: Map<string, string>; revokeSent: Set<string>; revoked: Set<string> };

/**
 * `workers` clients each creating tokens and revoking every other one they made, until `stop()`
 * or their server stops answering. Returns how many requests got no answer (the kill) and any
 * answer that was not the expected status (must be none).
 */
function createAndRevoke(url: string, session: HttpSession, org: string, acked: Acknowledged, workers = 4) {
  let stopped = false;
  const unexpected: string[] = [];
  let unanswered = 0;
  let requests = 0;
  const worker = async (w: number) => {
    for (let i = 0; !stopped; i++) {
      try {
        requests += 1;
        const created = await call(url, session, `/api/v1/orgs/${org}/tokens`, { name: `w${w}-${i}`, scopes: ['devices:read'], expires_in_days: 30 });
        if (created.status !== 201) {
          unexpected.push(`create ${created.status} ${await created.text()}`);
          continue;
        }
        const body = (await created.json()) as { token: { id: string }; secret: string };
        acked.created.set(body.token.id, body.secret);
        if (i % 2 === 1) continue;
        requests += 1;
        acked.revokeSent.add(body.token.id);
        const revoked = await call(url, session, `/api/v1/orgs/${org}/tokens/${body.token.id}/revoke`, {});
        if (revoked.status !== 200) {
          unexpected.push(`revoke ${revoked.status} ${await revoked.text()}`);
          continue;
        }
        await revoked.arrayBuffer();
        acked.revoked.add(body.token.id);
      } catch {
        // No answer (or half of one): the server died under this request.
        unanswered += 1;
        return;
      }
    }
  };
  const done = Promise.all(Array.from({ length: workers }, (_, w) => worker(w)));
  return {
    done,
    stop: async () => {
      stopped = true;
      await done;
    },
    result: () => ({ unexpected, unanswered, requests }),
  };
}

/**
 * Every acknowledged secret still VALID, every acknowledged revocation REVOKED, on the server at
 * `url`. A revocation sent but never answered may have landed or not: either is right.
 */
async function expectAcknowledgedHold(url: string, verifier: string, acked: Acknowledged): Promise<void> {
  const entries = [...acked.created];
  const wrong: string[] = [];
  for (let i = 0; i < entries.length; i += 16) {
    await Promise.all(
      entries.slice(i, i + 16).map(async ([id, secret]) => {
        const response = await fetch(`${url}/api/v1/verify`, { method: 'POST', headers: { authorization: `Bearer ${verifier}`, 'content-type': 'application/json' }, body: JSON.stringify({ token: secret }) });
        const { code } = (await response.json()) as { code: string };
        const allowed = acked.revoked.has(id) ? ['REVOKED'] : acked.revokeSent.has(id) ? ['VALID', 'REVOKED'] : ['VALID'];
        if (!allowed.includes(code)) wrong.push(`${id}: ${code}, expected ${allowed.join(' or ')}`);
      }),
    );
  }
  console.info(`checked ${entries.length} acknowledged secrets on ${url}: ${acked.revoked.size} acknowledged revoked, ${acked.revokeSent.size - acked.revoked.size} revocations unanswered`);
  expect(wrong).toEqual([]);
}

function newAcknowledged(): Acknowledged {
  return { created: new Map(), revokeSent: new Set(), revoked: new Set() };
}

const randomMoment = (minMs: number, maxMs: number) => new Promise((r) => setTimeout(r, minMs + Math.random() * (maxMs - minMs)));

async function kill(server: Server): Promise<void> {
  process.kill(server.pid, 'SIGKILL');
  await server.exited;
}

const pgAvailable = await postgresAvailable();

describe('SIGKILL under a create-and-revoke load', () => {
  it('loses nothing acknowledged on SQLite, and the file passes integrity_check', { timeout: 90_000 }, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'keyward-crash-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const env = { KEYWARD_CONFIG: configFile() };
    const first = await start(env, dataDir);
    const { org, verifier } = await prepare(first.url);
    const session = await signInOverHttp(first.url, ADMIN);
    const acked = newAcknowledged();

    const load = createAndRevoke(first.url, session, org, acked);
    await randomMoment(1_000, 3_000);
    await kill(first);
    await load.done;
    expect(load.result().unexpected).toEqual([]);
    expect(acked.created.size).toBeGreaterThan(10);
    expect(acked.revoked.size).toBeGreaterThan(5);

    // The file as the crash left it (opening it recovers the WAL, as the next start would).
    const db = new Database(join(dataDir, 'keyward.db'));
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    } finally {
      db.close();
    }

    const second = await start(env, dataDir);
    await expectAcknowledgedHold(second.url, verifier, acked);
  });

  describe.skipIf(!pgAvailable)('on PostgreSQL', () => {
    let schema: TestSchema;
    const clusterEnv = () => ({ KEYWARD_DATABASE_URL: schema.url, KEYWARD_PEPPER: PEPPER, KEYWARD_PUBLIC_URL: 'http://keyward.test', KEYWARD_CONFIG: configFile() });

    it('loses nothing acknowledged when the one process is killed and started again', { timeout: 90_000 }, async () => {
      schema = await createSchema();
      cleanups.push(() => schema.drop());
      const env = clusterEnv();
      const first = await start(env);
      const { org, verifier } = await prepare(first.url);
      const session = await signInOverHttp(first.url, ADMIN);
      const acked = newAcknowledged();

      const load = createAndRevoke(first.url, session, org, acked);
      await randomMoment(1_000, 3_000);
      await kill(first);
      await load.done;
      expect(load.result().unexpected).toEqual([]);
      expect(acked.created.size).toBeGreaterThan(10);

      const second = await start(env);
      await expectAcknowledgedHold(second.url, verifier, acked);
    });

    it('keeps serving from the other process while one of two is killed, and loses nothing either acknowledged', { timeout: 90_000 }, async () => {
      schema = await createSchema();
      cleanups.push(() => schema.drop());
      const env = clusterEnv();
      const a = await start(env);
      const { org, verifier } = await prepare(a.url);
      const b = await start(env);
      const sessionA = await signInOverHttp(a.url, ADMIN);
      const sessionB = await signInOverHttp(b.url, ADMIN);
      const ackedA = newAcknowledged();
      const ackedB = newAcknowledged();

      const loadA = createAndRevoke(a.url, sessionA, org, ackedA, 2);
      const loadB = createAndRevoke(b.url, sessionB, org, ackedB, 2);
      await randomMoment(1_000, 2_500);
      await kill(a);
      await loadA.done;
      const beforeKill = ackedB.created.size;
      // B goes on under load for a second after A died: every one of its requests answered as expected.
      await new Promise((r) => setTimeout(r, 1_000));
      await loadB.stop();
      expect(loadB.result().unexpected).toEqual([]);
      expect(loadB.result().unanswered).toBe(0);
      expect(ackedB.created.size).toBeGreaterThan(beforeKill);
      expect(loadA.result().unexpected).toEqual([]);

      await expectAcknowledgedHold(b.url, verifier, ackedA);
      await expectAcknowledgedHold(b.url, verifier, ackedB);
      // And A, started again, agrees.
      const again = await start(env);
      await expectAcknowledgedHold(again.url, verifier, ackedA);
      await expectAcknowledgedHold(again.url, verifier, ackedB);
    });
  });
});
