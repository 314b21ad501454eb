import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEVICE_LAB_ROUTES } from '../../src/core/route-table.js';
import { freePort, signInOverHttp, startBuiltServer } from '../server-process.js';

/**
 * examples/device-lab, the product-side end-to-end test: a real Keyward (`npm start`'s command),
 * the example started as `node examples/device-lab/server.js`, and every route of the API driven
 * with tokens of different scopes through @keyward/sdk. The example imports nothing of Keyward's
 * code, so the first test also keeps its routes and Keyward's forward-auth table alike.
 */
const EXAMPLE = new URL('../../examples/device-lab/', import.meta.url);
const SERVER_JS = new URL('server.js', EXAMPLE).pathname;
const SDK_BUILT = existsSync(new URL('../../packages/sdk/dist/index.js', import.meta.url));

/** The product's scopes: every scope of the route table (DESIGN §1's default catalog minus keyward:*). */
const PRODUCT_SCOPES = [...new Set(DEVICE_LAB_ROUTES.map((rule) => rule.scope))];
/** The site admin the example's README signs in as. */
const ADMIN = { email: 'admin@example.com', password: 'change me now' };

type Answer = { status: number; headers: Headers; body: any };

/** One request of each rule of the table, and what a token holding exactly the rule's scope gets. */
const SAMPLE_REQUESTS: Record<string, { url: string; body?: unknown; expect: number }> = {
  'GET /api/v1/devices': { url: '/api/v1/devices', expect: 200 },
  'GET /api/v1/devices/{id}': { url: '/api/v1/devices/dev_0002', expect: 200 },
  'PATCH /api/v1/devices/{id}': { url: '/api/v1/devices/dev_9999', body: { notes: 'no such device' }, expect: 404 },
  'GET /api/v1/device-requests': { url: '/api/v1/device-requests', expect: 200 },
  'GET /api/v1/device-requests/{id}': { url: '/api/v1/device-requests/req_0002', expect: 200 },
  // Writes get a body of the wrong shape or an unknown id: past the scope check, changing nothing.
  'POST /api/v1/device-requests': { url: '/api/v1/device-requests', body: {}, expect: 400 },
  'PATCH /api/v1/device-requests/{id}': { url: '/api/v1/device-requests/req_9999', body: { details: 'x' }, expect: 404 },
  'POST /api/v1/device-requests/{id}/mark-vm-returned': { url: '/api/v1/device-requests/req_9999/mark-vm-returned', expect: 404 },
  'GET /api/v1/clients': { url: '/api/v1/clients', expect: 200 },
  'GET /api/v1/clients/{id}': { url: '/api/v1/clients/cli_0001', expect: 200 },
  'POST /api/v1/clients': { url: '/api/v1/clients', body: {}, expect: 400 },
  'PATCH /api/v1/clients/{id}': { url: '/api/v1/clients/cli_9999', body: { name: 'x' }, expect: 404 },
  'DELETE /api/v1/clients/{id}': { url: '/api/v1/clients/cli_9999', expect: 404 },
  'GET /api/v1/users': { url: '/api/v1/users', expect: 200 },
  'GET /api/v1/users/{id}': { url: '/api/v1/users/usr_0001', expect: 200 },
  'GET /api/v1/metrics': { url: '/api/v1/metrics', expect: 200 },
  'GET /api/v1/billing/invoices': { url: '/api/v1/billing/invoices', expect: 200 },
  'GET /api/v1/billing/invoices/{id}': { url: '/api/v1/billing/invoices/inv_0001', expect: 200 },
  'GET /api/v1/billing/charges': { url: '/api/v1/billing/charges', expect: 200 },
  'GET /api/v1/insights/*': { url: '/api/v1/insights/device-utilization', expect: 200 },
};

