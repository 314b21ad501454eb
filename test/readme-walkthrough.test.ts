import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBuiltServer } from './server-process.js';

/**
 * Runs the README's curl walk-through, as written, against a server started the way `npm start`
 * starts it, and checks what a newcomer would see. Also reads the server's whole log for secrets.
 */
const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const walkthrough = /## A first walk-through with curl[\s\S]*?```sh\n([\s\S]*?)```/.exec(readme)?.[1];

describe('README walk-through', () => {
  let server: Awaited<ReturnType<typeof startBuiltServer>>;
  let workDir: string;

  beforeAll(async () => {
    server = await startBuiltServer({ KEYWARD_ADMIN_EMAIL: 'admin@example.com', KEYWARD_ADMIN_PASSWORD: 'change me now' });
    workDir = mkdtempSync(join(tmpdir(), 'keyward-readme-'));
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(workDir, { recursive: true, force: true });
  });

  it('is in the README', () => {
    expect(walkthrough).toBeDefined();
    expect(walkthrough).toContain('K=http://127.0.0.1:8080');
  });

  it('signs in, creates an org and a token, uses it, revokes it and then gets 401', () => {
    const script = `set -euo pipefail\n${walkthrough!.replace('K=http://127.0.0.1:8080', `K=${server.url}`)}\necho "SECRET=$SECRET"\n`;
    const run = spawnSync('bash', ['-c', script], { cwd: workDir, encoding: 'utf8', timeout: 60_000 });
    expect(run.status, run.stderr).toBe(0);
    const lines = run.stdout.trim().split('\n');
    const secret = lines.pop()!.replace('SECRET=', '');
    expect(secret).toMatch(/^kw_[0-9A-Za-z]{38}$/);
    expect(lines.at(-1)).toMatch(/^HTTP\/1\.1 401/);
    // The /me call printed the token's own description, with no secret in it.
    const me = lines.find((l) => l.includes('"token":{"id":"tok_'));
    expect(me).toBeDefined();
    expect(me).not.toContain(secret);
    // Nothing the walk-through handled secretly reached the server's log.
    const log = server.output();
    expect(log.length).toBeGreaterThan(0);
    expect(log).not.toContain(secret);
    expect(log).not.toContain('change me now');
    expect(log).not.toContain(readFileSync(join(workDir, 'jar.txt'), 'utf8').match(/kw_session\s+(\S+)/)?.[1] ?? '§');
  });
});
