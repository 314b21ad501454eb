import type { LightMyRequestResponse } from 'fastify';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AuditEventView } from '../../src/contract/index.js';
import { csvCell, csvRecord, exportAuditLog } from '../../src/services/audit-log.js';
import { recordAudit } from '../../src/services/audit.js';
import type { Org, User } from '../../src/core/model.js';
import { updateToken } from '../../src/store/tokens.js';
import { addMember, makeOrg, makeRole, makeToken, makeUser, PASSWORD, seedOrg, signIn } from '../factories.js';
import { json, startTestApp, type TestApp } from '../harness.js';

let t: TestApp;
beforeEach(async () => {
  t = await startTestApp();
});
afterEach(() => t.close());

const url = (org: Org, query = '') => `/api/v1/orgs/${org.id}/audit-events${query}`;
const EVENT_KEYS = ['action', 'actor', 'created_at', 'details', 'id', 'ip', 'org_id', 'target', 'user_agent'];

/** Writes one event straight through recordAudit, then moves the clock so events sort by creation. */
async function record(
  org: Org,
  action: string,
  actor: User,
  options: { target?: { type: string; id: string }; details?: Record<string, unknown>; impersonator?: User; userAgent?: string } = {},
): Promise<string> {
  const id = await recordAudit(
    t.ctx.db,
    {
      type: 'user',
      id: actor.id,
      impersonatorId: options.impersonator?.id ?? null,
      meta: { ip: '203.0.113.7', userAgent: options.userAgent ?? 'vitest' },
    },
    { orgId: org.id, action, ...(options.target ? { target: options.target } : {}), details: options.details ?? {} },
    t.clock.now(),
  );
  t.clock.advance(1);
  return id;
}

type Page = { data: AuditEventView[]; next_cursor: string | null };

async function list(org: Org, headers: Record<string, string>, query = ''): Promise<Page> {
  const response = await t.app.inject({ method: 'GET', url: url(org, query), headers });
  expect(response.statusCode, response.body).toBe(200);
  return json<Page>(response);
}

const ndjson = (response: LightMyRequestResponse) =>
  response.body
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as AuditEventView);

