import type { Config } from '../config.js';
import type { Clock } from './clock.js';
import { AddressRateLimiter } from '../core/rate-limit.js';
import { SignInThrottle } from '../core/sign-in-throttle.js';
import type { Db } from '../store/db.js';
import type { Invalidation } from './invalidation.js';
import type { JwtKeys } from './jwt-keys.js';
import type { Metrics } from './metrics.js';
import { PasswordHasher } from './password-hasher.js';
import type { RejectionThrottle } from './rejection-throttle.js';
import type { CreditWriter } from './limits/credit-writer.js';
import type { UsageCounters } from './limits/counters.js';
import type { LeakReportQueue } from './tokens/leak-queue.js';
import type { RevocationFeed } from './revocation-feed.js';
import type { TokenCache } from './token-cache.js';
import type { UsageRecorder } from './usage.js';
import type { VerifierCache } from './verifier-cache.js';

export { systemClock, type Clock } from './clock.js';

/** Only what services may log: never a secret, never a request body. */
export type Logger = {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
};

/**
 * Per-process attempt limits on the endpoints that guess at secrets. Every per-address limit is an
 * `AddressRateLimiter`: it counts an IPv6 client by its /64.
 */
export type Limits = {
  /** Sign-in attempts per client address, whatever the account. */
  signInByIp: AddressRateLimiter;
  /** Failed sign-ins per (account, address) and per account (see `SignInThrottle`). */
  signIn: SignInThrottle;
  /** The scrypt runs sign-in starts, bounded so a flood cannot starve the server. */
  passwordHasher: PasswordHasher;
  /**
   * Failed authentications per client address on every route that takes a credential (tokens,
   * sessions and verifier credentials; for /auth/check, the end client's address): past the
   * limit the address is answered 429 before its credential is looked at.
   */
  failedAuthByIp: AddressRateLimiter;
  /** First-run setup attempts per client address. */
  setupByIp: AddressRateLimiter;
  /** Leak reports (POST /api/v1/leaks) per client address. */
  leakReportsByIp: AddressRateLimiter;
};

export function defaultLimits(): Limits {
  return {
    signInByIp: new AddressRateLimiter(100, 5 * 60_000),
    signIn: new SignInThrottle(),
    passwordHasher: new PasswordHasher(),
    failedAuthByIp: new AddressRateLimiter(100, 60_000),
    setupByIp: new AddressRateLimiter(10, 5 * 60_000),
    leakReportsByIp: new AddressRateLimiter(60, 60_000),
  };
}

/**
 * Everything a use case depends on, made once at start and passed explicitly. What cluster mode
 * replaces (the caches' invalidation, counters) is an interface here, never module-level state.
 */
export type ServiceContext = {
  db: Db;
  config: Config;
  clock: Clock;
  pepper: Buffer;
  jwtKeys: JwtKeys;
  /** Token records by digest, for the verify path. */
  tokens: TokenCache;
  /** Verifier credentials by digest. */
  verifiers: VerifierCache;
  /** Every change that can make a token or verifier stop working goes through here, once. */
  invalidate: Invalidation;
  /** Resource servers listening for what their caches must drop. */
  feed: RevocationFeed;
  usage: UsageRecorder;
  /** Rate limits and credits: in this process, or in Redis for a cluster. */
  counters: UsageCounters;
  /** Writes spent credits to the store in batches. */
  credits: CreditWriter;
  rejections: RejectionThrottle;
  log: Logger;
  limits: Limits;
  metrics: Metrics;
  /** Leak reports answered and still to be worked through. */
  leakReports: LeakReportQueue;
};
