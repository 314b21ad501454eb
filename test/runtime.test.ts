import { generateKeyPairSync } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { closeContext, createContext } from '../src/runtime.js';
import { bootstrap } from '../src/services/bootstrap.js';
import { rotateSigningKey } from '../src/services/signing-keys.js';
import { newSigningKey } from '../src/store/key-files.js';
import type { ServiceContext } from '../src/services/context.js';
import { FakeClock } from './harness.js';

const dirs: string[] = [];
const contexts: ServiceContext[] = [];
function freshDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'keyward-runtime-'));
  dirs.push(dir);
  return dir;
}
async function open(env: Record<string, string>): Promise<ServiceContext> {
  const ctx = await createContext(loadConfig({ KEYWARD_PUBLIC_URL: 'http://keyward.test', ...env }), { clock: new FakeClock() });
  contexts.push(ctx);
  return ctx;
}
afterEach(async () => {
  for (const ctx of contexts.splice(0)) await closeContext(ctx);
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('configuration', () => {
  it('never ignores KEYWARD_DATABASE_URL: a bad one is an error at start', () => {
    for (const url of ['not a url', 'mysql://db/keyward', 'postgres://', 'sqlite:///tmp/x.db']) {
      expect(() => loadConfig({ KEYWARD_DATABASE_URL: url, KEYWARD_PEPPER: 'a'.repeat(64) }), url).toThrow(/KEYWARD_DATABASE_URL/);
    }
  });

  it('requires KEYWARD_PEPPER in cluster mode', () => {
    expect(() => loadConfig({ KEYWARD_DATABASE_URL: 'postgres://127.0.0.1:5432/test' })).toThrow(/KEYWARD_PEPPER is required/);
    expect(() => loadConfig({ KEYWARD_DATABASE_URL: 'postgres://127.0.0.1:5432/test', KEYWARD_PEPPER: 'a'.repeat(64) })).toThrow(/KEYWARD_PUBLIC_URL is required/);
  });

  it('says which database it could not use', async () => {
    await expect(open({ KEYWARD_DATA_DIR: freshDir(), KEYWARD_DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none', KEYWARD_PEPPER: 'a'.repeat(64) })).rejects.toThrow(
      /cannot use the PostgreSQL database of KEYWARD_DATABASE_URL/,
    );
  });
});

describe('file modes', () => {
  it('keeps the database and its WAL files 0600 and the data directory 0700, even when it existed', async () => {
    const dir = freshDir();
    chmodSync(dir, 0o755);
    writeFileSync(join(dir, 'keyward.db-wal'), '');
    chmodSync(join(dir, 'keyward.db-wal'), 0o644);
    const ctx = await open({ KEYWARD_DATA_DIR: dir });
    // A write brings the WAL and shared-memory files into being with the database's mode.
    await bootstrap(ctx);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    for (const file of ['keyward.db', 'keyward.db-wal', 'keyward.db-shm']) {
      expect(existsSync(join(dir, file)), file).toBe(true);
      expect(statSync(join(dir, file)).mode & 0o777, file).toBe(0o600);
    }
  });
});

describe('first start', () => {
  it('generates the pepper into the data directory (0600) and the JWT signing key into the database, sealed, once', async () => {
    const dir = freshDir();
    const first = await open({ KEYWARD_DATA_DIR: dir });
    expect(statSync(join(dir, 'pepper')).mode & 0o777).toBe(0o600);
    expect(existsSync(join(dir, 'signing-keys.json'))).toBe(false);
    const [stored] = await first.db.selectFrom('signing_keys').selectAll().execute();
    // The private half is sealed: its key material is not in the row.
    const privateJwk = first.jwtKeys.jwks().keys[0]!;
    expect(stored!.sealed_private_jwk).toMatch(/^v1\./);
    expect(stored!.sealed_private_jwk).not.toContain(String(privateJwk.x));
    const pepper = readFileSync(join(dir, 'pepper'), 'utf8');
    const kid = first.jwtKeys.jwks().keys[0]!.kid;
    await closeContext(contexts.pop()!);
    const second = await open({ KEYWARD_DATA_DIR: dir });
    expect(readFileSync(join(dir, 'pepper'), 'utf8')).toBe(pepper);
    expect(second.pepper.equals(first.pepper)).toBe(true);
    expect(second.jwtKeys.jwks().keys[0]!.kid).toBe(kid);
  });

  it('takes the pepper and the signing key from the environment and then writes neither', async () => {
    const dir = freshDir();
    const pem = generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const ctx = await open({ KEYWARD_DATA_DIR: dir, KEYWARD_PEPPER: 'b'.repeat(64), KEYWARD_SIGNING_KEY: pem.replace(/\n/g, '\\n') });
    expect(existsSync(join(dir, 'pepper'))).toBe(false);
    expect(existsSync(join(dir, 'signing-keys.json'))).toBe(false);
    expect(ctx.pepper.equals(Buffer.from('b'.repeat(64), 'hex'))).toBe(true);
    expect(ctx.jwtKeys.jwks().keys[0]!.kid).toMatch(/^key_/);
  });

  it('moves the keys of an older data directory into the database, so their JWTs keep verifying', async () => {
    const dir = freshDir();
    const legacy = newSigningKey('key_legacy00000000000000000', Date.parse('2025-01-01T00:00:00Z'));
    writeFileSync(join(dir, 'signing-keys.json'), JSON.stringify([legacy]));
    const ctx = await open({ KEYWARD_DATA_DIR: dir });
    expect(ctx.jwtKeys.jwks().keys.map((k) => k.kid)).toEqual(['key_legacy00000000000000000']);
  });

  it('refuses to start with a pepper other than the one that sealed the keys', async () => {
    const dir = freshDir();
    await open({ KEYWARD_DATA_DIR: dir, KEYWARD_PEPPER: 'c'.repeat(64) });
    await closeContext(contexts.pop()!);
    await expect(open({ KEYWARD_DATA_DIR: dir, KEYWARD_PEPPER: 'd'.repeat(64) })).rejects.toThrow(/not the pepper they were sealed with/);
  });

  it('rotates the signing key: the new one signs, the old one still verifies', async () => {
    const ctx = await open({ KEYWARD_DATA_DIR: freshDir() });
    const before = ctx.jwtKeys.current;
    const kid = await rotateSigningKey(ctx);
    expect(ctx.jwtKeys.current).toBe(kid);
    expect(ctx.jwtKeys.jwks().keys.map((k) => k.kid)).toEqual([before, kid]);
  });

  it('refuses a pepper that is too short', async () => {
    await expect(open({ KEYWARD_DATA_DIR: freshDir(), KEYWARD_PEPPER: 'short' })).rejects.toThrow(/at least 32 bytes/);
  });
});

describe('bootstrap', () => {
  it('creates the site admin from KEYWARD_ADMIN_EMAIL/PASSWORD on an empty database, and only then', async () => {
    const ctx = await open({ KEYWARD_DATA_DIR: freshDir(), KEYWARD_ADMIN_EMAIL: 'Root@Example.com', KEYWARD_ADMIN_PASSWORD: 'a long password' });
    const outcome = await bootstrap(ctx);
    expect(outcome.kind).toBe('admin_created');
    const users = await ctx.db.selectFrom('users').selectAll().execute();
    expect(users).toHaveLength(1);
    expect(users[0]).toMatchObject({ email: 'root@example.com', site_admin: 1, status: 'active' });
    expect(users[0]!.password_hash).not.toContain('a long password');
    expect((await bootstrap(ctx)).kind).toBe('ready');
  });

  it('without them, mints a one-time setup link and keeps only its digest', async () => {
    const ctx = await open({ KEYWARD_DATA_DIR: freshDir() });
    const outcome = await bootstrap(ctx);
    if (outcome.kind !== 'setup_link') throw new Error(`expected a setup link, got ${outcome.kind}`);
    const token = new URL(outcome.url).searchParams.get('token')!;
    expect(outcome.url.startsWith('http://keyward.test/setup?token=')).toBe(true);
    const settings = await ctx.db.selectFrom('settings').selectAll().execute();
    expect(JSON.stringify(settings)).not.toContain(token);
    expect(settings).toHaveLength(1);
  });
});
