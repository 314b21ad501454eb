import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import type { Org, User } from '../../src/core/model.js';
import { addMember, makeOrg, makeToken, makeUser } from '../factories.js';
import { json, startTestApp, type TestApp } from '../harness.js';

/**
 * Client addresses behind proxies (issue 9, finding 5): `KEYWARD_TRUST_PROXY=true` is refused at
 * start-up, a spoofed X-Forwarded-For entry never becomes the client address, an entry that is
 * not an IP address is refused rather than used, and per-address limits count an IPv6 /64 once.
 */
let t: TestApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

async function fixture(env: Record<string, string>) {
  t = await startTestApp({ env });
  const org: Org = await makeOrg(t.ctx);
  const owner: User = await makeUser(t.ctx);
  await addMember(t.ctx, org, owner, 'member');
  return { t, org, owner };
}

describe('KEYWARD_TRUST_PROXY', () => {
  it.each(['true', 'TRUE', ' true '])('refuses %j at start-up with a ConfigError that says what to give', (value) => {
    expect(() => loadConfig({ KEYWARD_TRUST_PROXY: value })).toThrow(ConfigError);
    expect(() => loadConfig({ KEYWARD_TRUST_PROXY: value })).toThrow(/hop count.*addresses\/CIDRs/);
  });

  it('refuses true from the configuration file too', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'keyward-config-')), 'config.json');
    writeFileSync(file, JSON.stringify({ trustProxy: true }));
    expect(() => loadConfig({ KEYWARD_CONFIG: file })).toThrow(ConfigError);
  });

  it.each(['proxy.internal', '10.0.0.0/33', '1.2.3.4,nonsense', ',', '-1', '99'])('refuses %j', (value) => {
    expect(() => loadConfig({ KEYWARD_TRUST_PROXY: value })).toThrow(ConfigError);
  });

  it('takes false, a hop count, or the proxies’ addresses and CIDRs', () => {
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(loadConfig({ KEYWARD_TRUST_PROXY: 'false' }).trustProxy).toBe(false);
    expect(loadConfig({ KEYWARD_TRUST_PROXY: '0' }).trustProxy).toBe(false);
    expect(loadConfig({ KEYWARD_TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({ KEYWARD_TRUST_PROXY: '10.0.0.0/8, 127.0.0.1,::1' }).trustProxy).toEqual(['10.0.0.0/8', '127.0.0.1', '::1']);
  });
});

describe('a client behind one trusted proxy', () => {
  it('cannot pass an IP allowlist with a spoofed X-Forwarded-For entry: the proxy-appended address counts', async () => {
    const { org, owner } = await fixture({ KEYWARD_TRUST_PROXY: '1' });
    const token = await makeToken(t!.ctx, org, owner, { scopes: ['keyward:tokens:read'], ipAllowlist: ['198.51.100.0/24'] });
    // The client wrote the first entry; the proxy (at 127.0.0.1) appended the address it saw.
    const spoofed = await t!.app.inject({
      method: 'GET',
      url: '/api/v1/me',
      remoteAddress: '127.0.0.1',
      headers: { authorization: `Bearer ${token.secret}`, 'x-forwarded-for': '198.51.100.7, 203.0.113.9' },
    });
    expect(spoofed.statusCode).toBe(401);
    const real = await t!.app.inject({
      method: 'GET',
      url: '/api/v1/me',
      remoteAddress: '127.0.0.1',
      headers: { authorization: `Bearer ${token.secret}`, 'x-forwarded-for': '203.0.113.9, 198.51.100.7' },
    });
    expect(real.statusCode).toBe(200);
    expect(json(real).token.last_used_ip).toBe('198.51.100.7');
  });

  it.each(['not-an-ip', '198.51.100.7:4321', '[2001:db8::1]', '198.51.100.300', 'unknown'])(
    'refuses a forwarded client address %j with 400 instead of using it',
    async (forwarded) => {
      const { org, owner } = await fixture({ KEYWARD_TRUST_PROXY: '127.0.0.1' });
      const token = await makeToken(t!.ctx, org, owner, { scopes: ['keyward:tokens:read'] });
      const response = await t!.app.inject({
        method: 'GET',
        url: '/api/v1/me',
        remoteAddress: '127.0.0.1',
        headers: { authorization: `Bearer ${token.secret}`, 'x-forwarded-for': forwarded },
      });
      expect(response.statusCode).toBe(400);
      expect(json(response).code).toBe('validation_failed');
      // Never recorded as the token's address.
      const row = await t!.ctx.db.selectFrom('tokens').select('last_used_ip').where('id', '=', token.id).executeTakeFirstOrThrow();
      expect(row.last_used_ip).toBeNull();
    },
  );

  it('cannot buy fresh sign-in allowances with made-up X-Forwarded-For values', async () => {
    const { owner } = await fixture({ KEYWARD_TRUST_PROXY: '127.0.0.1' });
    for (let i = 0; i < 12; i++) {
      const response = await t!.app.inject({
        method: 'POST',
        url: '/api/v1/session',
        remoteAddress: '127.0.0.1',
        headers: { 'x-forwarded-for': `guess-${i}` },
        payload: { email: owner.email, password: `guess number ${i}` },
      });
      expect(response.statusCode).toBe(400);
    }
    expect(await t!.ctx.db.selectFrom('audit_events').select('id').where('action', '=', 'session.failed').execute()).toHaveLength(0);
  });
});

describe('forward auth', () => {
  it('refuses a gateway-forwarded client address that is not an IP address, and uses a valid one', async () => {
    const { org, owner } = await fixture({});
    const token = await makeToken(t!.ctx, org, owner, { scopes: ['devices:read'], ipAllowlist: ['198.51.100.0/24'] });
    const check = (forwarded: string) =>
      t!.app.inject({
        method: 'GET',
        url: '/auth/check',
        headers: { authorization: `Bearer ${token.secret}`, 'x-original-method': 'GET', 'x-original-uri': '/api/v1/devices', 'x-forwarded-for': forwarded },
      });
    const garbage = await check('198.51.100.7, not-an-ip');
    expect(garbage.statusCode).toBe(403);
    expect(json(garbage).detail).toMatch(/X-Forwarded-For/);
    expect((await check('203.0.113.9, 198.51.100.7')).statusCode).toBe(200);
  });
});

describe('per-address limits', () => {
  it('count an IPv6 client by its /64: the leak endpoint gives no fresh allowance per address', async () => {
    t = await startTestApp();
    const limit = t.ctx.limits.leakReportsByIp.limit;
    const report = (remoteAddress: string) => t!.app.inject({ method: 'POST', url: '/api/v1/leaks', payload: [{ token: 'x' }], remoteAddress });
    for (let i = 1; i <= limit; i++) expect((await report(`2001:db8:aa:bb::${i.toString(16)}`)).statusCode).toBe(202);
    expect((await report('2001:db8:aa:bb:1234:5678:9abc:def0')).statusCode).toBe(429);
    expect((await report('2001:db8:aa:bc::1')).statusCode).toBe(202);
  });
});
