import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { digestSecret } from '../../../src/core/token-hash.js';
import type { Org } from '../../../src/core/model.js';
import { makeToken, makeUser, makeVerifier, seedOrg, signIn, type SessionHeaders } from '../../factories.js';
import { json, startTestApp, type TestApp } from '../../harness.js';

/** GET /api/v1/revocations/stream over a real connection: what resource servers' caches hear. */
type Event = { event: string; data: Record<string, any> };

/** Reads a server-sent event stream as it arrives. */
class StreamReader {
  private buffer = '';
  readonly events: Event[] = [];
  ended = false;

  constructor(response: Response) {
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    void (async () => {
      for (;;) {
        const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
        if (done) break;
        this.buffer += value;
        let end: number;
        while ((end = this.buffer.indexOf('\n\n')) >= 0) {
          const block = this.buffer.slice(0, end);
          this.buffer = this.buffer.slice(end + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1] ?? 'message';
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (data !== undefined) this.events.push({ event, data: JSON.parse(data) });
        }
      }
      this.ended = true;
    })();
  }

  async next(name: string, after = 0, withinMs = 2000): Promise<Event> {
    const deadline = performance.now() + withinMs;
    for (;;) {
      const found = this.events.slice(after).find((e) => e.event === name);
      if (found) return found;
      if (performance.now() > deadline) throw new Error(`no ${name} event within ${withinMs} ms; got ${JSON.stringify(this.events.map((e) => e.event))}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }
}

async function ended(reader: StreamReader): Promise<void> {
  const deadline = performance.now() + 2000;
  while (!reader.ended && performance.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  expect(reader.ended).toBe(true);
}

let t: TestApp;
let url: string;
let org: Org;
let seeded: Awaited<ReturnType<typeof seedOrg>>;
let verifier: { id: string; secret: string };
const streams: AbortController[] = [];

beforeEach(async () => {
  t = await startTestApp();
  url = await t.app.listen({ host: '127.0.0.1', port: 0 });
  seeded = await seedOrg(t.app, t.ctx);
  org = seeded.org;
  verifier = await makeVerifier(t.ctx);
});
afterEach(async () => {
  for (const stream of streams.splice(0)) stream.abort();
  await t.close();
});

async function open(secret = verifier.secret): Promise<{ response: Response; reader: StreamReader }> {
  const abort = new AbortController();
  streams.push(abort);
  const response = await fetch(`${url}/api/v1/revocations/stream`, { headers: { authorization: `Bearer ${secret}` }, signal: abort.signal });
  return { response, reader: new StreamReader(response) };
}

describe('GET /api/v1/revocations/stream', () => {
  it('is refused without a verifier credential, and to an access token', async () => {
    const none = await t.app.inject({ method: 'GET', url: '/api/v1/revocations/stream' });
    expect(none.statusCode).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Bearer realm="keyward"');
    expect(json(none)).toMatchObject({ code: 'unauthenticated' });
    const token = await makeToken(t.ctx, org, seeded.owner.user);
    const wrong = await t.app.inject({ method: 'GET', url: '/api/v1/revocations/stream', headers: { authorization: `Bearer ${token.secret}` } });
    expect(wrong.statusCode).toBe(401);
    expect(json(wrong)).toMatchObject({ code: 'invalid_token' });
  });

  it('opens with a ready event naming the JWTs to ask about online, then heartbeats', async () => {
    const owner = seeded.owner.user;
    const revokedJwt = await makeToken(t.ctx, org, owner, { kind: 'jwt' });
    await makeToken(t.ctx, org, owner, { kind: 'jwt' });
    await t.ctx.db.updateTable('tokens').set({ revoked_at: t.clock.now() - 1, revoked_reason: 'manual' }).where('id', '=', revokedJwt.id).execute();
    const { response, reader } = await open();
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const ready = await reader.next('ready');
    expect(ready.data).toEqual({ heartbeat_ms: 250, state: t.ctx.invalidate.state, online_jwt_ids: [revokedJwt.id] });
    expect((await reader.next('heartbeat')).data).toEqual({ state: t.ctx.invalidate.state });
  });

  it('announces a revoked token by id, org and digest prefix, never its secret', async () => {
    const owner = seeded.owner;
    const token = await makeToken(t.ctx, org, owner.user);
    const { reader } = await open();
    await reader.next('ready');
    const revoke = await t.app.inject({ method: 'POST', url: `/api/v1/orgs/${org.id}/tokens/${token.id}/revoke`, headers: owner.headers });
    expect(revoke.statusCode).toBe(200);
    const event = await reader.next('token');
    expect(event.data).toEqual({ token_id: token.id, org_id: org.id, digest_prefix: digestSecret(t.ctx.pepper, token.secret).slice(0, 16) });
    expect(JSON.stringify(reader.events)).not.toContain(token.secret);
  });

  it("announces a member's role change as an owner event and a policy change as an org event", async () => {
    const { reader } = await open();
    await reader.next('ready');
    const demote = await t.app.inject({ method: 'PATCH', url: `/api/v1/orgs/${org.id}/members/${seeded.admin.user.id}`, headers: seeded.owner.headers, payload: { role: 'member' } });
    expect(demote.statusCode).toBe(200);
    expect((await reader.next('owner')).data).toEqual({ user_id: seeded.admin.user.id });
    const policy = await t.app.inject({ method: 'PATCH', url: `/api/v1/orgs/${org.id}`, headers: seeded.owner.headers, payload: { token_policy: { max_tokens_per_user: 5 } } });
    expect(policy.statusCode).toBe(200);
    expect((await reader.next('org')).data).toEqual({ org_id: org.id });
  });

  it('ends the stream when its verifier is revoked', async () => {
    const { reader } = await open();
    await reader.next('ready');
    const admin: SessionHeaders = await signIn(t.app, await makeUser(t.ctx, { siteAdmin: true }));
    expect((await t.app.inject({ method: 'DELETE', url: `/api/v1/verifiers/${verifier.id}`, headers: admin })).statusCode).toBe(204);
    await ended(reader);
    expect((await open()).response.status).toBe(401);
  });

  it('does not hold a closing server open', async () => {
    const { reader } = await open();
    await reader.next('ready');
    const started = performance.now();
    await t.app.close();
    expect(performance.now() - started).toBeLessThan(2000);
    await ended(reader);
  });
});
