import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { Socket } from 'node:net';
import { freePort } from './server-process.js';

/**
 * Redis for the shared-counter suites: a redis-server of the test's own on a free loopback port (so
 * a test may stop it mid-run without touching anyone else's), with nothing persisted.
 */
export const REDIS_SERVER = '/usr/bin/redis-server';

/** Whether the Redis suites can run; under CI a missing redis-server is a failure, elsewhere a loud skip. */
export function redisServerAvailable(): boolean {
  if (existsSync(REDIS_SERVER)) return true;
  const message = `The shared-counter (Redis) tests cannot run: ${REDIS_SERVER} is missing (apt-get install -y redis-server).`;
  if (process.env.CI === 'true') throw new Error(message);
  console.warn(`\n*** SKIPPING ${message} ***\n`);
  return false;
}

export type TestRedis = { url: string; port: number; stop(): Promise<void>; start(): Promise<void> };

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    socket.setTimeout(200);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.connect(port, '127.0.0.1');
  });
}

export async function startRedis(): Promise<TestRedis> {
  const port = await freePort();
  let child: ChildProcess | null = null;
  const start = async () => {
    child = spawn(REDIS_SERVER, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    const deadline = Date.now() + 5000;
    while (!(await answers(port))) {
      if (Date.now() > deadline) throw new Error('redis-server did not start');
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    start,
    async stop() {
      const running = child;
      if (!running || running.exitCode !== null) return;
      await new Promise<void>((resolve) => {
        running.once('exit', () => resolve());
        running.kill('SIGKILL');
      });
    },
  };
}
