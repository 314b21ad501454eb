import { createHmac, hash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { loadConfig } from '../src/config.js';
import { generateApiKey } from '../src/core/token-format.js';
import { buildApp } from '../src/http/app.js';
import { closeContext, createContext } from '../src/runtime.js';
import { verifyAnswer, verifyToken, type VerifyRequest } from '../src/services/verification.js';
import { BENCH_BOUNDS, seedTokens, seedVerifyFixture, type SeededToken, type VerifyFixture } from './seed.js';

/**
 * A bench server process, forked by bench/run.ts so the load generator never shares an event
 * loop with what it measures: Keyward on 127.0.0.1 with the logging `npm start` has (info, to
 * stdout), and beside it a bare Fastify route answering the same JSON. Env: BENCH_DATABASE_URL
 * (PostgreSQL, else a temp SQLite file), BENCH_PEPPER (shared by the processes of one store),
 * BENCH_SEED, BENCH_FIXTURE and BENCH_DATA_DIR (below), KEYWARD_* as for `keyward serve`.
 */
export type Ready = { type: 'ready'; bareUrl: string; keywardUrl: string; fixture: VerifyFixture | null };
export type Timing = { opsPerSec: number; p50us: number; p99us: number };
export type MicroResult = {
  type: 'micro';
  /** The well-formed unknown token measured (cached as unknown now). */
  unknownToken: string;
  valid: Timing;
  /** The same verify with usage analytics switched off: the path as it was before usage controls. */
  validWithoutAnalytics: Timing;
  /** A token with a rate limit and credits: every verify asks the counters. */
  limited: Timing;
  unknown: Timing;
  malformed: Timing;
  hmac: Timing;
  sha256: Timing;
};
export type FloodResult = { type: 'flood'; count: number; seconds: number; rssMiB: number; heapMiB: number; cachedUnknown: number };
export type CpuResult = { type: 'cpu'; micros: number };
export type SeedResult = { type: 'seeded'; tokens: SeededToken[]; seconds: number };
export type Command =
  | { type: 'micro'; ms: number }
  | { type: 'flood'; count: number }
  | { type: 'seed'; count: number; keep: number }
  | { type: 'cpu' }
  | { type: 'stop' };

// BENCH_DATA_DIR reopens another run's SQLite store (and leaves it for that run to remove).
const ownDir = !process.env.BENCH_DATA_DIR;
const dir = process.env.BENCH_DATA_DIR ?? mkdtempSync(join(tmpdir(), 'keyward-bench-'));
const configFile = join(dir, 'config.json');
writeFileSync(configFile, JSON.stringify({ policyBounds: BENCH_BOUNDS }));
const databaseUrl = process.env.BENCH_DATABASE_URL;
const config = loadConfig({
  KEYWARD_CONFIG: configFile,
  KEYWARD_DATA_DIR: dir,
  KEYWARD_PEPPER: process.env.BENCH_PEPPER ?? randomBytes(32).toString('hex'),
  KEYWARD_PUBLIC_URL: 'http://127.0.0.1',
  ...(databaseUrl ? { KEYWARD_DATABASE_URL: databaseUrl } : {}),
  ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('KEYWARD_'))),
});
const ctx = await createContext(config);
ctx.usage.start(config.usageFlushMs, (error) => console.error('usage flush failed', error));
// BENCH_FIXTURE: the fixture another process seeded into this store; BENCH_SEED=0: none.
const fixture: VerifyFixture | null = process.env.BENCH_FIXTURE
  ? (JSON.parse(process.env.BENCH_FIXTURE) as VerifyFixture)
  : process.env.BENCH_SEED === '0'
    ? null
    : await seedVerifyFixture(ctx);

// As `keyward serve` logs: Fastify's pino at the configured level, to stdout.
const keyward = await buildApp(ctx, { logger: {} });
ctx.log = keyward.log;
const keywardUrl = await keyward.listen({ host: '127.0.0.1', port: 0 });

// The bare routes answer exactly what Keyward answers for the fixture's tokens.
const sameAnswers = fixture
  ? {
      verify: verifyAnswer(await verifyToken(ctx, { secret: fixture.token, requiredScopes: fixture.scopes, recordUse: false })),
      token: await (await fetch(`${keywardUrl}/api/v1/orgs/${fixture.orgId}/tokens/${fixture.tokenId}`, { headers: { authorization: `Bearer ${fixture.manager}` } })).json(),
    }
  : { verify: {}, token: {} };
const bare = Fastify({ logger: false });
bare.post('/verify', async () => sameAnswers.verify);
bare.get('/token', async () => sameAnswers.token);
const bareUrl = await bare.listen({ host: '127.0.0.1', port: 0 });

/** Rate of `fn` over about `ms` milliseconds after a warm-up, and per-call p50/p99 from a timed sample. */
async function time(fn: () => unknown, ms: number): Promise<Timing> {
  for (let i = 0; i < 20_000; i++) await fn();
  let calls = 0;
  const start = performance.now();
  while (performance.now() - start < ms) {
    for (let i = 0; i < 2_000; i++) await fn();
    calls += 2_000;
  }
  const opsPerSec = calls / ((performance.now() - start) / 1000);
  const samples = new Float64Array(100_000);
  for (let i = 0; i < samples.length; i++) {
    const t0 = process.hrtime.bigint();
    await fn();
    samples[i] = Number(process.hrtime.bigint() - t0) / 1000;
  }
  samples.sort();
  return { opsPerSec, p50us: samples[samples.length >> 1]!, p99us: samples[Math.floor(samples.length * 0.99)]! };
}

