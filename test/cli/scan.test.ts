import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BASE62 } from '../../src/core/base62.js';
import { generateApiKey, secretHint } from '../../src/core/token-format.js';
import { CLI, signInOverHttp, startBuiltServer } from '../server-process.js';

/** No git configuration of this machine reaches the tests, and commits need no identity set up. */
const GIT_ENV = {
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_AUTHOR_NAME: 'Test',
  GIT_AUTHOR_EMAIL: 'test@example.test',
  GIT_COMMITTER_NAME: 'Test',
  GIT_COMMITTER_EMAIL: 'test@example.test',
};

/** Runs the built `keyward` command as a user would. */
function keyward(args: string[], env: Record<string, string> = {}) {
  const run = spawnSync(process.execPath, [CLI, ...args], {
    env: { ...process.env, KEYWARD_LOG_LEVEL: 'warn', KEYWARD_TOKEN_PREFIX: '', KEYWARD_CONFIG: '', ...GIT_ENV, ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

function git(dir: string, ...args: string[]): string {
  const run = spawnSync('git', ['-C', dir, ...args], { env: { ...process.env, ...GIT_ENV }, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`git ${args.join(' ')}: ${run.stderr}`);
  return run.stdout.trim();
}

/** A key of the right shape whose checksum is wrong. */
function lookalike(prefix = 'kw'): string {
  const token = generateApiKey(prefix);
  return token.slice(0, -1) + BASE62[(BASE62.indexOf(token.at(-1)!) + 1) % 62];
}

const temporary: string[] = [];
function tempDir(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `keyward-scan-${name}-`));
  temporary.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of temporary) rmSync(dir, { recursive: true, force: true });
});

describe('keyward scan against a repository that once held a real token', () => {
  let server: Awaited<ReturnType<typeof startBuiltServer>>;
  let headers: Record<string, string>;
  let orgId: string;
  let token: { id: string; secret: string };
  let repo: string;
  let leakCommit: string;

  beforeAll(async () => {
    server = await startBuiltServer({ KEYWARD_ADMIN_EMAIL: 'admin@example.com', KEYWARD_ADMIN_PASSWORD: 'admin password' });
    headers = (await signInOverHttp(server.url, { email: 'admin@example.com', password: 'admin password' })).headers;
    const org = await fetch(`${server.url}/api/v1/orgs`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ name: 'Acme', slug: 'acme', plan: 'enterprise', owner_email: 'admin@example.com' }),
    });
    orgId = ((await org.json()) as { id: string }).id;
    const created = await fetch(`${server.url}/api/v1/orgs/${orgId}/tokens`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ name: 'deploy', scopes: ['devices:read'], expires_in_days: 30 }),
    });
    const body = (await created.json()) as { token: { id: string }; secret: string };
    token = { id: body.token.id, secret: body.secret };

    repo = tempDir('repo');
    git(repo, 'init', '-q');
    mkdirSync(join(repo, 'config'));
    writeFileSync(join(repo, 'config', 'deploy.env'), `# deploy settings\nKEYWARD_TOKEN=${token.secret}\n`);
    writeFileSync(join(repo, 'README.md'), `An example key that is not one: ${lookalike()}\n`);
    git(repo, 'add', '.');
    git(repo, 'commit', '-q', '-m', 'add deploy settings');
    leakCommit = git(repo, 'rev-parse', 'HEAD');
    git(repo, 'rm', '-q', 'config/deploy.env');
    git(repo, 'commit', '-q', '-m', 'remove the token');
  });
  afterAll(() => server?.stop());

  const tokenStatus = async () => {
    const response = await fetch(`${server.url}/api/v1/orgs/${orgId}/tokens/${token.id}`, { headers });
    return ((await response.json()) as { status: string }).status;
  };

  it('finds nothing in the working tree once the file is deleted, and not the lookalike', () => {
    const result = keyward(['scan', repo]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/No Keyward tokens found in 1 file\./);
  });

  it('--git finds it in the history as <commit>:<file>:<line> with its hint, never the token', () => {
    const result = keyward(['scan', '--git', repo]);
    expect(result.code, result.stderr).toBe(1);
    expect(result.stdout).toBe(`${leakCommit}:config/deploy.env:2: ${secretHint(token.secret)}\n`);
    expect(result.stdout + result.stderr).not.toContain(token.secret);
    expect(result.stdout + result.stderr).not.toContain(token.secret.slice(3, 20));
    expect(result.stderr).toMatch(/Found 1 Keyward token in 1 file and the git history\./);
  });

  it('--show-secrets prints the whole token', () => {
    const result = keyward(['scan', '--git', '--show-secrets', repo]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe(`${leakCommit}:config/deploy.env:2: ${token.secret}\n`);
  });

  it('--report sends the findings to the server, which revokes the token and audits where it was found', async () => {
    expect(await tokenStatus()).toBe('active');
    const result = keyward(['scan', '--git', '--report', `${server.url}/`, repo]);
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).toContain(`Reported 1 finding to ${server.url}; it received 1.`);
    expect(result.stdout + result.stderr).not.toContain(token.secret);

    // The server revokes after its answer; give it a moment.
    const deadline = Date.now() + 10_000;
    while ((await tokenStatus()) !== 'revoked' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(await tokenStatus()).toBe('revoked');
    const verify = spawnSync(process.execPath, [CLI, 'verify', '--json'], {
      env: { ...process.env, KEYWARD_LOG_LEVEL: 'warn', KEYWARD_DATA_DIR: server.dataDir },
      input: `${token.secret}\n`,
      encoding: 'utf8',
    });
    expect(JSON.parse(verify.stdout)).toMatchObject({ valid: false, code: 'REVOKED' });

    const audit = await fetch(`${server.url}/api/v1/orgs/${orgId}/audit-events?action=token.leaked`, { headers });
    const events = ((await audit.json()) as { data: { target: { id: string }; details: Record<string, unknown> }[] }).data;
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      target: { id: token.id },
      details: { source: 'keyward-scan', type: 'keyward_api_key', url: `${leakCommit}:config/deploy.env:2` },
    });
    expect(JSON.stringify(events)).not.toContain(token.secret);
  });

  it('says so and exits 1 when the server cannot be reached', () => {
    const result = keyward(['scan', '--git', '--report', 'http://127.0.0.1:9', repo]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/Cannot reach Keyward at http:\/\/127\.0\.0\.1:9/);
  });
});

