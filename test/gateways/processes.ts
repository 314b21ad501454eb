import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../server-process.js';

/** Debian's gateways (`apt-get install -y nginx-light caddy`), run as the test's own processes. */
export const NGINX = '/usr/sbin/nginx';
export const CADDY = '/usr/bin/caddy';

/**
 * Whether a gateway binary is here. Under CI a missing one fails the run; elsewhere its suite is
 * skipped with a message saying how to enable it.
 */
export function gatewayAvailable(name: string, path: string, install: string): boolean {
  if (existsSync(path)) return true;
  const message = `${name} is missing at ${path} (apt-get install -y ${install})`;
  if (process.env.CI === 'true') throw new Error(`Gateway tests cannot run: ${message}.`);
  console.warn(`\n*** SKIPPING the ${name} gateway tests: ${message}. ***\n`);
  return false;
}

/** The API behind the gateway: answers every request with what reached it. */
export async function startUpstream(): Promise<{ port: number; close(): Promise<void> }> {
  const server: Server = createServer((request, response) => {
    response.setHeader('content-type', 'application/json');
    const keyward = Object.fromEntries(Object.entries(request.headers).filter(([name]) => name.startsWith('x-keyward-')));
    response.end(JSON.stringify({ method: request.method, url: request.url, keyward }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { port, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

export type Gateway = { url: string; stop(): Promise<void> };

/** One of the shipped example configurations, with its three addresses pointed at the test's. */
function example(path: string, ports: { gateway: number; keyward: number; upstream: number }): string {
  return readFileSync(new URL(`../../examples/${path}`, import.meta.url), 'utf8')
    .replaceAll('127.0.0.1:8000', `127.0.0.1:${ports.gateway}`)
    .replaceAll('127.0.0.1:8080', `127.0.0.1:${ports.keyward}`)
    .replaceAll('127.0.0.1:3000', `127.0.0.1:${ports.upstream}`);
}

async function run(command: string, args: string[], env: Record<string, string>, url: string, dir: string): Promise<Gateway> {
  let output = '';
  const child: ChildProcess = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${command} exited early:\n${output}`);
    try {
      await fetch(`${url}/healthz-of-the-gateway`);
      return { url, stop };
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${command} did not start:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** nginx, in the foreground as one process, with examples/nginx/keyward.conf and its files in a temp directory. */
export async function startNginx(keywardPort: number, upstreamPort: number): Promise<Gateway> {
  const dir = mkdtempSync(join(tmpdir(), 'keyward-nginx-'));
  const gateway = await freePort();
  writeFileSync(join(dir, 'keyward.conf'), example('nginx/keyward.conf', { gateway, keyward: keywardPort, upstream: upstreamPort }));
  for (const sub of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(dir, sub));
  writeFileSync(
    join(dir, 'nginx.conf'),
    [
      'daemon off;',
      'master_process off;',
      `pid ${dir}/nginx.pid;`,
      `error_log ${dir}/error.log warn;`,
      'events { worker_connections 64; }',
      'http {',
      '  access_log off;',
      ...['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((sub) => `  ${sub === 'body' ? 'client_body' : sub}_temp_path ${dir}/${sub};`),
      `  include ${dir}/keyward.conf;`,
      '}',
    ].join('\n'),
  );
  return run(NGINX, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')], {}, `http://127.0.0.1:${gateway}`, dir);
}

/** Caddy with examples/caddy/Caddyfile, its state in a temp directory. */
export async function startCaddy(keywardPort: number, upstreamPort: number): Promise<Gateway> {
  const dir = mkdtempSync(join(tmpdir(), 'keyward-caddy-'));
  const gateway = await freePort();
  const file = join(dir, 'Caddyfile');
  writeFileSync(file, example('caddy/Caddyfile', { gateway, keyward: keywardPort, upstream: upstreamPort }));
  const env = { HOME: dir, XDG_CONFIG_HOME: join(dir, 'config'), XDG_DATA_HOME: join(dir, 'data') };
  return run(CADDY, ['run', '--config', file, '--adapter', 'caddyfile'], env, `http://127.0.0.1:${gateway}`, dir);
}