describe('GET /api/v1/orgs/{org}/audit-events', () => {
  it('lists the org’s events newest first, each in the DESIGN shape', async () => {
    const { org, owner, admin } = await seedOrg(t.app, t.ctx);
    const created = await record(org, 'token.created', owner.user, {
      target: { type: 'token', id: 'tok_1' },
      details: { name: 'ci', scopes: ['devices:read'] },
    });
    const impersonated = await record(org, 'token.renamed', admin.user, { target: { type: 'token', id: 'tok_1' }, impersonator: owner.user });
    const untargeted = await record(org, 'org.policy_changed', owner.user);

    const page = await list(org, owner.headers);
    expect(page.data.map((e) => e.id)).toEqual([untargeted, impersonated, created]);
    expect(page.next_cursor).toBeNull();
    expect(Object.keys(page.data[2]!).sort()).toEqual(EVENT_KEYS);
    expect(page.data[2]).toEqual({
      id: created,
      action: 'token.created',
      actor: { type: 'user', id: owner.user.id },
      org_id: org.id,
      target: { type: 'token', id: 'tok_1' },
      ip: '203.0.113.7',
      user_agent: 'vitest',
      created_at: '2026-01-15T10:00:00.000Z',
      details: { name: 'ci', scopes: ['devices:read'] },
    });
    expect(page.data[1]!.impersonator).toEqual({ id: owner.user.id });
    expect(page.data[0]!.target).toBeNull();
  });

  it('never shows another org’s events or the org-less sign-in events', async () => {
    const { org, owner } = await seedOrg(t.app, t.ctx);
    const other = await makeOrg(t.ctx);
    await record(other, 'token.created', owner.user);
    const mine = await record(org, 'token.created', owner.user);
    expect((await list(org, owner.headers)).data.map((e) => e.id)).toEqual([mine]);
  });

  describe('filters', () => {
    it('by exact action and by family (token.*)', async () => {
      const { org, owner } = await seedOrg(t.app, t.ctx);
      const created = await record(org, 'token.created', owner.user);
      const revoked = await record(org, 'token.revoked', owner.user);
      await record(org, 'tokens.imported', owner.user);
      await record(org, 'member.added', owner.user);

      expect((await list(org, owner.headers, '?action=token.revoked')).data.map((e) => e.id)).toEqual([revoked]);
      expect((await list(org, owner.headers, '?action=token.*')).data.map((e) => e.id)).toEqual([revoked, created]);
      expect((await list(org, owner.headers, '?action=token')).data).toEqual([]);
    });

    it('by actor and by token', async () => {
      const { org, owner, admin } = await seedOrg(t.app, t.ctx);
      const byOwner = await record(org, 'token.created', owner.user, { target: { type: 'token', id: 'tok_a' } });
      const byAdmin = await record(org, 'token.revoked', admin.user, { target: { type: 'token', id: 'tok_b' } });
      await record(org, 'member.added', admin.user, { target: { type: 'user', id: 'tok_a' } });

      expect((await list(org, owner.headers, `?actor=${owner.user.id}`)).data.map((e) => e.id)).toEqual([byOwner]);
      expect((await list(org, owner.headers, '?token=tok_b')).data.map((e) => e.id)).toEqual([byAdmin]);
      expect((await list(org, owner.headers, '?token=tok_a')).data.map((e) => e.id)).toEqual([byOwner]);
      expect((await list(org, owner.headers, `?token=tok_b&actor=${owner.user.id}`)).data).toEqual([]);
    });

    it('by since (inclusive) and until (exclusive), as dates or date-times with a zone', async () => {
      const { org, owner } = await seedOrg(t.app, t.ctx);
      const day1 = await record(org, 'token.created', owner.user);
      t.clock.advanceDays(1);
      const day2 = await record(org, 'token.created', owner.user);
      t.clock.advanceDays(1);
      const day3 = await record(org, 'token.created', owner.user);
      const headers = await signIn(t.app, owner.user);

      const ids = async (query: string) => (await list(org, headers, query)).data.map((e) => e.id);
      expect(await ids('?since=2026-01-16')).toEqual([day3, day2]);
      expect(await ids('?until=2026-01-16T00:00:00Z')).toEqual([day1]);
      expect(await ids('?since=2026-01-16T10:00:00.001Z&until=2026-01-17T10:00:00.002Z')).toEqual([day2]);
      expect(await ids(`?since=${encodeURIComponent('2026-01-16T12:00:00+02:00')}`)).toEqual([day3, day2]);
    });

    it.each([
      ['since=yesterday', 'since'],
      ['since=2026-02-30', 'since'],
      ['until=2026-01-15T10:00:00', 'until'],
      ['since=2026-01-17&until=2026-01-16', 'since'],
    ])('answers 400 validation_failed for %s', async (query, field) => {
      const { org, owner } = await seedOrg(t.app, t.ctx);
      const response = await t.app.inject({ method: 'GET', url: url(org, `?${query}`), headers: owner.headers });
      expect(response.statusCode).toBe(400);
      expect(json(response)).toMatchObject({ code: 'validation_failed', field });
    });

    it('answers 400 for a malformed action, format or limit', async () => {
      const { org, owner } = await seedOrg(t.app, t.ctx);
      for (const query of ['?action=token.*.x', '?action=TOKEN', '?format=xml', '?limit=101', '?limit=0']) {
        const response = await t.app.inject({ method: 'GET', url: url(org, query), headers: owner.headers });
        expect(response.statusCode, query).toBe(400);
        expect(json(response).code).toBe('validation_failed');
      }
    });
  });

  it('pages through more than 100 events with next_cursor, without gaps or repeats', async () => {
    const { org, owner } = await seedOrg(t.app, t.ctx);
    const written: string[] = [];
    for (let i = 0; i < 130; i++) written.push(await record(org, 'token.created', owner.user, { details: { i } }));

    const seen: string[] = [];
    let cursor: string | null = null;
    const sizes: number[] = [];
    do {
      const page: Page = await list(org, owner.headers, `?limit=100${cursor ? `&cursor=${cursor}` : ''}`);
      sizes.push(page.data.length);
      seen.push(...page.data.map((e) => e.id));
      cursor = page.next_cursor;
    } while (cursor !== null);

    expect(sizes).toEqual([100, 30]);
    expect(seen).toEqual([...written].reverse());
    expect((await list(org, owner.headers)).data).toHaveLength(50);
  });

  it('has no next page when the last page is exactly full', async () => {
    const { org, owner } = await seedOrg(t.app, t.ctx);
    for (let i = 0; i < 4; i++) await record(org, 'token.created', owner.user);
    const first = await list(org, owner.headers, '?limit=2');
    const second = await list(org, owner.headers, `?limit=2&cursor=${first.next_cursor}`);
    expect(second.data).toHaveLength(2);
    expect(second.next_cursor).toBeNull();
  });

  describe('who may read it', () => {
    it('answers 401 without credentials', async () => {
      const { org } = await seedOrg(t.app, t.ctx);
      const response = await t.app.inject({ method: 'GET', url: url(org) });
      expect(response.statusCode).toBe(401);
      expect(response.headers['www-authenticate']).toBe('Bearer realm="keyward"');
    });

    it('answers 403 to a member without audit.read, 200 to admins and to a custom role with it', async () => {
      const { org, admin, member } = await seedOrg(t.app, t.ctx);
      const denied = await t.app.inject({ method: 'GET', url: url(org), headers: member.headers });
      expect(denied.statusCode).toBe(403);
      expect(json(denied).code).toBe('forbidden');
      await list(org, admin.headers);

      const auditor = await makeUser(t.ctx);
      await addMember(t.ctx, org, auditor, await makeRole(t.ctx, org, ['audit.read'], 'auditor'));
      await list(org, await signIn(t.app, auditor));
    });

    it('answers 404 for another org and for an unknown org, also to exports', async () => {
      const { owner } = await seedOrg(t.app, t.ctx);
      const other = await seedOrg(t.app, t.ctx);
      for (const target of [url(other.org), url(other.org, '?format=csv'), '/api/v1/orgs/org_nope/audit-events']) {
        const response = await t.app.inject({ method: 'GET', url: target, headers: owner.headers });
        expect(response.statusCode, target).toBe(404);
        expect(json(response).code).toBe('not_found');
      }
    });

    it('lets a site admin read any org', async () => {
      const { org } = await seedOrg(t.app, t.ctx);
      const siteAdmin = await makeUser(t.ctx, { siteAdmin: true });
      await list(org, await signIn(t.app, siteAdmin));
    });

    it('accepts a token carrying keyward:audit:read whose owner may read the log', async () => {
      const { org, owner, admin } = await seedOrg(t.app, t.ctx);
      const event = await record(org, 'token.created', owner.user);
      for (const user of [owner.user, admin.user]) {
        const { secret } = await makeToken(t.ctx, org, user, { scopes: ['keyward:audit:read'] });
        const page = await list(org, { authorization: `Bearer ${secret}` });
        expect(page.data.map((e) => e.id)).toContain(event);
      }
    });

    it('answers 403 insufficient_scope to a token without keyward:audit:read', async () => {
      const { org, owner } = await seedOrg(t.app, t.ctx);
      const { secret } = await makeToken(t.ctx, org, owner.user, { scopes: ['keyward:tokens:read', 'devices:read'] });
      for (const format of ['json', 'csv']) {
        const response = await t.app.inject({ method: 'GET', url: url(org, `?format=${format}`), headers: { authorization: `Bearer ${secret}` } });
        expect(response.statusCode).toBe(403);
        expect(json(response).code).toBe('insufficient_scope');
        expect(response.headers['www-authenticate']).toBe('Bearer realm="keyward", error="insufficient_scope", scope="keyward:audit:read"');
      }
    });

    it('refuses a token whose owner lacks audit.read even with the scope, and a token of another org', async () => {
      const { org, member } = await seedOrg(t.app, t.ctx);
      const memberToken = await makeToken(t.ctx, org, member.user, { scopes: ['keyward:audit:read'] });
      const response = await t.app.inject({ method: 'GET', url: url(org), headers: { authorization: `Bearer ${memberToken.secret}` } });
      expect(response.statusCode).toBe(403);

      const other = await seedOrg(t.app, t.ctx);
      const foreign = await makeToken(t.ctx, other.org, other.owner.user, { scopes: ['keyward:audit:read'] });
      const cross = await t.app.inject({ method: 'GET', url: url(org), headers: { authorization: `Bearer ${foreign.secret}` } });
      expect(cross.statusCode).toBe(404);
    });
  });
});