async function micro(ms: number): Promise<MicroResult> {
  if (!fixture) throw new Error('this bench process has no fixture');
  const valid: VerifyRequest = { secret: fixture.token, requiredScopes: fixture.scopes, ip: '192.0.2.1' };
  const limited: VerifyRequest = { ...valid, secret: fixture.limitedToken };
  const unknown: VerifyRequest = { secret: generateApiKey(config.tokenPrefix), requiredScopes: fixture.scopes };
  const malformed: VerifyRequest = { secret: `${fixture.token.slice(0, -1)}!`, requiredScopes: fixture.scopes };
  for (const [request, code] of [[valid, 'VALID'], [limited, 'VALID'], [unknown, 'NOT_FOUND'], [malformed, 'MALFORMED']] as const) {
    const answer = await verifyToken(ctx, request);
    if (answer.code !== code) throw new Error(`bench: expected ${code}, verify answered ${answer.code}`);
  }
  const secret = fixture.token;
  const { withAnalytics, withoutAnalytics } = await abAnalytics(() => verifyToken(ctx, valid), ms);
  return {
    type: 'micro',
    unknownToken: unknown.secret,
    valid: withAnalytics,
    validWithoutAnalytics: withoutAnalytics,
    limited: await time(() => verifyToken(ctx, limited), ms),
    unknown: await time(() => verifyToken(ctx, unknown), ms),
    malformed: await time(() => verifyToken(ctx, malformed), ms),
    // The digest of the store, and the one-shot SHA-256 the caches key on, of the same token.
    hmac: await time(() => createHmac('sha256', ctx.pepper).update(secret, 'utf8').digest('hex'), ms),
    sha256: await time(() => hash('sha256', secret, 'binary'), ms),
  };
}

/**
 * The same verify with and without usage analytics' counting (what usage controls add to a token
 * without limits: that, and one boolean read), alternated in rounds so drift in the machine's speed
 * falls on both alike; the best round of each.
 */
async function abAnalytics(fn: () => unknown, ms: number): Promise<{ withAnalytics: Timing; withoutAnalytics: Timing }> {
  const count = ctx.usage.count.bind(ctx.usage);
  const rounds: { on: Timing[]; off: Timing[] } = { on: [], off: [] };
  try {
    for (let round = 0; round < 3; round++) {
      ctx.usage.count = count;
      rounds.on.push(await time(fn, ms / 2));
      ctx.usage.count = () => undefined;
      rounds.off.push(await time(fn, ms / 2));
    }
  } finally {
    ctx.usage.count = count;
  }
  const best = (list: Timing[]) => list.reduce((a, b) => (b.opsPerSec > a.opsPerSec ? b : a));
  return { withAnalytics: best(rounds.on), withoutAnalytics: best(rounds.off) };
}

/** `count` verifies of distinct random well-formed tokens; the resident size after says whether the bounds hold. */
async function flood(count: number): Promise<FloodResult> {
  const start = performance.now();
  for (let i = 0; i < count; i++) {
    const answer = await verifyToken(ctx, { secret: generateApiKey(config.tokenPrefix) });
    if (answer.code !== 'NOT_FOUND') throw new Error(`bench: a random token answered ${answer.code}`);
  }
  const seconds = (performance.now() - start) / 1000;
  globalThis.gc?.();
  const memory = process.memoryUsage();
  return { type: 'flood', count, seconds, rssMiB: memory.rss / 2 ** 20, heapMiB: memory.heapUsed / 2 ** 20, cachedUnknown: ctx.tokens.size.unknown };
}

let stopping: Promise<void> | null = null;
function stop(): Promise<void> {
  stopping ??= (async () => {
    await Promise.all([keyward.close(), bare.close()]);
    await closeContext(ctx);
    if (ownDir) rmSync(dir, { recursive: true, force: true });
    if (process.connected) process.disconnect();
  })();
  return stopping;
}

function answer(work: Promise<object>): void {
  work.then(
    (result) => process.send?.(result),
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
      void stop();
    },
  );
}

process.on('message', (command: Command) => {
  if (command.type === 'cpu') {
    const { user, system } = process.cpuUsage();
    process.send?.({ type: 'cpu', micros: user + system } satisfies CpuResult);
  } else if (command.type === 'micro') {
    answer(micro(command.ms));
  } else if (command.type === 'flood') {
    answer(flood(command.count));
  } else if (command.type === 'seed') {
    answer(
      (async (): Promise<SeedResult> => {
        if (!fixture) throw new Error('this bench process has no fixture');
        const start = performance.now();
        const tokens = await seedTokens(ctx, fixture, command.count, command.keep);
        return { type: 'seeded', tokens, seconds: (performance.now() - start) / 1000 };
      })(),
    );
  } else {
    void stop();
  }
});
// The driver going away ends this process too.
process.on('disconnect', () => void stop().catch(() => process.exit(1)));

process.send?.({ type: 'ready', bareUrl, keywardUrl, fixture } satisfies Ready);
