import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { apiKeyPattern, generateApiKey } from '../../src/core/token-format.js';
import { bootstrap } from '../../src/services/bootstrap.js';
import { WebhookDispatcher } from '../../src/services/webhooks/dispatcher.js';
import { FakeClock, json, startTestApp, type TestApp } from '../harness.js';
import { Receiver } from '../http/webhooks/helpers.js';

/**
 * Log hygiene, end to end. One dedicated run drives every flow that issues or takes a secret —
 * first-run setup, sign-in (and a failed one), token create (API key and JWT), impersonation,
 * rotate, self-rotate, verifier create, verify, introspect, webhook create, failed uses of
 * revoked, unknown and mistyped tokens, a token in the query string, a leak report and RFC 7009
 * revocation — with the log at its most verbose, webhooks delivered to a real receiver. Then it
 * searches everything Keyward wrote down: every log line, every audit row, every outbox payload
 * and delivery record, and every webhook request (body and headers), for every secret of the run
 * (whole, and its random part without the prefix) and for the published token regex. Zero hits.
 *
 * The whole suite is searched too, at its end (test/secret-check.ts), for the secrets its apps
 * handed out and were handed. This run stays beside that check: it issues every kind of secret
 * itself, at the most verbose log level, so no flow goes unsearched when the suite's tests change.
 */
let t: TestApp;
let receiver: Receiver;
beforeEach(async () => {
  // The real time: webhook signatures carry it, and the receiver's library checks it.
  t = await startTestApp({ logLevel: 'trace', clock: new FakeClock(Date.now()), env: { KEYWARD_WEBHOOK_ALLOW_PRIVATE: 'true' } });
  receiver = await new Receiver().start();
});
afterEach(async () => {
  await receiver.stop();
  await t.close();
});

type Headers = Record<string, string>;