describe('examples/device-lab', () => {
  let keyward: Awaited<ReturnType<typeof startBuiltServer>>;
  let lab: Awaited<ReturnType<typeof startExample>>;
  let adminId: string;
  /** The org with the insights_api feature, and one without. */
  let acme: { id: string };
  let other: { id: string };
  let session: Record<string, string>;
  const tokens = {} as {
    /** Every product scope, on acme. */
    full: string;
    /** devices:read only, on the other org. */
    reader: string;
    /** Every product scope, revoked before it was ever used. */
    revoked: string;
    /** One token per product scope holding only that scope, on acme. */
    only: Record<string, string>;
  };

  const admin = async (method: string, path: string, body?: object) => {
    const response = await fetch(`${keyward.url}${path}`, { method, headers: session, body: body && JSON.stringify(body) });
    const answer = (await response.json()) as Record<string, any>;
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(answer)}`);
    return answer;
  };
  const createToken = async (org: { id: string }, scopes: string[]) => {
    const created = await admin('POST', `/api/v1/orgs/${org.id}/tokens`, { name: `device-lab ${scopes.join(' ')}`.slice(0, 100), scopes, expires_in_days: 30 });
    return { id: created.token.id as string, secret: created.secret as string };
  };
  const revoke = (org: { id: string }, tokenId: string) => admin('POST', `/api/v1/orgs/${org.id}/tokens/${tokenId}/revoke`);

  /** A request to the example, as a product's client makes it. */
  const call = async (method: string, path: string, options: { token?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<Answer> => {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${lab.url}${path}`, { method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body) });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : null };
  };
  const get = (path: string, token = tokens.full) => call('GET', path, { token });

  const expectProblem = (answer: Answer, status: number, code?: string) => {
    expect(answer.status, JSON.stringify(answer.body)).toBe(status);
    expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(answer.body.status).toBe(status);
    if (code) expect(answer.body.code).toBe(code);
  };
  const expectInsufficientScope = (answer: Answer, scope: string) => {
    expectProblem(answer, 403);
    const challenge = answer.headers.get('www-authenticate') ?? '';
    expect(challenge).toMatch(/^Bearer /);
    expect(challenge).toContain('error="insufficient_scope"');
    expect(challenge).toContain(`scope="${scope}"`);
  };

  beforeAll(async () => {
    if (!SDK_BUILT) throw new Error('packages/sdk/dist is missing: run `npm run build` (it builds @keyward/sdk too).');
    keyward = await startBuiltServer({ KEYWARD_ADMIN_EMAIL: ADMIN.email, KEYWARD_ADMIN_PASSWORD: ADMIN.password });
    const signedIn = await signInOverHttp(keyward.url, ADMIN);
    adminId = signedIn.userId;
    session = signedIn.headers;

    acme = (await admin('POST', '/api/v1/orgs', { name: 'Acme Device Lab', slug: 'acme-test', plan: 'enterprise', features: ['insights_api'], owner_email: ADMIN.email })) as { id: string };
    other = (await admin('POST', '/api/v1/orgs', { name: 'Other Lab', slug: 'test-other-lab', plan: 'enterprise', owner_email: ADMIN.email })) as { id: string };
    // One owner holds a token per scope here: more than the default 10 active tokens a user may have.
    await admin('PATCH', `/api/v1/orgs/${acme.id}`, { token_policy: { max_tokens_per_user: 20 } });
    const verifier = (await admin('POST', '/api/v1/verifiers', { name: 'device-lab' })).secret as string;

    tokens.full = (await createToken(acme, PRODUCT_SCOPES)).secret;
    tokens.reader = (await createToken(other, ['devices:read'])).secret;
    const revoked = await createToken(acme, PRODUCT_SCOPES);
    await revoke(acme, revoked.id);
    tokens.revoked = revoked.secret;
    tokens.only = {};
    for (const scope of PRODUCT_SCOPES) tokens.only[scope] = (await createToken(acme, [scope])).secret;

    lab = await startExample({ KEYWARD_URL: keyward.url, KEYWARD_VERIFIER_SECRET: verifier });
  }, 60_000);

  afterAll(async () => {
    await lab?.stop();
    await keyward?.stop();
  });

  describe('its routes', () => {
    it('are exactly the rules of the forward-auth table (DEVICE_LAB_ROUTES), plus /healthz', async () => {
      const { app } = await loadApp();
      const registered: string[] = [];
      app.addHook('onRoute', (route: { method: string | string[]; url: string }) => {
        for (const method of [route.method].flat()) if (method !== 'HEAD') registered.push(`${method} ${route.url}`);
      });
      await app.ready();
      await app.close();
      // Fastify writes a parameter `:id`, the table `{id}`; both write a wildcard `*`.
      const normalize = (route: string) => route.replace(/:\w+/g, '{}').replace(/\{\w+\}/g, '{}');
      const table = DEVICE_LAB_ROUTES.map((rule) => normalize(`${rule.method} ${rule.path}`));
      expect(registered.map(normalize).sort()).toEqual([...table, 'GET /healthz'].sort());
    });

    it('each has a sample request in this test', () => {
      for (const rule of DEVICE_LAB_ROUTES) expect(SAMPLE_REQUESTS, `add a sample request for ${rule.method} ${rule.path}`).toHaveProperty([`${rule.method} ${rule.path}`]);
    });
  });

  describe('GET /healthz', () => {
    it('answers 200 without a token', async () => {
      const answer = await call('GET', '/healthz');
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({ status: 'ok' });
    });
  });

  // With the test above, this makes each registered route need exactly its rule's scope: a token
  // holding only that scope passes, a token without it gets 403 naming it.
  describe.each(DEVICE_LAB_ROUTES)('$method $path', (rule) => {
    const sample = () => SAMPLE_REQUESTS[`${rule.method} ${rule.path}`]!;

    it(`passes a token holding only ${rule.scope}`, async () => {
      const answer = await call(rule.method, sample().url, { token: tokens.only[rule.scope], body: sample().body });
      expect(answer.status, JSON.stringify(answer.body)).toBe(sample().expect);
    });

    it(`answers 403 insufficient_scope, scope="${rule.scope}", to a token without it`, async () => {
      // A token with one other scope, so the refusal is about this route's scope only.
      const lacking = rule.scope === 'devices:read' ? tokens.only['users:read'] : tokens.reader;
      expectInsufficientScope(await call(rule.method, sample().url, { token: lacking, body: sample().body }), rule.scope);
    });

    it('answers 401 without a token, and to a revoked one', async () => {
      const missing = await call(rule.method, sample().url, { body: sample().body });
      expectProblem(missing, 401);
      expect(missing.headers.get('www-authenticate')).toMatch(/^Bearer realm="[^"]+"$/);
      const revoked = await call(rule.method, sample().url, { token: tokens.revoked, body: sample().body });
      expectProblem(revoked, 401);
      expect(revoked.headers.get('www-authenticate')).toMatch(/^Bearer realm="[^"]+", error="invalid_token"/);
    });
  });

  describe('authentication', () => {
    it('refuses a token revoked after it was used, within the revocation feed\'s bound', async () => {
      const token = await createToken(acme, ['devices:read']);
      expect((await get('/api/v1/devices', token.secret)).status).toBe(200);
      await revoke(acme, token.id);
      const deadline = Date.now() + 2_000;
      let answer = await get('/api/v1/devices', token.secret);
      while (answer.status === 200 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
        answer = await get('/api/v1/devices', token.secret);
      }
      expectProblem(answer, 401);
    });

    it('answers 401 invalid_token to a token that is not one', async () => {
      const answer = await get('/api/v1/devices', 'kw_not-a-token');
      expectProblem(answer, 401);
      expect(answer.headers.get('www-authenticate')).toContain('error="invalid_token"');
    });

    it('takes the token from X-API-Key too', async () => {
      expect((await call('GET', '/api/v1/devices', { headers: { 'x-api-key': tokens.full } })).status).toBe(200);
    });

    it('refuses in the order 401, 403, then 400: the body is validated only for a caller who may use the route', async () => {
      const bad = { tags: 'not a list', color: 'red' };
      expectProblem(await call('PATCH', '/api/v1/devices/dev_0001', { body: bad }), 401);
      expectInsufficientScope(await call('PATCH', '/api/v1/devices/dev_0001', { token: tokens.reader, body: bad }), 'devices:write');
      expectProblem(await call('PATCH', '/api/v1/devices/dev_0001', { token: tokens.full, body: bad }), 400, 'validation_failed');
      // Likewise the query string.
      expectProblem(await call('GET', '/api/v1/devices?limit=1000'), 401);
    });
  });

  describe('devices', () => {
    it('lists the sample devices in one page by default', async () => {
      const answer = await get('/api/v1/devices');
      expect(answer.status).toBe(200);
      expect(answer.body.data).toHaveLength(8);
      expect(answer.body.next_cursor).toBeNull();
      expect(answer.body.data[0]).toMatchObject({ id: 'dev_0001', type: 'vm', tags: ['ci'] });
    });

    it('pages with limit and cursor', async () => {
      const seen: string[] = [];
      let cursor: string | null = null;
      const sizes: number[] = [];
      do {
        const answer = await get(`/api/v1/devices?limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
        expect(answer.status).toBe(200);
        sizes.push(answer.body.data.length);
        seen.push(...answer.body.data.map((d: { id: string }) => d.id));
        cursor = answer.body.next_cursor;
      } while (cursor !== null);
      expect(sizes).toEqual([3, 3, 2]);
      expect(seen).toEqual(['dev_0001', 'dev_0002', 'dev_0003', 'dev_0004', 'dev_0005', 'dev_0006', 'dev_0007', 'dev_0008']);
    });

    it('takes a limit of 1 to 100 only', async () => {
      expect((await get('/api/v1/devices?limit=100')).status).toBe(200);
      expectProblem(await get('/api/v1/devices?limit=101'), 400, 'validation_failed');
      expectProblem(await get('/api/v1/devices?limit=0'), 400, 'validation_failed');
      expectProblem(await get('/api/v1/devices?limit=ten'), 400, 'validation_failed');
    });

    it('gets one, and 404 for an unknown id', async () => {
      expect(await get('/api/v1/devices/dev_0005')).toMatchObject({ status: 200, body: { id: 'dev_0005', type: 'ios' } });
      expectProblem(await get('/api/v1/devices/dev_0100'), 404, 'not_found');
    });

    it('changes tags and notes, and nothing else', async () => {
      const answer = await call('PATCH', '/api/v1/devices/dev_0003', { token: tokens.full, body: { tags: ['5g', 'loaner'], notes: 'Battery swapped.' } });
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({ id: 'dev_0003', name: 'pixel-8', tags: ['5g', 'loaner'], notes: 'Battery swapped.' });
      expect((await get('/api/v1/devices/dev_0003')).body.tags).toEqual(['5g', 'loaner']);
      for (const body of [{}, { name: 'renamed' }, { tags: ['a', 'a'] }, { notes: 'x'.repeat(2001) }, { tags: [''] }]) {
        expectProblem(await call('PATCH', '/api/v1/devices/dev_0003', { token: tokens.full, body }), 400, 'validation_failed');
      }
      expectProblem(await call('PATCH', '/api/v1/devices/dev_0100', { token: tokens.full, body: { notes: 'x' } }), 404, 'not_found');
    });

    it("keeps each org's data apart", async () => {
      await call('PATCH', '/api/v1/devices/dev_0004', { token: tokens.full, body: { notes: 'Acme only' } });
      expect((await get('/api/v1/devices/dev_0004', tokens.full)).body.notes).toBe('Acme only');
      expect((await get('/api/v1/devices/dev_0004', tokens.reader)).body.notes).toBe('');
    });
  });

  describe('device requests', () => {
    it('lists them, filtered by ?device_type=', async () => {
      const all = await get('/api/v1/device-requests');
      expect(all.status).toBe(200);
      expect(all.body.data.map((r: { id: string }) => r.id)).toEqual(['req_0001', 'req_0002', 'req_0003', 'req_0004']);
      const vms = await get('/api/v1/device-requests?device_type=vm');
      expect(vms.body.data.map((r: { id: string }) => r.id)).toEqual(['req_0001', 'req_0004']);
      expect((await get('/api/v1/device-requests?device_type=ios')).body.data.map((r: { id: string }) => r.id)).toEqual(['req_0003']);
      const paged = await get('/api/v1/device-requests?device_type=vm&limit=1');
      expect(paged.body).toMatchObject({ data: [{ id: 'req_0001' }], next_cursor: 'req_0001' });
      expect((await get('/api/v1/device-requests?device_type=vm&limit=1&cursor=req_0001')).body).toMatchObject({ data: [{ id: 'req_0004' }], next_cursor: null });
      expectProblem(await get('/api/v1/device-requests?device_type=tablet'), 400, 'validation_failed');
    });

    it('gets one, and 404 for an unknown id', async () => {
      expect(await get('/api/v1/device-requests/req_0002')).toMatchObject({ status: 200, body: { id: 'req_0002', device_type: 'android' } });
      expectProblem(await get('/api/v1/device-requests/req_0100'), 404, 'not_found');
    });

    it('creates one for the token owner: 201', async () => {
      const body = { device_type: 'android', client_id: 'cli_0001', details: 'Play Store review build', start_date: '2026-12-01', end_date: '2026-12-05' };
      const answer = await call('POST', '/api/v1/device-requests', { token: tokens.full, body });
      expect(answer.status, JSON.stringify(answer.body)).toBe(201);
      expect(answer.body).toEqual({ id: 'req_0005', ...body, requested_by: adminId, status: 'active', returned_at: null });
      expect((await get('/api/v1/device-requests?device_type=android')).body.data.map((r: { id: string }) => r.id)).toEqual(['req_0002', 'req_0005']);
    });

    it('refuses a create of the wrong shape (400) or against the rules (422)', async () => {
      const good = { device_type: 'vm', client_id: 'cli_0001', details: 'x', start_date: '2026-12-01', end_date: '2026-12-05' };
      const post = (body: unknown) => call('POST', '/api/v1/device-requests', { token: tokens.full, body });
      for (const body of [{ ...good, device_type: 'tablet' }, { ...good, start_date: '2026-13-01' }, { ...good, details: undefined }, { ...good, extra: 1 }]) {
        expectProblem(await post(body), 400, 'validation_failed');
      }
      expectProblem(await post({ ...good, client_id: 'cli_0100' }), 422, 'unknown_client');
      expectProblem(await post({ ...good, end_date: '2026-11-30' }), 422, 'invalid_period');
    });

    it('changes the details and extends the dates', async () => {
      const answer = await call('PATCH', '/api/v1/device-requests/req_0003', { token: tokens.full, body: { details: 'RC2 smoke tests', end_date: '2026-11-25' } });
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({ id: 'req_0003', details: 'RC2 smoke tests', start_date: '2026-11-16', end_date: '2026-11-25' });
      expectProblem(await call('PATCH', '/api/v1/device-requests/req_0003', { token: tokens.full, body: { end_date: '2026-11-01' } }), 422, 'invalid_period');
      expectProblem(await call('PATCH', '/api/v1/device-requests/req_0003', { token: tokens.full, body: { device_type: 'vm' } }), 400, 'validation_failed');
      expectProblem(await call('PATCH', '/api/v1/device-requests/req_0004', { token: tokens.full, body: { details: 'late edit' } }), 409, 'already_returned');
    });

    it('marks a VM request returned once: 200, then 409', async () => {
      const answer = await call('POST', '/api/v1/device-requests/req_0001/mark-vm-returned', { token: tokens.full });
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({ id: 'req_0001', status: 'returned' });
      expect(Date.parse(answer.body.returned_at)).toBeGreaterThan(Date.now() - 60_000);
      expectProblem(await call('POST', '/api/v1/device-requests/req_0001/mark-vm-returned', { token: tokens.full }), 409, 'already_returned');
      expectProblem(await call('POST', '/api/v1/device-requests/req_0004/mark-vm-returned', { token: tokens.full }), 409, 'already_returned');
    });

    it('refuses to mark a request for another device type: 422', async () => {
      expectProblem(await call('POST', '/api/v1/device-requests/req_0002/mark-vm-returned', { token: tokens.full }), 422, 'not_a_vm_request');
      expect((await get('/api/v1/device-requests/req_0002')).body.status).toBe('active');
      expectProblem(await call('POST', '/api/v1/device-requests/req_0100/mark-vm-returned', { token: tokens.full }), 404, 'not_found');
    });
  });

  describe('clients', () => {
    it('lists, creates (201), gets, changes and deletes (204) one', async () => {
      const list = await get('/api/v1/clients');
      expect(list.status).toBe(200);
      expect(list.body.data.map((c: { name: string }) => c.name)).toEqual(['Northwind Games', 'Contoso Health', 'Fabrikam Mobile']);

      const created = await call('POST', '/api/v1/clients', { token: tokens.full, body: { name: 'Tailspin Toys', contact_email: 'devices@tailspin.example' } });
      expect(created.status).toBe(201);
      expect(created.body).toEqual({ id: 'cli_0004', name: 'Tailspin Toys', contact_email: 'devices@tailspin.example' });
      expect(await get('/api/v1/clients/cli_0004')).toMatchObject({ status: 200, body: { name: 'Tailspin Toys' } });

      const changed = await call('PATCH', '/api/v1/clients/cli_0004', { token: tokens.full, body: { name: 'Tailspin' } });
      expect(changed).toMatchObject({ status: 200, body: { id: 'cli_0004', name: 'Tailspin', contact_email: 'devices@tailspin.example' } });

      const deleted = await call('DELETE', '/api/v1/clients/cli_0004', { token: tokens.full });
      expect(deleted.status).toBe(204);
      expect(deleted.body).toBeNull();
      expectProblem(await get('/api/v1/clients/cli_0004'), 404, 'not_found');
      expectProblem(await call('DELETE', '/api/v1/clients/cli_0004', { token: tokens.full }), 404, 'not_found');
      expectProblem(await call('PATCH', '/api/v1/clients/cli_0004', { token: tokens.full, body: { name: 'x' } }), 404, 'not_found');
    });

    it('validates the body: 400', async () => {
      for (const body of [{}, { name: '' }, { name: 'x', contact_email: 'not an address' }, { name: 'x', vip: true }]) {
        expectProblem(await call('POST', '/api/v1/clients', { token: tokens.full, body }), 400, 'validation_failed');
      }
      expectProblem(await call('PATCH', '/api/v1/clients/cli_0001', { token: tokens.full, body: {} }), 400, 'validation_failed');
    });
  });

  describe('users, metrics, billing, insights', () => {
    it('lists and gets users', async () => {
      expect((await get('/api/v1/users')).body.data).toHaveLength(3);
      expect(await get('/api/v1/users/usr_0002')).toMatchObject({ status: 200, body: { name: 'Grace Okafor', role: 'tester' } });
      expectProblem(await get('/api/v1/users/usr_0100'), 404, 'not_found');
    });

    it('counts devices and requests', async () => {
      const answer = await get('/api/v1/metrics');
      expect(answer.status).toBe(200);
      expect(answer.body.devices).toMatchObject({ total: 8, by_type: { vm: 3, android: 3, ios: 2 } });
      expect(answer.body.users).toBe(3);
    });

    it('lists and gets invoices, and lists charges', async () => {
      expect((await get('/api/v1/billing/invoices')).body).toMatchObject({ data: [{ id: 'inv_0001' }, { id: 'inv_0002' }, { id: 'inv_0003' }], next_cursor: null });
      expect(await get('/api/v1/billing/invoices/inv_0003')).toMatchObject({ status: 200, body: { client_id: 'cli_0002', status: 'open' } });
      expectProblem(await get('/api/v1/billing/invoices/inv_0100'), 404, 'not_found');
      const charges = await get('/api/v1/billing/charges?limit=2');
      expect(charges.body).toMatchObject({ data: [{ id: 'chg_0001' }, { id: 'chg_0002' }], next_cursor: 'chg_0002' });
    });

    it('answers the insights reports, and 404 for an unknown one, to insights:read only', async () => {
      const utilization = await get('/api/v1/insights/device-utilization');
      expect(utilization.status).toBe(200);
      expect(utilization.body.data).toContainEqual({ device_type: 'ios', devices: 2, in_use: 1, utilization: 0.5 });
      expect((await get('/api/v1/insights/request-volume')).body.data.length).toBeGreaterThan(0);
      expectProblem(await get('/api/v1/insights/no-such-report'), 404, 'not_found');
      // Without the scope, even an unknown report is a 403: nothing is learned about what exists.
      expectInsufficientScope(await get('/api/v1/insights/no-such-report', tokens.only['devices:read']), 'insights:read');
    });

    it('insights:read is only for orgs with the insights_api feature (Keyward refuses the token)', async () => {
      const response = await fetch(`${keyward.url}/api/v1/orgs/${other.id}/tokens`, { method: 'POST', headers: session, body: JSON.stringify({ name: 'insights', scopes: ['insights:read'], expires_in_days: 30 }) });
      expect(response.status).toBe(422);
    });
  });

  describe("the README's shell session", () => {
    it('runs as written and prints what the README says', async () => {
      const readme = readFileSync(new URL('README.md', EXAMPLE), 'utf8');
      const blocks = [...readme.matchAll(/```(\w*)\n([\s\S]*?)```/g)];
      const shell = blocks.find(([, lang, text]) => lang === 'sh' && text!.startsWith('K=http://127.0.0.1:8080'))?.[2];
      const printed = blocks[blocks.findIndex(([, , text]) => text === shell) + 1]?.[2];
      expect(shell).toBeDefined();
      const port = await freePort();
      const script = shell!
        .replace('K=http://127.0.0.1:8080', `K=${keyward.url}`)
        .replaceAll('PORT=3000', `PORT=${port}`)
        .replaceAll('http://127.0.0.1:3000', `http://127.0.0.1:${port}`)
        .replace('node examples/device-lab/server.js', `node ${SERVER_JS}`);
      const dir = mkdtempSync(join(tmpdir(), 'device-lab-readme-'));
      try {
        // The trap stops the example should the script fail half-way.
        const run = spawnSync('bash', ['-c', `set -euo pipefail\ntrap 'kill \${LAB:-} 2>/dev/null || true' EXIT\n${script}`], { cwd: dir, encoding: 'utf8', timeout: 25_000 });
        expect(run.status, `${run.stderr}\n${readFileSync(join(dir, 'device-lab.log'), 'utf8')}`).toBe(0);
        const lines = run.stdout.split('\n').map((line) => line.trimEnd()).filter(Boolean);
        const [devices, patched, vms, returned, insights] = lines.slice(0, 5).map((line) => JSON.parse(line));
        expect(devices).toMatchObject({ data: [{ id: 'dev_0001' }, { id: 'dev_0002' }], next_cursor: 'dev_0002' });
        expect(patched).toMatchObject({ id: 'dev_0001', tags: ['ci', 'loaner'] });
        expect(vms.data.map((r: { id: string }) => r.id)).toEqual(['req_0001', 'req_0004']);
        expect(returned).toMatchObject({ id: 'req_0001', status: 'returned' });
        expect(insights.data).toHaveLength(3);
        expect(lines.slice(5).join('\n').toLowerCase()).toBe(printed!.trim().toLowerCase());
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  describe('the process', () => {
    it('refuses to start without KEYWARD_URL or KEYWARD_VERIFIER_SECRET, saying which', () => {
      const env = { ...process.env };
      delete env.KEYWARD_URL;
      delete env.KEYWARD_VERIFIER_SECRET;
      const run = spawnSync(process.execPath, [SERVER_JS], { env: { ...env, KEYWARD_URL: keyward.url }, encoding: 'utf8', timeout: 10_000 });
      expect(run.status).toBe(1);
      expect(run.stderr).toContain('KEYWARD_VERIFIER_SECRET is not set');
      expect(run.stderr).not.toContain('KEYWARD_URL is not set');
    });

    it('closes the server and the verifier on SIGTERM and exits 0', async () => {
      process.kill(lab.pid, 'SIGTERM');
      expect(await lab.exited).toBe(0);
      await expect(fetch(`${lab.url}/healthz`)).rejects.toThrow();
    });
  });
});

/**
 * examples/device-lab/app.js's buildApp, with a verifier that is never asked: only its routes are
 * looked at. (Wrapped: a Fastify instance is a thenable, and awaiting it would make it ready.)
 */
async function loadApp() {
  const appJs: string = new URL('app.js', EXAMPLE).href;
  const { buildApp } = await import(appJs);
  const verifier = { verify: async () => Promise.reject(new Error('not used')), close: () => undefined };
  return { app: buildApp({ verifier }) };
}

/** `node examples/device-lab/server.js` on a free port, waited for until /healthz answers. */
async function startExample(env: Record<string, string>) {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let output = '';
  const child = spawn(process.execPath, [SERVER_JS], { env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
  };
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the example exited early:\n${output}`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`the example did not start:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url, pid: child.pid!, exited, output: () => output, stop };
}
