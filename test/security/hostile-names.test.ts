import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Org, User } from '../../src/core/model.js';
import { addMember, makeOrg, makeToken, makeUser, signIn, type SessionHeaders } from '../factories.js';
import { json, startTestApp, type TestApp } from '../harness.js';
import { expectProblem } from './attack-helpers.js';

/**
 * Names and descriptions people type, attacked: markup and scripts are stored as text (the portal
 * escapes them: test/e2e/portal-hostile-names.test.ts), surrounding space is trimmed and text is
 * NFC-normalized, and what would spoof or break a display (bidi overrides, controls, NUL, nothing
 * visible, 10,000 characters) is refused with 400 validation_failed. On every object with a name.
 */
let t: TestApp;
let org: Org;
let owner: User;
let session: SessionHeaders;
let siteSession: SessionHeaders;
beforeEach(async () => {
  t = await startTestApp();
  org = await makeOrg(t.ctx, { policy: { max_tokens_per_user: 100 } });
  owner = await makeUser(t.ctx);
  await addMember(t.ctx, org, owner, 'owner');
  session = await signIn(t.app, owner);
  siteSession = await signIn(t.app, await makeUser(t.ctx, { siteAdmin: true }));
});
afterEach(() => t.close());

type Target = { label: string; request: (name: string) => InjectOptions; stored: (response: LightMyRequestResponse) => unknown };

let n = 0;
const unique = () => `${++n}`;

/** Every place a name goes in, and where the stored name comes back out. */
const targets = (): Target[] => [
  {
    label: 'token name (create)',
    request: (name) => ({ method: 'POST', url: `/api/v1/orgs/${org.id}/tokens`, headers: session, payload: { name, scopes: ['devices:read'], expires_in_days: 30 } }),
    stored: (r) => json(r).token.name,
  },
  {
    label: 'token description',
    request: (description) => ({ method: 'POST', url: `/api/v1/orgs/${org.id}/tokens`, headers: session, payload: { name: `d${unique()}`, description, scopes: ['devices:read'], expires_in_days: 30 } }),
    stored: (r) => json(r).token.description,
  },
  {
    label: 'token name (rename)',
    request: (name) => ({ method: 'PATCH', url: `/api/v1/orgs/${org.id}/tokens/${renameTarget}`, headers: session, payload: { name } }),
    stored: (r) => json(r).name,
  },
  { label: 'org name', request: (name) => ({ method: 'PATCH', url: `/api/v1/orgs/${org.id}`, headers: session, payload: { name } }), stored: (r) => json(r).name },
  {
    label: 'role name',
    request: (name) => ({ method: 'POST', url: `/api/v1/orgs/${org.id}/roles`, headers: session, payload: { name, permissions: ['audit.read'] } }),
    stored: (r) => json(r).name,
  },
  { label: 'service account name', request: (name) => ({ method: 'POST', url: `/api/v1/orgs/${org.id}/service-accounts`, headers: session, payload: { name } }), stored: (r) => json(r).name },
  {
    label: 'user name',
    request: (name) => ({ method: 'POST', url: '/api/v1/users', headers: siteSession, payload: { email: `u${unique()}@example.test`, name, password: 'a long enough password' } }),
    stored: (r) => json(r).name,
  },
  { label: 'verifier name', request: (name) => ({ method: 'POST', url: '/api/v1/verifiers', headers: siteSession, payload: { name } }), stored: (r) => json(r).verifier.name },
];
let renameTarget = '';

const STORED_AS_TEXT = ['<script>alert(1)</script>', '<img src=x onerror=alert(1)>', '"><svg/onload=alert(1)>', "'; DROP TABLE tokens; --", '{{constructor.constructor("alert(1)")()}}', '${7*7}', '&lt;b&gt;'];