describe('everything Keyward writes down', () => {
  it('holds none of the secrets a full run issued or was shown, and nothing shaped like a token', async () => {
    const secrets = new Set<string>();
    const keep = (secret: string) => {
      expect(typeof secret).toBe('string');
      expect(secret.length).toBeGreaterThan(10);
      secrets.add(secret);
      return secret;
    };
    const call = async (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, headers: Headers = {}, payload?: object | string) =>
      t.app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload }) });
    const cookiesOf = (response: Awaited<ReturnType<typeof call>>): Headers => {
      const cookies = response.cookies as { name: string; value: string }[];
      const session = cookies.find((c) => c.name === 'kw_session')!.value;
      const csrf = cookies.find((c) => c.name === 'kw_csrf')!.value;
      keep(session);
      keep(csrf);
      return { cookie: `kw_session=${session}; kw_csrf=${csrf}`, 'x-csrf-token': csrf };
    };

    // First-run setup: the link's token, the admin's password, the session it starts.
    const outcome = await bootstrap(t.ctx);
    if (outcome.kind !== 'setup_link') throw new Error(`expected a setup link, got ${outcome.kind}`);
    const setupToken = keep(new URL(outcome.url).searchParams.get('token')!);
    const adminPassword = keep('setup password of the first admin');
    const setup = await call('POST', '/api/v1/setup', {}, { token: setupToken, email: 'root@example.test', name: 'Root', password: adminPassword });
    expect(setup.statusCode).toBe(201);
    cookiesOf(setup);

    // Sign-in, after a failed one whose wrong password is a secret too.
    const wrongPassword = keep('a wrong password typed once');
    expect((await call('POST', '/api/v1/session', {}, { email: 'root@example.test', password: wrongPassword })).statusCode).toBe(401);
    const signedIn = await call('POST', '/api/v1/session', {}, { email: 'root@example.test', password: adminPassword });
    expect(signedIn.statusCode).toBe(200);
    const admin = cookiesOf(signedIn);

    const org = json(await call('POST', '/api/v1/orgs', admin, { name: 'Acme', slug: 'acme', plan: 'enterprise', owner_email: 'root@example.test' })).id as string;
    const webhook = await call('POST', `/api/v1/orgs/${org}/webhooks`, admin, { url: receiver.url });
    expect(webhook.statusCode).toBe(201);
    const webhookSecret = keep(json(webhook).secret);

    // A member, made by the site admin with a password of their own, and signed in.
    const memberPassword = keep('the member password, never logged');
    const member = json(await call('POST', '/api/v1/users', admin, { email: 'member@example.test', name: 'Member', password: memberPassword })).id as string;
    expect((await call('POST', `/api/v1/orgs/${org}/members`, admin, { user_id: member, role: 'member' })).statusCode).toBe(201);
    const memberSession = cookiesOf(await call('POST', '/api/v1/session', {}, { email: 'member@example.test', password: memberPassword }));

    // Tokens: an API key with management scopes, a JWT, an impersonation token.
    const created = await call('POST', `/api/v1/orgs/${org}/tokens`, admin, { name: 'ci', scopes: ['devices:read', 'keyward:tokens:read', 'keyward:tokens:write'], expires_in_days: 30 });
    expect(created.statusCode).toBe(201);
    const apiKey = keep(json(created).secret);
    const apiKeyId = json(created).token.id as string;
    const jwt = keep(json(await call('POST', `/api/v1/orgs/${org}/tokens`, admin, { name: 'jwt', scopes: ['devices:read'], expires_in_days: 30, kind: 'jwt' })).secret);
    const memberToken = keep(json(await call('POST', `/api/v1/orgs/${org}/tokens`, memberSession, { name: 'mine', scopes: ['devices:read'], expires_in_days: 30 })).secret);
    const impersonation = await call('POST', `/api/v1/orgs/${org}/members/${member}/tokens`, admin, { name: 'support', scopes: ['devices:read'], expires_in_days: 30 });
    expect(impersonation.statusCode).toBe(201);
    const impersonationToken = keep(json(impersonation).secret);

    // Uses, by every header; rotation by a manager and by the token itself.
    expect((await call('GET', '/api/v1/me', { authorization: `Bearer ${apiKey}` })).statusCode).toBe(200);
    expect((await call('GET', '/api/v1/me', { 'x-api-key': apiKey })).statusCode).toBe(200);
    expect((await call('GET', '/api/v1/me', { authorization: `Bearer ${jwt}` })).statusCode).toBe(200);
    const rotated = await call('POST', `/api/v1/orgs/${org}/tokens/${apiKeyId}/rotate`, admin, { grace_period_seconds: 60 });
    expect(rotated.statusCode).toBe(201);
    const successor = keep(json(rotated).secret);
    const selfRotated = await call('POST', '/api/v1/tokens/self/rotate', { authorization: `Bearer ${successor}` }, { grace_period_seconds: 0 });
    expect(selfRotated.statusCode).toBe(201);
    const third = keep(json(selfRotated).secret);
    const thirdId = json(selfRotated).token.id as string;

    // A verifier, and every way it checks a token.
    const verifier = await call('POST', '/api/v1/verifiers', admin, { name: 'device-lab' });
    expect(verifier.statusCode).toBe(201);
    const verifierSecret = keep(json(verifier).secret);
    const verifierId = json(verifier).verifier.id as string;
    const asVerifier = { authorization: `Bearer ${verifierSecret}` };
    expect(json(await call('POST', '/api/v1/verify', asVerifier, { token: third, scopes: ['devices:read'] })).code).toBe('VALID');
    expect(json(await call('POST', '/api/v1/verify', asVerifier, { token: impersonationToken })).code).toBe('VALID');
    const basic = `Basic ${Buffer.from(`${verifierId}:${verifierSecret}`).toString('base64')}`;
    const introspected = await call('POST', '/oauth/introspect', { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' }, `token=${encodeURIComponent(jwt)}`);
    expect(json(introspected).active).toBe(true);
    expect((await call('GET', '/auth/check', { authorization: `Bearer ${memberToken}`, 'x-original-method': 'GET', 'x-original-uri': '/api/v1/devices' })).statusCode).toBeLessThan(500);

    // Failed uses: revoked, unknown, mistyped, in the URL, a wrong verifier secret.
    expect((await call('POST', `/api/v1/orgs/${org}/tokens/${thirdId}/revoke`, admin, {})).statusCode).toBe(200);
    expect((await call('GET', '/api/v1/me', { authorization: `Bearer ${third}` })).statusCode).toBe(401);
    expect(json(await call('POST', '/api/v1/verify', asVerifier, { token: third })).code).toBe('REVOKED');
    const unknown = keep(generateApiKey(t.ctx.config.tokenPrefix));
    expect((await call('GET', '/api/v1/me', { authorization: `Bearer ${unknown}` })).statusCode).toBe(401);
    expect(json(await call('POST', '/api/v1/verify', asVerifier, { token: unknown })).code).toBe('NOT_FOUND');
    const mistyped = keep(`${memberToken.slice(0, -1)}${memberToken.endsWith('A') ? 'B' : 'A'}`);
    expect((await call('GET', '/api/v1/me', { authorization: `Bearer ${mistyped}` })).statusCode).toBe(401);
    expect((await call('GET', `/api/v1/me?access_token=${memberToken}`)).statusCode).toBe(401);
    expect((await call('GET', `/api/v1/me?access_token=${unknown}`, { authorization: `Bearer ${memberToken}` })).statusCode).toBe(400);
    const wrongVerifier = keep(`${verifierSecret.slice(0, 12)}${'x'.repeat(verifierSecret.length - 12)}`);
    expect((await call('POST', '/api/v1/verify', { authorization: `Bearer ${wrongVerifier}` }, { token: memberToken })).statusCode).toBe(401);

    // A leak report revokes the member's token; the JWT revokes itself (RFC 7009).
    expect((await call('POST', '/api/v1/leaks', {}, [{ token: memberToken, type: 'keyward_api_key', url: 'https://github.com/acme/repo/blob/main/ci.yml' }, { token: unknown }])).statusCode).toBe(202);
    await t.ctx.leakReports.idle();
    expect(json(await call('POST', '/api/v1/verify', asVerifier, { token: memberToken })).code).toBe('REVOKED');
    expect((await call('POST', '/oauth/revoke', { 'content-type': 'application/x-www-form-urlencoded' }, `token=${encodeURIComponent(jwt)}`)).statusCode).toBe(200);
    await call('DELETE', '/api/v1/session', admin);

    // Every webhook the run queued, delivered to the receiver.
    const dispatcher = new WebhookDispatcher(t.ctx, { random: () => 0.5, timeoutMs: 3_000 });
    while ((await dispatcher.runOnce()) > 0) {
      // until the outbox is empty
    }
    const types = receiver.verified(webhookSecret).map((event) => event.type);
    expect(types).toEqual(expect.arrayContaining(['token.created', 'token.rotated', 'token.revoked', 'token.leaked']));

    await t.app.close(); // the last summaries of the request log
    const written: { where: string; text: string }[] = [
      ...t.logs.map((line) => ({ where: 'log', text: line })),
      ...(await t.ctx.db.selectFrom('audit_events').selectAll().execute()).map((row) => ({ where: `audit ${row.action}`, text: JSON.stringify(row) })),
      ...(await t.ctx.db.selectFrom('webhook_jobs').selectAll().execute()).map((row) => ({ where: `outbox ${row.type}`, text: JSON.stringify(row) })),
      ...(await t.ctx.db.selectFrom('webhook_deliveries').selectAll().execute()).map((row) => ({ where: `delivery ${row.type}`, text: JSON.stringify(row) })),
      ...receiver.received.map((request) => ({ where: 'webhook request', text: JSON.stringify(request) })),
    ];
    // The search had something to search: every kind of record is there.
    expect(written.filter((w) => w.where === 'log').length).toBeGreaterThan(20);
    expect(new Set(written.map((w) => w.where.split(' ')[0]))).toEqual(new Set(['log', 'audit', 'outbox', 'delivery', 'webhook']));
    for (const action of ['session.created', 'token.created', 'token.rotated', 'token.revoked', 'token.rejected', 'token.leaked', 'verifier.created', 'webhook.created']) {
      expect(written.some((w) => w.where === `audit ${action}`), action).toBe(true);
    }

    const hits: string[] = [];
    const tokenRegex = apiKeyPattern(t.ctx.config.tokenPrefix);
    for (const { where, text } of written) {
      for (const secret of secrets) {
        // The random part alone must not leak either (a log that strips the prefix, say).
        // Only a word prefix (kw_, kwv_, whsec_) is stripped: a base64url secret may hold a '_' anywhere.
        const random = /^[a-z]{2,8}_/.test(secret) ? secret.slice(secret.indexOf('_') + 1) : secret;
        if (text.includes(secret) || (random.length >= 16 && text.includes(random.slice(0, 24)))) hits.push(`${where}: ${secret.slice(0, 8)}…`);
      }
      for (const match of text.match(tokenRegex) ?? []) hits.push(`${where}: token-shaped ${match.slice(0, 8)}…`);
      // A JWT's signature part is the secret part of it.
      if (/eyJ[\w-]+\.eyJ[\w-]+\.[\w-]{20,}/.test(text)) hits.push(`${where}: a JWT`);
    }
    expect(hits).toEqual([]);
  });
});
