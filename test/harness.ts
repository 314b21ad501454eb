import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { loadConfig, type Config } from '../src/config.js';
import { buildApp } from '../src/http/app.js';
import { closeContext, createContext } from '../src/runtime.js';
import type { Clock, ServiceContext } from '../src/services/context.js';
import { createSchema, TEST_STORE } from './postgres.js';
import { capture, capturedLogger, captureStore, flushCapture, keepSecretsOf } from './secret-capture.js';

/** A clock tests move by hand: time is injected, never slept on. */
export class FakeClock implements Clock {
  constructor(public ms = Date.parse('2026-01-15T10:00:00Z')) {}
  now(): number {
    return this.ms;
  }
  advance(ms: number): void {
    this.ms += ms;
  }
  advanceDays(days: number): void {
    this.ms += days * 86_400_000;
  }
}

export const TEST_PEPPER = 'a'.repeat(64);

export function testConfig(dataDir: string, env: Record<string, string> = {}): Config {
  return loadConfig({
    KEYWARD_DATA_DIR: dataDir,
    KEYWARD_PEPPER: TEST_PEPPER,
    KEYWARD_PUBLIC_URL: 'http://keyward.test',
    KEYWARD_LOG_LEVEL: 'info',
    ...env,
  });
}

export type TestApp = {
  app: FastifyInstance;
  ctx: ServiceContext;
  clock: FakeClock;
  /** Every log line the app wrote, raw, to search for secrets. */
  logs: string[];
  close(): Promise<void>;
};

/**
 * A fresh database (a temp dir's SQLite file, or a schema of its own on PostgreSQL when the suite
 * runs as its postgres project), a fake clock and the Fastify app, ready for `inject`.
 */
export async function startTestApp(
  options: {
    env?: Record<string, string>;
    clock?: FakeClock;
    logLevel?: string;
    /** False when the suite's requests carry generated strings, not secrets (see `keepSecretsOf`). */
    keepPresentedSecrets?: boolean;
  } = {},
): Promise<TestApp> {
  const dir = mkdtempSync(join(tmpdir(), 'keyward-test-'));
  const clock = options.clock ?? new FakeClock();
  const schema = TEST_STORE === 'postgres' ? await createSchema() : null;
  const env = schema ? { KEYWARD_DATABASE_URL: schema.url, ...options.env } : options.env;
  const level = options.logLevel ?? 'info';
  const ctx = await createContext(testConfig(dir, env), { clock, log: capturedLogger(level) });
  const logs: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      const line = chunk.toString('utf8');
      logs.push(line);
      capture('log', line);
      done();
    },
  });
  const app = await buildApp(ctx, { logger: { level, stream } });
  keepSecretsOf(app, ctx, { presented: options.keepPresentedSecrets ?? true });
  await app.ready();
  return {
    app,
    ctx,
    clock,
    logs,
    async close() {
      await app.close();
      await captureStore(ctx);
      flushCapture();
      await closeContext(ctx);
      await schema?.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Parses a JSON response body, failing loudly when it is not JSON. */
export function json<T = Record<string, any>>(response: LightMyRequestResponse): T {
  return JSON.parse(response.body) as T;
}