describe('exports (format=csv and format=ndjson)', () => {
  it('downloads CSV with a header row, RFC 4180 quoting and formula cells defused', async () => {
    const { org, owner } = await seedOrg(t.app, t.ctx);
    const first = await record(org, 'token.created', owner.user, {
      target: { type: 'token', id: 'tok_x' },
      details: { name: '=HYPERLINK("http://evil")', note: 'a, "b"\nc' },
      userAgent: '@SUM(1+1)',
    });
    t.clock.advanceDays(3);
    const headers = await signIn(t.app, owner.user);
    const response = await t.app.inject({ method: 'GET', url: url(org, '?format=csv&action=token.*'), headers });

    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(response.headers['content-disposition']).toBe(`attachment; filename="audit-${org.slug}-2026-01-18.csv"`);
    const lines = response.body.split('\r\n');
    expect(lines[0]).toBe('id,created_at,action,actor_type,actor_id,impersonator_id,target_type,target_id,ip,user_agent,details');
    expect(lines[1]).toBe(
      `${first},2026-01-15T10:00:00.000Z,token.created,user,${owner.user.id},,token,tok_x,203.0.113.7,'@SUM(1+1),` +
        '"{""name"":""=HYPERLINK(\\""http://evil\\"")"",""note"":""a, \\""b\\""\\nc""}"',
    );
    expect(lines.slice(2)).toEqual(['']);
  });

  it('streams every matching event, beyond one store chunk, honouring the filters', async () => {
    const { org, owner } = await seedOrg(t.app, t.ctx);
    await t.ctx.db.transaction().execute(async (trx) => {
      for (let i = 0; i < 1_203; i++) {
        const actor = { type: 'user' as const, id: owner.user.id, impersonatorId: null, meta: { ip: null, userAgent: null } };
        await recordAudit(trx, actor, { orgId: org.id, action: i % 3 === 0 ? 'member.added' : 'token.created' }, t.clock.now() + i);
      }
    });
    t.clock.advance(10_000);

    const csv = await t.app.inject({ method: 'GET', url: url(org, '?format=csv&action=token.created&limit=5'), headers: owner.headers });
    expect(csv.body.trimEnd().split('\r\n')).toHaveLength(1 + 802);

    const response = await t.app.inject({ method: 'GET', url: url(org, '?format=ndjson'), headers: owner.headers });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('application/x-ndjson');
    expect(response.headers['content-disposition']).toBe(`attachment; filename="audit-${org.slug}-2026-01-15.ndjson"`);
    const events = ndjson(response);
    // Both exports are audited before their first row is read, so this one lists two audit.exported.
    expect(events).toHaveLength(1_203 + 2);
    expect(events.slice(0, 2).map((e) => e.action)).toEqual(['audit.exported', 'audit.exported']);
    const ids = events.map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort().reverse()).toEqual(ids);
  });

  it('writes NDJSON lines in the same shape as the JSON list', async () => {
    const { org, owner } = await seedOrg(t.app, t.ctx);
    await record(org, 'token.revoked', owner.user, { target: { type: 'token', id: 'tok_y' }, details: { reason: 'leaked' } });
    const page = await list(org, owner.headers);
    const response = await t.app.inject({ method: 'GET', url: url(org, '?format=ndjson&action=token.*'), headers: owner.headers });
    expect(ndjson(response)).toEqual(page.data);
  });

  it('records audit.exported with the format and filters, but not for a JSON read', async () => {
    const { org, owner } = await seedOrg(t.app, t.ctx);
    await list(org, owner.headers, '?action=token.*');
    expect((await list(org, owner.headers, '?action=audit.exported')).data).toEqual([]);

    await t.app.inject({ method: 'GET', url: url(org, '?format=csv&action=token.*&since=2026-01-01'), headers: owner.headers });
    const [exported] = (await list(org, owner.headers, '?action=audit.exported')).data;
    expect(exported).toMatchObject({
      actor: { type: 'user', id: owner.user.id },
      org_id: org.id,
      target: null,
      details: { format: 'csv', filters: { action: 'token.*', since: '2026-01-01' } },
    });
  });

  it('refuses a member without audit.read', async () => {
    const { org, member } = await seedOrg(t.app, t.ctx);
    const response = await t.app.inject({ method: 'GET', url: url(org, '?format=ndjson'), headers: member.headers });
    expect(response.statusCode).toBe(403);
  });

  it('stops at the row cap', async () => {
    const { org, owner } = await seedOrg(t.app, t.ctx);
    for (let i = 0; i < 5; i++) await record(org, 'token.created', owner.user);
    const caller = { user: owner.user, token: null, meta: { ip: null, userAgent: null } };
    const file = await exportAuditLog(t.ctx, caller, org.id, { action: 'token.created' }, 'ndjson', { maxRows: 3 });
    let text = '';
    for await (const chunk of file.chunks) text += chunk;
    expect(text.trimEnd().split('\n')).toHaveLength(3);
  });
});

