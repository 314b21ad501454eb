import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const CLI = new URL('../dist/cli/main.js', import.meta.url).pathname;

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/**
 * Starts the built server (`node dist/cli/main.js serve`, what `npm start` runs) on a free port
 * with a fresh data directory (or `options.dataDir`, which the caller then owns: a restart after a
 * crash), and waits until it answers /readyz.
 */
export async function startBuiltServer(env: Record<string, string> = {}, options: { dataDir?: string } = {}) {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'keyward-server-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let output = '';
  const child = spawn(process.execPath, [CLI, 'serve'], {
    env: { ...process.env, KEYWARD_DATA_DIR: dataDir, KEYWARD_PORT: String(port), KEYWARD_HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the server exited early:\n${output}`);
    try {
      if ((await fetch(`${url}/readyz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`the server did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    dataDir,
    pid: child.pid!,
    output: () => output,
    /** Resolves with the exit code once the process ends (after a signal the test sent, say). */
    exited,
    async stop() {
      // A process killed by a signal has no exit code, only its signal.
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A signed-in session over HTTP: the headers its writes send, and the user it is. */
export type HttpSession = { headers: { cookie: string; 'x-csrf-token': string; 'content-type': string }; userId: string };

/** Signs in as a browser would, whichever cookie names the server uses (`__Host-` behind https). */
export async function signInOverHttp(url: string, credentials: { email: string; password: string }): Promise<HttpSession> {
  const response = await fetch(`${url}/api/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(credentials) });
  if (response.status !== 200) throw new Error(`signing in answered ${response.status}: ${await response.text()}`);
  const cookies = response.headers.getSetCookie().map((c) => c.split(';')[0]!);
  const csrf = cookies.find((c) => /^(__Host-)?kw_csrf=/.test(c))?.split('=')[1];
  if (!csrf) throw new Error('signing in set no CSRF cookie');
  return { headers: { cookie: cookies.join('; '), 'x-csrf-token': csrf, 'content-type': 'application/json' }, userId: ((await response.json()) as { id: string }).id };
}
