import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, signInOverHttp, startBuiltServer } from '../server-process.js';

/** An empty config home, so no login stored on this machine reaches the tests. */
const NO_LOGIN = mkdtempSync(join(tmpdir(), 'keyward-no-login-'));

/** Runs the built `keyward` command as a user would, with its own environment and stdin. */
function keyward(args: string[], options: { env?: Record<string, string>; input?: string } = {}) {
  const run = spawnSync(process.execPath, [CLI, ...args], {
    env: { ...process.env, KEYWARD_LOG_LEVEL: 'warn', XDG_CONFIG_HOME: NO_LOGIN, ...options.env },
    input: options.input ?? '',
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

const SECRET = /^kw_[0-9A-Za-z]{38}$/;

describe('operator commands on a data directory', () => {
  let dataDir: string;
  let env: Record<string, string>;
  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'keyward-cli-'));
    env = { KEYWARD_DATA_DIR: dataDir };
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('prints help on stdout, usage for an incomplete command on stderr with exit 2, and its version', () => {
    const help = keyward(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: keyward/);
    for (const args of [[], ['token'], ['org']]) {
      const bare = keyward(args, { env });
      expect(bare.code, args.join(' ')).toBe(2);
      expect(bare.stdout).toBe('');
      expect(bare.stderr).toMatch(/Usage: keyward/);
    }
    const version = keyward(['--version']);
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    expect(keyward(['token', 'create', '--help']).stdout).toMatch(/30,\s+90,\s+180,\s+365/);
  });

  it('verify where there is no deployment says so and creates nothing', () => {
    const nowhere = join(dataDir, 'not-a-deployment');
    const result = keyward(['verify'], { env: { KEYWARD_DATA_DIR: nowhere }, input: 'kw_notatoken\n' });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/no Keyward deployment in .*not-a-deployment/);
    expect(existsSync(nowhere)).toBe(false);
  });

  it('exits 2 on usage errors', () => {
    expect(keyward(['no-such-command'], { env }).code).toBe(2);
    expect(keyward(['org', 'create', '--name', 'x'], { env }).code).toBe(2);
    expect(keyward(['init', '--email', 'root@example.com'], { env }).code).toBe(2); // no password given
  });

  it('init creates the first site admin once, with the password from stdin', () => {
    const first = keyward(['init', '--email', 'root@example.com', '--password-stdin', '--json'], { env, input: 'a long password\n' });
    expect(first.code, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ email: 'root@example.com', site_admin: true });
    const again = keyward(['init', '--email', 'other@example.com', '--password-stdin'], { env, input: 'a long password\n' });
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/has users already/);
    expect(again.stdout).toBe('');
  });

  it('creates users, orgs and memberships, printing messages on stderr only', () => {
    const user = keyward(['user', 'create', '--email', 'dev@example.com', '--name', 'Dev'], { env: { ...env, KEYWARD_PASSWORD: 'another password' } });
    expect(user.code, user.stderr).toBe(0);
    expect(user.stdout).toBe('');
    expect(user.stderr).toMatch(/Created the user dev@example.com/);

    const org = keyward(['org', 'create', '--name', 'Acme', '--slug', 'acme', '--plan', 'enterprise', '--owner-email', 'root@example.com', '--json'], { env });
    expect(org.code, org.stderr).toBe(0);
    const orgId = JSON.parse(org.stdout).id as string;
    expect(orgId).toMatch(/^org_/);

    const member = keyward(['member', 'add', '--org', orgId, '--email', 'dev@example.com', '--role', 'admin'], { env });
    expect(member.code, member.stderr).toBe(0);
    const duplicate = keyward(['member', 'add', '--org', orgId, '--email', 'dev@example.com'], { env });
    expect(duplicate.code).toBe(1);
    expect(duplicate.stderr).toMatch(/conflict/);
  });

  it('verifier create prints the secret alone on stdout', () => {
    const created = keyward(['verifier', 'create', '--name', 'device-lab'], { env });
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout.trim().split('\n')).toHaveLength(1);
    expect(created.stdout.trim().length).toBeGreaterThan(30);
    expect(created.stderr).not.toContain(created.stdout.trim());
  });

  it('verify rejects a malformed token with exit 1', () => {
    const result = keyward(['verify', '--json'], { env, input: 'kw_notatoken\n' });
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout)).toMatchObject({ valid: false, code: 'MALFORMED' });
  });
});

