import type { Config } from '../config.js';
import type { Db } from '../store/db.js';
import type { TokenCache } from './token-cache.js';
import type { UsageRecorder } from './usage.js';
import type { JwtKeys } from './jwt-keys.js';

export type Clock = { now(): number };

export const systemClock: Clock = { now: () => Date.now() };

/** Only what services may log: never a secret, never a request body. */
export type Logger = {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
};

/** Everything a use case depends on, made once at start and passed explicitly. */
export type ServiceContext = {
  db: Db;
  config: Config;
  clock: Clock;
  pepper: Buffer;
  jwtKeys: JwtKeys;
  cache: TokenCache;
  usage: UsageRecorder;
  log: Logger;
};