describe('CSV cells', () => {
  it.each([
    ['=1+1', "'=1+1"],
    ['+1', "'+1"],
    ['-1', "'-1"],
    ['@cmd', "'@cmd"],
    ['\tx', "'\tx"],
    ['\rx', `"'\rx"`],
    ['a=b', 'a=b'],
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ['line\nbreak', '"line\nbreak"'],
    ['=a,"b"', `"'=a,""b"""`],
  ])('%j becomes %j', (value, cell) => {
    expect(csvCell(value)).toBe(cell);
  });

  it('writes null as an empty field and ends records with CRLF', () => {
    expect(csvRecord(['a', null, 'b'])).toBe('a,,b\r\n');
  });
});

describe('the audit log never holds a secret', () => {
  it('scans every row after sign-ins and a token lifecycle', async () => {
    const wrongPassword = 'Tr0ub4dor&3-not-the-password';
    const { org, owner, admin, member } = await seedOrg(t.app, t.ctx);
    const needles = [PASSWORD, wrongPassword];
    for (const session of [owner, admin, member]) {
      for (const cookie of session.headers.cookie.split('; ')) needles.push(cookie.split('=')[1]!);
    }
    for (const email of [member.user.email!, 'nobody@example.test']) {
      const failed = await t.app.inject({ method: 'POST', url: '/api/v1/session', payload: { email, password: wrongPassword } });
      expect(failed.statusCode).toBe(401);
    }

    // The token routes, where they exist: create, rotate, impersonate, rename, revoke.
    const secrets: string[] = [];
    const exists = (response: LightMyRequestResponse) => !(response.statusCode === 404 && String(json(response).detail).startsWith('No route'));
    const call = async (method: 'POST' | 'PATCH', path: string, payload: object) => {
      const response = await t.app.inject({ method, url: `/api/v1/orgs/${org.id}${path}`, headers: owner.headers, payload });
      if (!exists(response)) return null;
      const body = json(response);
      if (typeof body.secret === 'string') secrets.push(body.secret);
      return body;
    };
    const created = await call('POST', '/tokens', { name: 'ci', scopes: ['devices:read'], expires_in_days: 30 });
    const createdId = created?.token?.id as string | undefined;
    if (createdId) {
      const rotated = await call('POST', `/tokens/${createdId}/rotate`, { grace_period_seconds: 60 });
      await call('PATCH', `/tokens/${createdId}`, { name: 'ci renamed' });
      const rotatedId = rotated?.token?.id as string | undefined;
      if (rotatedId) await call('POST', `/tokens/${rotatedId}/revoke`, {});
    }
    await call('POST', `/members/${member.user.id}/tokens`, { name: 'support', scopes: ['devices:read'], expires_in_days: 30 });

    // The store-made lifecycle: use, then present revoked, disabled and expired tokens.
    const live = await makeToken(t.ctx, org, owner.user, { scopes: ['keyward:audit:read', 'keyward:tokens:read'] });
    const jwt = await makeToken(t.ctx, org, admin.user, { kind: 'jwt', scopes: ['keyward:audit:read'] });
    const revoked = await makeToken(t.ctx, org, owner.user);
    const disabled = await makeToken(t.ctx, org, owner.user);
    const expiring = await makeToken(t.ctx, org, owner.user, { expiresInDays: 1 });
    secrets.push(live.secret, jwt.secret, revoked.secret, disabled.secret, expiring.secret);
    for (const headers of [{ authorization: `Bearer ${live.secret}` }, { 'x-api-key': live.secret }, { authorization: `Bearer ${jwt.secret}` }]) {
      expect((await t.app.inject({ method: 'GET', url: '/api/v1/me', headers })).statusCode).toBe(200);
    }
    await updateToken(t.ctx.db, revoked.id, { revokedAt: t.clock.now(), revokedReason: 'manual' });
    await updateToken(t.ctx.db, disabled.id, { disabledAt: t.clock.now(), disabledReason: 'manual' });
    t.ctx.invalidate.org(org.id);
    t.clock.advanceDays(2);
    for (const secret of [revoked.secret, disabled.secret, expiring.secret]) {
      const response = await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: { authorization: `Bearer ${secret}` } });
      expect(response.statusCode).toBe(401);
    }
    // Rejected uses are audited off the request path.
    await vi.waitFor(async () => {
      const rejected = await t.ctx.db.selectFrom('audit_events').select('id').where('action', '=', 'token.rejected').execute();
      expect(rejected).toHaveLength(3);
    });

    const exports = await Promise.all(
      ['csv', 'ndjson'].map((format) =>
        t.app.inject({ method: 'GET', url: url(org, `?format=${format}`), headers: { authorization: `Bearer ${live.secret}` } }),
      ),
    );

    // Whole secrets, and an API key's random part without its prefix.
    needles.push(...secrets, ...secrets.filter((s) => s.startsWith('kw_')).map((s) => s.slice(3)));
    expect(exports.map((r) => r.statusCode)).toEqual([200, 200]);
    const rows = await t.ctx.db.selectFrom('audit_events').selectAll().execute();
    // 3 sign-ins, 2 failed sign-ins, 3 rejected uses, 2 exports, plus whatever the token routes audit.
    expect(rows.length).toBeGreaterThanOrEqual(10);
    const haystacks = [...rows.map((row) => JSON.stringify(row)), ...exports.map((r) => r.body)];
    for (const haystack of haystacks) {
      for (const needle of needles) expect(haystack.includes(needle), `audit data holds a secret: ${haystack}`).toBe(false);
    }
  });
});

