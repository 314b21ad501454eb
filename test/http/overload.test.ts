import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig, type OverloadThresholds } from '../../src/config.js';
import { buildApp } from '../../src/http/app.js';
import { closeContext, createContext } from '../../src/runtime.js';
import type { ServiceContext } from '../../src/services/context.js';
import { FakeClock, testConfig } from '../harness.js';
import { createSchema, TEST_STORE, type TestSchema } from '../postgres.js';

/**
 * Load shedding (@fastify/under-pressure): past a threshold every request but the health checks
 * is answered at once with 503 `service_unavailable`, Retry-After and problem+json, rather than
 * queued. Pressure is forced here by thresholds no process can stay under, or by blocking the
 * event loop for longer than a tiny limit.
 */
const OFF: OverloadThresholds = { maxEventLoopDelayMs: 0, maxEventLoopUtilization: 0, maxHeapUsedBytes: 0, maxRssBytes: 0, retryAfterSeconds: 7, sampleIntervalMs: 20 };

let open: { app: FastifyInstance; ctx: ServiceContext; dir: string; schema: TestSchema | null } | null = null;
afterEach(async () => {
  if (!open) return;
  await open.app.close();
  await closeContext(open.ctx);
  await open.schema?.drop();
  rmSync(open.dir, { recursive: true, force: true });
  open = null;
});

async function appWith(overload: Partial<OverloadThresholds>): Promise<FastifyInstance> {
  const dir = mkdtempSync(join(tmpdir(), 'keyward-overload-'));
  const schema = TEST_STORE === 'postgres' ? await createSchema() : null;
  const config = { ...testConfig(dir, schema ? { KEYWARD_DATABASE_URL: schema.url } : {}) };
  config.overload = { ...OFF, ...overload };
  const ctx = await createContext(config, { clock: new FakeClock() });
  const app = await buildApp(ctx, { logger: false });
  await app.ready();
  open = { app, ctx, dir, schema };
  return app;
}

/** Until the plugin's next sample has seen the pressure. */
const nextSample = () => new Promise((r) => setTimeout(r, 60));

/** Asks GET /api/v1/me until it is answered with `status` (or the time is up), every few milliseconds. */
async function firstAnswer(app: FastifyInstance, status: number, withinMs: number) {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const response = await app.inject({ method: 'GET', url: '/api/v1/me' });
    if (response.statusCode === status || Date.now() > deadline) return response;
    await new Promise((r) => setTimeout(r, 2));
  }
}

function expectShed(response: { statusCode: number; headers: Record<string, unknown>; body: string }, path: string): void {
  expect(response.statusCode).toBe(503);
  expect(response.headers['retry-after']).toBe('7');
  expect(response.headers['content-type']).toContain('application/problem+json');
  expect(JSON.parse(response.body)).toEqual({
    type: 'https://keyward.dev/problems/service_unavailable',
    title: 'Service Unavailable',
    status: 503,
    code: 'service_unavailable',
    detail: 'The server is overloaded; try again later.',
    instance: path,
    retry_after_seconds: 7,
  });
}

describe('under pressure', () => {
  it('a heap past its threshold sheds every API request with 503, Retry-After and problem+json; /healthz, /readyz and /metrics answer', async () => {
    const app = await appWith({ maxHeapUsedBytes: 1 });
    await nextSample();
    for (const [method, url] of [['GET', '/api/v1/me'], ['POST', '/api/v1/verify'], ['GET', '/auth/check'], ['POST', '/oauth/introspect'], ['GET', '/']] as const) {
      expectShed(await app.inject({ method, url }), url);
    }
    expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    // Loopback may scrape the metrics (KEYWARD_METRICS_ALLOW's default), overloaded or not.
    expect((await app.inject({ method: 'GET', url: '/metrics', remoteAddress: '127.0.0.1' })).statusCode).toBe(200);
    const ready = await app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toMatchObject({ status: 'ready' });
  });

  it('a blocked event loop sheds load until the loop is prompt again', async () => {
    const app = await appWith({ maxEventLoopDelayMs: 100, sampleIntervalMs: 50 });
    expect((await firstAnswer(app, 401, 2_000)).statusCode).toBe(401);

    // Sustained overload: synchronous work holds the loop 300 ms out of every 310, so every sample
    // sees a mean delay far past 100 ms (a single block would be seen by one 50 ms sample only).
    const busy = () => {
      const until = Date.now() + 300;
      while (Date.now() < until) {
        // busy
      }
    };
    const blocker = setInterval(busy, 10);
    try {
      const shed = await firstAnswer(app, 503, 5_000);
      expectShed(shed, '/api/v1/me');
      expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
      expect((await app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
    } finally {
      clearInterval(blocker);
    }

    // Prompt again: answered as usual once a sample has seen it.
    expect((await firstAnswer(app, 401, 5_000)).statusCode).toBe(401);
  });

  it('the defaults trip on nothing a test or a benchmark does', () => {
    const { overload } = loadConfig({ KEYWARD_DATA_DIR: '/tmp/unused' });
    expect(overload.maxEventLoopDelayMs).toBe(1000);
    expect(overload.maxEventLoopUtilization).toBe(0);
    expect(overload.maxRssBytes).toBe(0);
    expect(overload.maxHeapUsedBytes).toBeGreaterThan(process.memoryUsage().heapUsed * 4);
  });

  it('takes its thresholds from the environment, 0 turning one off, and refuses nonsense', () => {
    const { overload } = loadConfig({ KEYWARD_DATA_DIR: '/tmp/unused', KEYWARD_MAX_EVENT_LOOP_DELAY_MS: '250', KEYWARD_MAX_HEAP_USED_MB: '0', KEYWARD_MAX_RSS_MB: '512', KEYWARD_MAX_EVENT_LOOP_UTILIZATION: '0.95' });
    expect(overload).toMatchObject({ maxEventLoopDelayMs: 250, maxHeapUsedBytes: 0, maxRssBytes: 512 * 1024 * 1024, maxEventLoopUtilization: 0.95 });
    expect(() => loadConfig({ KEYWARD_DATA_DIR: '/tmp/unused', KEYWARD_MAX_EVENT_LOOP_UTILIZATION: '2' })).toThrow(/KEYWARD_MAX_EVENT_LOOP_UTILIZATION/);
    expect(() => loadConfig({ KEYWARD_DATA_DIR: '/tmp/unused', KEYWARD_MAX_EVENT_LOOP_DELAY_MS: 'soon' })).toThrow(/KEYWARD_MAX_EVENT_LOOP_DELAY_MS/);
  });
});
