import type { FastifyInstance } from 'fastify';
import type { Config } from './config.js';
import { buildApp, type AppOptions } from './http/app.js';
import { bootstrap, type BootstrapOutcome } from './services/bootstrap.js';
import { defaultLimits, systemClock, type Clock, type Logger, type ServiceContext } from './services/context.js';
import { JwtKeys } from './services/jwt-keys.js';
import { startLifecycleSweeps } from './services/token-lifecycle.js';
import { ClusterInvalidation } from './services/cluster-invalidation.js';
import { LocalInvalidation, type Invalidation } from './services/invalidation.js';
import { loadSigningKeys, reloadSigningKeys } from './services/signing-keys.js';
import { RejectionThrottle } from './services/rejection-throttle.js';
import { RevocationFeed } from './services/revocation-feed.js';
import { TokenCache } from './services/token-cache.js';
import { LeakReportQueue } from './services/tokens/leak-queue.js';
import { PrometheusMetrics } from './services/prometheus.js';
import { UsageRecorder } from './services/usage.js';
import { CreditWriter } from './services/limits/credit-writer.js';
import { LocalCounters } from './services/limits/local-counters.js';
import { RedisCounters } from './services/limits/redis-counters.js';
import type { UsageCounters } from './services/limits/counters.js';
import { VerifierCache } from './services/verifier-cache.js';
import { WebhookDispatcher } from './services/webhooks/dispatcher.js';
import { migrate, openDatabase, storeLocation, type Db } from './store/db.js';
import { loadOrCreatePepper } from './store/key-files.js';
import { channelName } from './store/notifications.js';
import { chmodSync, mkdirSync } from 'node:fs';

const silentLogger: Logger = { info() {}, warn() {}, error() {} };

/** Opens the store, migrates it and loads the server secrets: everything services need. */
export async function createContext(config: Config, options: { clock?: Clock; log?: Logger; processMetrics?: boolean } = {}): Promise<ServiceContext> {
  const clock = options.clock ?? systemClock;
  const location = storeLocation(config);
  if (location.engine === 'sqlite') {
    mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
    // The directory holds the pepper and the database: narrowed even when it existed already.
    chmodSync(config.dataDir, 0o700);
  }
  const db = openDatabase(location);
  try {
    await migrate(db);
  } catch (error) {
    await db.destroy();
    throw location.engine === 'postgres' ? new Error(`cannot use the PostgreSQL database of KEYWARD_DATABASE_URL: ${(error as Error).message}`) : error;
  }
  const pepper = loadOrCreatePepper(config.dataDir, config.pepper);
  const jwtKeys = new JwtKeys(await loadSigningKeys(db, config, pepper, clock.now()), config.publicUrl, config.publicUrl);
  const tokens = new TokenCache(config.cacheSizes);
  const verifiers = new VerifierCache();
  // Another process's key rotation reaches this one as an invalidation: reload the keys.
  const metrics = new PrometheusMetrics(
    { cacheSizes: () => tokens.size, invalidationState: () => ctx.invalidate.state, pendingUsage: () => ctx.usage.pendingCount },
    { processMetrics: options.processMetrics ?? false },
  );
  const local = new LocalInvalidation(tokens, verifiers, metrics, () => {
    reloadSigningKeys(ctx).catch((error: unknown) => ctx.log.error({ err: error }, 'could not reload the signing keys'));
  });
  const ctx: ServiceContext = {
    db,
    config,
    clock,
    pepper,
    jwtKeys,
    tokens,
    verifiers,
    invalidate: local,
    feed: new RevocationFeed(db, (error) => ctx.log.error({ err: error }, 'could not tell the revocation feed')),
    usage: new UsageRecorder(db, clock),
    counters: await usageCounters(config, () => ctx.log),
    credits: new CreditWriter(db, () => ctx.counters),
    rejections: new RejectionThrottle(),
    log: options.log ?? silentLogger,
    limits: defaultLimits(),
    metrics,
    leakReports: new LeakReportQueue(),
  };
  local.observe((message) => ctx.feed.observe(message));
  if (location.engine === 'postgres') ctx.invalidate = await clusterInvalidation(ctx, db, location.url, local);
  return ctx;
}

/** Redis when KEYWARD_REDIS_URL is set (a cluster's nodes then share one limit), else this process. */
async function usageCounters(config: Config, log: () => Logger): Promise<UsageCounters> {
  if (config.redisUrl === null) return new LocalCounters();
  const counters = new RedisCounters(config.redisUrl, (error) => log().warn({ err: error }, 'the shared counters (Redis) failed'));
  await counters.start();
  return counters;
}

async function clusterInvalidation(ctx: ServiceContext, db: Db, url: string, local: LocalInvalidation): Promise<Invalidation> {
  const cluster = new ClusterInvalidation({ db, url, channel: await channelName(db), local, tokens: ctx.tokens, verifiers: ctx.verifiers, log: () => ctx.log });
  await cluster.start();
  return cluster;
}

export async function closeContext(ctx: ServiceContext): Promise<void> {
  // Reports already answered are worked through while the store and the caches are still there.
  await ctx.leakReports.idle();
  await ctx.invalidate.close();
  await ctx.usage.stop();
  await ctx.credits.stop();
  await ctx.counters.close();
  await ctx.db.destroy();
}

export type Server = { app: FastifyInstance; ctx: ServiceContext; url: string; bootstrap: BootstrapOutcome; close(): Promise<void> };

/** `keyward serve`: context, bootstrap, app, listen; flushes usage and closes cleanly. */
export async function startServer(config: Config, appOptions: AppOptions = {}): Promise<Server> {
  const ctx = await createContext(config, { processMetrics: true });
  const app = await buildApp(ctx, appOptions);
  ctx.log = app.log;
  ctx.usage.start(config.usageFlushMs, (error) => app.log.error({ err: error }, 'usage flush failed'));
  ctx.credits.start(config.creditFlushMs, (error) => app.log.error({ err: error }, 'credit flush failed'));
  if (config.databaseUrl !== null && config.redisUrl === null) {
    app.log.warn('KEYWARD_DATABASE_URL without KEYWARD_REDIS_URL: rate limits and credits are counted per process, so each process of a cluster allows the full limit');
  }
  const stopSweeps = startLifecycleSweeps(ctx, 60_000, (error) => app.log.error({ err: error }, 'token lifecycle sweep failed'));
  // Keys rotated by the CLI (or, missed, by another process) are picked up within a minute.
  const keyReload = setInterval(() => reloadSigningKeys(ctx).catch((error: unknown) => app.log.error({ err: error }, 'could not reload the signing keys')), 60_000);
  keyReload.unref();
  // Webhooks are delivered from the outbox by every process; claims keep them from sending twice.
  const webhooks = new WebhookDispatcher(ctx);
  webhooks.start((error) => app.log.error({ err: error }, 'webhook dispatch failed'));
  const outcome = await bootstrap(ctx);
  const url = await app.listen({ port: config.port, host: config.host });
  return {
    app,
    ctx,
    url,
    bootstrap: outcome,
    async close() {
      stopSweeps();
      clearInterval(keyReload);
      // Before the database closes: deliveries under way are recorded as due again.
      await webhooks.stop();
      await app.close();
      await closeContext(ctx);
    },
  };
}