describe('keyward scan on files and directories', () => {
  it('reports valid keys only, and skips lookalikes, .git, node_modules, binary and oversized files', () => {
    const dir = tempDir('tree');
    const real = generateApiKey('kw');
    mkdirSync(join(dir, 'src', 'nested'), { recursive: true });
    writeFileSync(join(dir, 'src', 'nested', 'settings.json'), `{\n  "a": 1,\n  "token": "${real}"\n}\n`);
    writeFileSync(join(dir, 'lookalike.txt'), `token: ${lookalike()}\n`);
    for (const skipped of [join(dir, 'node_modules', 'pkg'), join(dir, '.git')]) {
      mkdirSync(skipped, { recursive: true });
      writeFileSync(join(skipped, 'index.js'), `export const key = '${generateApiKey('kw')}';\n`);
    }
    writeFileSync(join(dir, 'image.png'), Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0]), Buffer.from(generateApiKey('kw'))]));
    writeFileSync(join(dir, 'dump.sql'), `${generateApiKey('kw')}\n${'x'.repeat(6 * 1024 * 1024)}\n`);

    const result = keyward(['scan', dir]);
    expect(result.code, result.stderr).toBe(1);
    expect(result.stdout).toBe(`${join(dir, 'src', 'nested', 'settings.json')}:3: ${secretHint(real)}\n`);
    expect(result.stderr).toMatch(/Found 1 Keyward token in 2 files \(skipped 1 file over 5 MiB, 1 binary file\)\./);

    // A single file is scanned as given; a clean one exits 0.
    const clean = keyward(['scan', join(dir, 'lookalike.txt')]);
    expect(clean.code).toBe(0);
    expect(clean.stdout).toBe('');
  });

  it('looks for the configured prefix', () => {
    const dir = tempDir('prefix');
    const arrow = generateApiKey('arrow');
    writeFileSync(join(dir, 'env'), `A=${arrow}\nB=${generateApiKey('kw')}\n`);
    const configured = keyward(['scan', dir], { KEYWARD_TOKEN_PREFIX: 'arrow' });
    expect(configured.code).toBe(1);
    expect(configured.stdout).toBe(`${join(dir, 'env')}:1: ${secretHint(arrow)}\n`);
    expect(keyward(['scan', '--prefix', 'arrow', '--show-secrets', dir]).stdout).toBe(`${join(dir, 'env')}:1: ${arrow}\n`);
  });

  it('exits 2 on usage errors, before printing any finding', () => {
    const dir = tempDir('usage');
    writeFileSync(join(dir, 'env'), `${generateApiKey('kw')}\n`);
    for (const args of [['scan'], ['scan', join(dir, 'missing')], ['scan', '--git', dir], ['scan', '--report', 'not a url', dir], ['scan', '--prefix', 'Not-A-Prefix', dir]]) {
      const result = keyward(args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stdout, args.join(' ')).toBe('');
    }
  });
});