describe('hostile names', () => {
  beforeEach(async () => {
    renameTarget = (await makeToken(t.ctx, org, owner)).id;
  });

  it('stores markup, SQL and template syntax as the very text given, answered as JSON', async () => {
    for (const target of targets()) {
      for (const [i, text] of STORED_AS_TEXT.entries()) {
        // Role names are unique in an org: each gets a suffix.
        const name = target.label === 'role name' ? `${text} ${i}` : text;
        const response = await t.app.inject(target.request(name));
        expect(response.statusCode, `${target.label}: ${response.body}`).toBeLessThan(300);
        expect(response.headers['content-type'], target.label).toMatch(/^application\/json/);
        expect(target.stored(response), target.label).toBe(name);
      }
    }
  });

  it('trims surrounding space and stores NFC', async () => {
    for (const target of targets()) {
      const decomposed = `Cafe\u0301 ${unique()}`;
      const response = await t.app.inject(target.request(`  \t${decomposed}\u00a0 `));
      expect(response.statusCode, `${target.label}: ${response.body}`).toBeLessThan(300);
      expect(target.stored(response), target.label).toBe(decomposed.normalize('NFC'));
      expect(String(target.stored(response))).toContain('\u00e9');
    }
  });

  it.each([
    ['a right-to-left override', 'invoice\u202etxt.exe'],
    ['a left-to-right isolate', 'a\u2066b'],
    ['a NUL byte', 'a\u0000b'],
    ['an escape sequence', 'a\u001b[31mred'],
    ['a line separator', 'a\u2028b'],
    ['a C1 control', 'a\u0085b'],
    ['only a zero-width space', '\u200b'],
    ['only spaces', '   '],
    ['only combining marks', '\u0301\u0301'],
    ['10,000 characters', 'x'.repeat(10_000)],
  ])('refuses a name with %s with 400 validation_failed, storing nothing', async (_label, name) => {
    const before = await t.ctx.db.selectFrom('tokens').select('id').execute();
    for (const target of targets()) {
      if (target.label === 'token description' && !/[\u0000\u001b\u2028\u0085\u202e\u2066]|x{10000}/.test(name)) continue; // an empty description is none
      const response = await t.app.inject(target.request(name));
      expectProblem(response, { status: 400, code: 'validation_failed', challenge: null }, target.label);
    }
    expect(await t.ctx.db.selectFrom('tokens').select('id').execute()).toHaveLength(before.length);
  });

  it.each([
    ['a zero-width space', 'owner\u200b'],
    ['a word joiner', 'ow\u2060ner'],
    ['a byte-order mark inside', 'ad\ufeffmin'],
  ])('refuses a name that hides %s, which would pass for another (a role shown as "owner")', async (_label, name) => {
    for (const target of targets().filter((x) => x.label !== 'token description')) {
      expectProblem(await t.app.inject(target.request(name)), { status: 400, code: 'validation_failed', challenge: null }, target.label);
    }
    expect((await t.ctx.db.selectFrom('roles').select('name').execute()).map((r) => r.name)).not.toContain(name);
  });

  it('keeps the joiners that writing and emoji need: ZWJ and ZWNJ', async () => {
    for (const name of ['\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645', '👩\u200d💻 dev']) {
      const response = await t.app.inject(targets()[0]!.request(name));
      expect(response.statusCode, response.body).toBe(201);
      expect(json(response).token.name).toBe(name);
    }
  });

  it('refuses a newline in a name but keeps one in a description', async () => {
    const create = (payload: object) => t.app.inject({ method: 'POST', url: `/api/v1/orgs/${org.id}/tokens`, headers: session, payload: { scopes: ['devices:read'], expires_in_days: 30, ...payload } });
    expectProblem(await create({ name: 'a\nb' }), { status: 400, code: 'validation_failed', challenge: null });
    const kept = await create({ name: 'ok', description: 'line one\nline two' });
    expect(kept.statusCode).toBe(201);
    expect(json(kept).token.description).toBe('line one\nline two');
  });

  it('answers a lone surrogate and emoji without a 500', async () => {
    for (const target of targets()) {
      for (const name of ['\ud800 lone', `\ud83d\udca5 boom ${unique()}`, `👩‍👩‍👧 family ${unique()}`]) {
        const response = await t.app.inject(target.request(name));
        expect(response.statusCode, `${target.label} ${JSON.stringify(name)}: ${response.body}`).toBeLessThan(500);
        if (response.statusCode < 300 && !name.includes('\ud800')) expect(target.stored(response)).toBe(name);
      }
    }
  });

  it('keeps hostile names out of response headers and the log as anything but data', async () => {
    const response = await t.app.inject(targets()[0]!.request('<script>alert(1)</script>'));
    for (const value of Object.values(response.headers)) expect(String(value)).not.toContain('<script>');
  });
});
