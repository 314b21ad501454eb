import type { FastifyInstance } from 'fastify';
import type { Config } from './config.js';
import { newId } from './core/ids.js';
import { buildApp, type AppOptions } from './http/app.js';
import { bootstrap, type BootstrapOutcome } from './services/bootstrap.js';
import { defaultLimits, systemClock, type Clock, type Logger, type ServiceContext } from './services/context.js';
import { JwtKeys } from './services/jwt-keys.js';
import { startLifecycleSweeps } from './services/token-lifecycle.js';
import { LocalInvalidation } from './services/invalidation.js';
import { RejectionThrottle } from './services/rejection-throttle.js';
import { TokenCache } from './services/token-cache.js';
import { UsageRecorder } from './services/usage.js';
import { VerifierCache } from './services/verifier-cache.js';
import { migrate, openSqlite } from './store/db.js';
import { loadOrCreatePepper, loadOrCreateSigningKeys, signingKeyFromPem } from './store/key-files.js';
import { chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

const silentLogger: Logger = { info() {}, warn() {}, error() {} };

/** Opens the store, migrates it and loads the server secrets: everything services need. */
export async function createContext(config: Config, options: { clock?: Clock; log?: Logger } = {}): Promise<ServiceContext> {
  const clock = options.clock ?? systemClock;
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  // The directory holds the pepper and the keys: narrowed even when it existed already.
  chmodSync(config.dataDir, 0o700);
  const db = openSqlite(join(config.dataDir, 'keyward.db'));
  await migrate(db);
  const pepper = loadOrCreatePepper(config.dataDir, config.pepper);
  const keys = config.signingKey
    ? [signingKeyFromPem(config.signingKey, clock.now())]
    : loadOrCreateSigningKeys(config.dataDir, () => newId('key', clock.now()), clock.now());
  const tokens = new TokenCache();
  const verifiers = new VerifierCache();
  return {
    db,
    config,
    clock,
    pepper,
    jwtKeys: new JwtKeys(keys, config.publicUrl, config.publicUrl),
    tokens,
    verifiers,
    invalidate: new LocalInvalidation(tokens, verifiers),
    usage: new UsageRecorder(db),
    rejections: new RejectionThrottle(),
    log: options.log ?? silentLogger,
    limits: defaultLimits(),
  };
}

export async function closeContext(ctx: ServiceContext): Promise<void> {
  await ctx.usage.stop();
  await ctx.db.destroy();
}

export type Server = { app: FastifyInstance; ctx: ServiceContext; url: string; bootstrap: BootstrapOutcome; close(): Promise<void> };

/** `keyward serve`: context, bootstrap, app, listen; flushes usage and closes cleanly. */
export async function startServer(config: Config, appOptions: AppOptions = {}): Promise<Server> {
  const ctx = await createContext(config);
  const app = await buildApp(ctx, appOptions);
  ctx.log = app.log;
  ctx.usage.start(config.usageFlushMs, (error) => app.log.error({ err: error }, 'usage flush failed'));
  const stopSweeps = startLifecycleSweeps(ctx, 60_000, (error) => app.log.error({ err: error }, 'token lifecycle sweep failed'));
  const outcome = await bootstrap(ctx);
  const url = await app.listen({ port: config.port, host: config.host });
  return {
    app,
    ctx,
    url,
    bootstrap: outcome,
    async close() {
      stopSweeps();
      await app.close();
      await closeContext(ctx);
    },
  };
}