describe('GET /api/v1/audit-events (the deployment log)', () => {
  it('shows site admins the events of no org: sign-ins, failed sign-ins, users', async () => {
    const admin = await makeUser(t.ctx, { siteAdmin: true });
    const { org, owner } = await seedOrg(t.app, t.ctx);
    await t.app.inject({ method: 'POST', url: '/api/v1/session', payload: { email: owner.user.email, password: 'not the password' } });
    await record(org, 'token.created', owner.user);
    const headers = await signIn(t.app, admin);
    const response = await t.app.inject({ method: 'GET', url: '/api/v1/audit-events?limit=100', headers });
    expect(response.statusCode).toBe(200);
    const events = json<{ data: AuditEventView[] }>(response).data;
    const actions = events.map((e) => e.action);
    expect(actions).toContain('session.created');
    expect(actions).toContain('session.failed');
    expect(actions).not.toContain('token.created');
    expect(events.every((e) => e.org_id === null)).toBe(true);
    expect(events.find((e) => e.action === 'session.created' && e.actor.id === admin.id)).toBeDefined();

    const csv = await t.app.inject({ method: 'GET', url: '/api/v1/audit-events?format=csv&action=session.*', headers });
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-disposition']).toMatch(/audit-deployment-/);
    expect(csv.body).toContain('session.failed');
    expect(csv.body).not.toContain('not the password');
  });

  it('is closed to org owners who are not site admins (403) and to anonymous callers (401)', async () => {
    const { owner } = await seedOrg(t.app, t.ctx);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/audit-events', headers: owner.headers })).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/audit-events' })).statusCode).toBe(401);
  });

  it('answers no HEAD, which would audit an export that is never sent', async () => {
    const { org, owner } = await seedOrg(t.app, t.ctx);
    const head = await t.app.inject({ method: 'HEAD', url: url(org, '?format=csv'), headers: owner.headers });
    expect(head.statusCode).toBe(405);
    expect(head.headers.allow).toBe('GET');
    const exported = await t.ctx.db.selectFrom('audit_events').selectAll().where('action', '=', 'audit.exported').execute();
    expect(exported).toHaveLength(0);
  });
});
