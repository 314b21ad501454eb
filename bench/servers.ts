import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { loadConfig } from '../src/config.js';
import { buildApp } from '../src/http/app.js';
import { closeContext, createContext } from '../src/runtime.js';
import { verifyToken } from '../src/services/verification.js';
import { seedVerifyFixture } from './seed.js';

/**
 * The bench's server process, forked by bench/verify.ts so the load generator does not share an
 * event loop with what it measures: a bare Fastify route and Keyward, both on 127.0.0.1.
 */
export type Ready = { type: 'ready'; bareUrl: string; keywardUrl: string; token: string; verifier: string; scopes: string[] };
export type MicroResult = { type: 'micro'; hitOpsPerSec: number; malformedOpsPerSec: number };
/** This process's CPU time so far (µs, user + system): the cost per request, apart from the load generator's. */
export type CpuResult = { type: 'cpu'; micros: number };
export type Command = { type: 'micro'; ms: number } | { type: 'cpu' } | { type: 'stop' };

const dir = mkdtempSync(join(tmpdir(), 'keyward-bench-'));
const config = loadConfig({
  KEYWARD_DATA_DIR: dir,
  KEYWARD_PEPPER: randomBytes(32).toString('hex'),
  KEYWARD_PUBLIC_URL: 'http://127.0.0.1',
  KEYWARD_LOG_LEVEL: 'warn',
});
const ctx = await createContext(config);
ctx.usage.start(config.usageFlushMs, (error) => console.error('usage flush failed', error));
const fixture = await seedVerifyFixture(ctx);

const keyward = await buildApp(ctx, { logger: false });
const keywardUrl = await keyward.listen({ host: '127.0.0.1', port: 0 });

const bare = Fastify({ logger: false });
bare.post('/verify', async () => ({ valid: true, code: 'VALID' }));
const bareUrl = await bare.listen({ host: '127.0.0.1', port: 0 });

/** Calls of `fn` per second over about `ms` milliseconds, after a warm-up. */
async function opsPerSecond(fn: () => Promise<unknown>, ms: number): Promise<number> {
  for (let i = 0; i < 5_000; i++) await fn();
  let calls = 0;
  const start = performance.now();
  while (performance.now() - start < ms) {
    for (let i = 0; i < 1_000; i++) await fn();
    calls += 1_000;
  }
  return calls / ((performance.now() - start) / 1000);
}

async function micro(ms: number): Promise<MicroResult> {
  const hit = { secret: fixture.token, requiredScopes: fixture.scopes, ip: '192.0.2.1' };
  const first = await verifyToken(ctx, hit);
  if (first.code !== 'VALID') throw new Error(`the bench token does not verify: ${first.code}`);
  const malformed = { secret: `${fixture.token.slice(0, -1)}!`, requiredScopes: fixture.scopes };
  return {
    type: 'micro',
    hitOpsPerSec: await opsPerSecond(() => verifyToken(ctx, hit), ms),
    malformedOpsPerSec: await opsPerSecond(() => verifyToken(ctx, malformed), ms),
  };
}

let stopping: Promise<void> | null = null;
function stop(): Promise<void> {
  stopping ??= (async () => {
    await Promise.all([keyward.close(), bare.close()]);
    await closeContext(ctx);
    rmSync(dir, { recursive: true, force: true });
    if (process.connected) process.disconnect();
  })();
  return stopping;
}

process.on('message', (command: Command) => {
  if (command.type === 'cpu') {
    const { user, system } = process.cpuUsage();
    process.send?.({ type: 'cpu', micros: user + system } satisfies CpuResult);
  } else if (command.type === 'micro') {
    micro(command.ms).then(
      (result) => process.send?.(result),
      (error: unknown) => {
        console.error(error);
        process.exitCode = 1;
        void stop();
      },
    );
  } else {
    void stop();
  }
});
// The driver going away ends this process too.
process.on('disconnect', () => void stop().catch(() => process.exit(1)));

const ready: Ready = { type: 'ready', bareUrl, keywardUrl, ...fixture };
process.send?.(ready);