describe('token commands against a running server', () => {
  let server: Awaited<ReturnType<typeof startBuiltServer>>;
  let orgId: string;
  let managementToken: string;

  beforeAll(async () => {
    server = await startBuiltServer({ KEYWARD_ADMIN_EMAIL: 'admin@example.com', KEYWARD_ADMIN_PASSWORD: 'admin password' });
    const { headers } = await signInOverHttp(server.url, { email: 'admin@example.com', password: 'admin password' });
    const org = await fetch(`${server.url}/api/v1/orgs`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ name: 'Acme', slug: 'acme', plan: 'enterprise', owner_email: 'admin@example.com' }),
    });
    orgId = ((await org.json()) as { id: string }).id;
    const token = await fetch(`${server.url}/api/v1/orgs/${orgId}/tokens`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        name: 'cli',
        // A token can only grant what it holds itself: its scopes, and no longer a life than its own.
        scopes: ['keyward:tokens:read', 'keyward:tokens:write', 'devices:read', 'metrics:read'],
        expires_in_days: 90,
      }),
    });
    managementToken = ((await token.json()) as { secret: string }).secret;
  });
  afterAll(() => server?.stop());

  const as = () => ({ env: { KEYWARD_URL: server.url, KEYWARD_TOKEN: managementToken, KEYWARD_DATA_DIR: server.dataDir } });

  it('keeps a login in a 0600 file, uses it only for its own server, and forgets it on logout', () => {
    const config = mkdtempSync(join(tmpdir(), 'keyward-login-'));
    const env = { XDG_CONFIG_HOME: config, KEYWARD_TOKEN: '', KEYWARD_URL: '' };
    try {
      const bad = keyward(['login', '--url', server.url], { env, input: 'kw_not_a_token_at_all\n' });
      expect(bad.code).toBe(1);
      expect(existsSync(join(config, 'keyward', 'login.json'))).toBe(false);

      const login = keyward(['login', '--url', `${server.url}/`], { env, input: `${managementToken}\n` });
      expect(login.code, login.stderr).toBe(0);
      expect(login.stdout).toBe('');
      expect(login.stderr).toContain('admin@example.com');
      const file = join(config, 'keyward', 'login.json');
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ url: server.url, token: managementToken });

      const listed = keyward(['token', 'list', '--org', orgId], { env });
      expect(listed.code, listed.stderr).toBe(0);
      expect(listed.stdout).toContain('cli');
      // Never the stored token to another server.
      const elsewhere = keyward(['token', 'list', '--org', orgId, '--url', 'http://127.0.0.1:9'], { env });
      expect(elsewhere.code).toBe(2);
      expect(elsewhere.stderr).toContain(`the stored login is for ${server.url}`);

      expect(keyward(['logout'], { env }).code).toBe(0);
      expect(existsSync(file)).toBe(false);
      expect(keyward(['token', 'list', '--org', orgId], { env }).code).toBe(2);
    } finally {
      rmSync(config, { recursive: true, force: true });
    }
  });

  it('needs KEYWARD_TOKEN (usage error 2)', () => {
    const result = keyward(['token', 'list', '--org', orgId], { env: { KEYWARD_URL: server.url, KEYWARD_TOKEN: '' } });
    expect(result.code).toBe(2);
  });

  it('creates a token: stdout is the secret and nothing else; list, rotate, revoke, verify', () => {
    const created = keyward(
      ['token', 'create', '--org', orgId, '--name', 'deploy', '--scope', 'devices:read', '--scope', 'metrics:read', '--expires-in', '30'],
      as(),
    );
    expect(created.code, created.stderr).toBe(0);
    const secret = created.stdout.trim();
    expect(secret).toMatch(SECRET);
    expect(created.stdout).toBe(`${secret}\n`);
    expect(created.stderr).toMatch(/only time the secret is shown/);

    const list = keyward(['token', 'list', '--org', orgId, '--json'], as());
    expect(list.code, list.stderr).toBe(0);
    const tokens = JSON.parse(list.stdout) as { id: string; name: string; hint: string }[];
    const deploy = tokens.find((t) => t.name === 'deploy')!;
    expect(deploy).toBeDefined();
    expect(list.stdout).not.toContain(secret);

    const valid = keyward(['verify', '--scope', 'devices:read', '--json'], { ...as(), input: `${secret}\n` });
    expect(valid.code, valid.stderr).toBe(0);
    expect(JSON.parse(valid.stdout)).toMatchObject({ valid: true, code: 'VALID', token: { id: deploy.id } });
    // An operator's check is not a use of the token.
    const listedAfterVerify = JSON.parse(keyward(['token', 'list', '--org', orgId, '--json'], as()).stdout) as { id: string; last_used_at: string | null }[];
    expect(listedAfterVerify.find((t) => t.id === deploy.id)!.last_used_at).toBeNull();
    const missing = keyward(['verify', '--scope', 'billing:read', '--json'], { ...as(), input: `${secret}\n` });
    expect(missing.code).toBe(1);
    expect(JSON.parse(missing.stdout)).toMatchObject({ code: 'INSUFFICIENT_SCOPE', missing_scopes: ['billing:read'] });

    const rotated = keyward(['token', 'rotate', '--org', orgId, deploy.id, '--grace', '0'], as());
    expect(rotated.code, rotated.stderr).toBe(0);
    const successor = rotated.stdout.trim();
    expect(successor).toMatch(SECRET);
    expect(successor).not.toBe(secret);
    expect(JSON.parse(keyward(['verify', '--json'], { ...as(), input: `${secret}\n` }).stdout).code).toBe('REVOKED');

    const newId = (JSON.parse(keyward(['token', 'list', '--org', orgId, '--json'], as()).stdout) as { id: string; name: string; status: string }[]).find(
      (t) => t.name === 'deploy' && t.status === 'active',
    )!.id;
    const revoked = keyward(['token', 'revoke', '--org', orgId, newId], as());
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.stdout).toBe('');
    const after = keyward(['verify', '--json'], { ...as(), input: `${successor}\n` });
    expect(after.code).toBe(1);
    expect(JSON.parse(after.stdout).code).toBe('REVOKED');
  });

  it('lists tokens as a table on stdout', () => {
    const list = keyward(['token', 'list', '--org', orgId], as());
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(/^ID +NAME +HINT +STATUS/);
  });

  it('takes a calendar date as the end of that day, UTC', () => {
    const created = keyward(['token', 'create', '--org', orgId, '--name', 'dated', '--scope', 'devices:read', '--expires-at', '2026-12-31', '--json'], as());
    expect(created.code, created.stderr).toBe(0);
    expect(JSON.parse(created.stdout).token.expires_at).toBe('2026-12-31T23:59:59.000Z');
    expect(keyward(['token', 'create', '--org', orgId, '--name', 'x', '--scope', 'devices:read', '--expires-at', '2026-02-30'], as()).code).toBe(2);
  });

  it('creates a token with rate limits and credits, and refuses malformed ones as usage errors', () => {
    const created = keyward(
      ['token', 'create', '--org', orgId, '--name', 'metered', '--scope', 'devices:read', '--expires-in', '30', '--rate-limit', 'burst=20/1s', '--rate-limit', 'daily=50000/1d', '--credits', '1000', '--refill', '1000/month', '--json'],
      as(),
    );
    expect(created.code, created.stderr).toBe(0);
    expect(JSON.parse(created.stdout).token).toMatchObject({
      rate_limits: [{ name: 'burst', limit: 20, window_seconds: 1 }, { name: 'daily', limit: 50_000, window_seconds: 86_400 }],
      usage_limit: { remaining: 1000, refill: { amount: 1000, interval: 'month' } },
    });
    const base = ['token', 'create', '--org', orgId, '--name', 'x', '--scope', 'devices:read', '--expires-in', '30'];
    for (const bad of [['--rate-limit', 'burst=20'], ['--rate-limit', '20/1s'], ['--refill', '10/day'], ['--credits', '5', '--refill', '10/week']]) {
      expect(keyward([...base, ...bad], as()).code, bad.join(' ')).toBe(2);
    }
    // The server's own bounds: a window over a day is a 400, exit 1.
    const tooLong = keyward([...base, '--rate-limit', 'slow=1/2d'], as());
    expect(tooLong.code).toBe(1);
    expect(tooLong.stderr).toContain('window_seconds');
  });

  it('shows a rotated-away token ending with its grace period, as the HTTP verify does', () => {
    const created = keyward(['token', 'create', '--org', orgId, '--name', 'graceful', '--scope', 'devices:read', '--expires-in', '30'], as());
    const secret = created.stdout.trim();
    const id = (JSON.parse(keyward(['token', 'list', '--org', orgId, '--json'], as()).stdout) as { id: string; name: string }[]).find((t) => t.name === 'graceful')!.id;
    expect(keyward(['token', 'rotate', '--org', orgId, id, '--grace', '3600'], as()).code).toBe(0);
    const listed = (JSON.parse(keyward(['token', 'list', '--org', orgId, '--json'], as()).stdout) as { id: string; expires_at: string }[]).find((t) => t.id === id)!;
    const verified = JSON.parse(keyward(['verify', '--json'], { ...as(), input: `${secret}\n` }).stdout);
    expect(verified).toMatchObject({ valid: true, code: 'VALID', token: { id, expires_at: listed.expires_at } });
    expect(Date.parse(listed.expires_at) - Date.now()).toBeLessThanOrEqual(3600_000);
  });

  it('words refusals of the request as sentences naming the field', () => {
    const result = keyward(['token', 'create', '--org', orgId, '--name', 'n'.repeat(101), '--scope', 'devices:read', '--expires-in', '30'], as());
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/400 validation_failed: name must be at most 100 characters long\./);
  });

  it('reports API refusals with exit 1 and the problem code', () => {
    const result = keyward(['token', 'create', '--org', orgId, '--name', 'x', '--scope', 'no:such', '--expires-in', '30'], as());
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/422 scope_not_allowed/);
    expect(result.stdout).toBe('');
  });
});
