import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { getHeapStatistics } from 'node:v8';
import { DEFAULT_BOUNDS, TOKEN_KINDS, type PolicyBounds, type TokenKind } from './core/policy.js';
import { DEFAULT_SCOPES, parseScopeCatalog, type ScopeDefinition } from './core/scopes.js';
import { isValidPrefix } from './core/token-format.js';
import { compileRouteTable, DEVICE_LAB_ROUTES, type RouteTable } from './core/route-table.js';
import { compileAllowlist, parseAllowlist, type AddressMatcher } from './core/ip-allowlist.js';

/** The deployment's configuration (DESIGN §4 "Configuration"), from env or a JSON file. */
export type Config = {
  port: number;
  host: string;
  dataDir: string;
  databaseUrl: string | null;
  tokenPrefix: string;
  scopes: ScopeDefinition[];
  /** Hex or base64 pepper from the environment; otherwise generated into the data directory. */
  pepper: string | null;
  /** An Ed25519 private key (PEM) for JWTs from the environment; otherwise generated. */
  signingKey: string | null;
  publicUrl: string;
  /** Whether KEYWARD_PUBLIC_URL was set: only then do documents name an absolute server URL. */
  publicUrlGiven: boolean;
  adminEmail: string | null;
  adminPassword: string | null;
  /** Plans whose orgs may not create tokens at all. */
  plansWithoutTokens: string[];
  policyBounds: PolicyBounds;
  /** How often buffered last-used times and verify counts are written (ms); DESIGN allows at most 60 s staleness. */
  usageFlushMs: number;
  /** How often spent credits are written (ms): what a crash of an embedded server can lose. */
  creditFlushMs: number;
  /** Shared counters for a cluster (rate limits, credits); null keeps them in this process. */
  redisUrl: string | null;
  /** What scope each route of the product's API needs, for forward auth (`/auth/check`). */
  routes: RouteTable;
  /** Gateways at these addresses (CIDRs) may call `/auth/check` without `X-Keyward-Verifier`. */
  trustedGateways: AddressList;
  /** Who may read GET /metrics (CIDRs). */
  metricsAllowed: AddressList;
  /** Bounds of the verify cache: token records (LRU), and secrets known to be unknown. */
  cacheSizes: { records: number; unknown: number };
  sessionTtlMs: number;
  logLevel: string;
  /** Cookies get `Secure` when the public URL is https. */
  secureCookies: boolean;
  /**
   * Which proxies' X-Forwarded-For to believe (Fastify's trustProxy): false, a hop count or a list
   * of the proxies' addresses/CIDRs; never `true`, which would believe whatever a client sends.
   * Client IPs drive allowlists, per-address limits, last-used IPs and the audit log.
   */
  trustProxy: false | number | string[];
  /**
   * Whether webhooks may point to private, loopback, link-local and unique-local addresses: for
   * deployments whose receivers live on their own network. Off by default (no SSRF by webhook).
   */
  webhookAllowPrivate: boolean;
  /** When the process sheds load (503 with Retry-After) instead of queueing requests without bound. */
  overload: OverloadThresholds;
};

/**
 * @fastify/under-pressure's thresholds, each checked on every request but /healthz, /readyz and /metrics;
 * 0 turns one off. The defaults trip only on a process in real trouble: a mean event-loop delay of
 * a whole second, or a heap at 90% of V8's limit (where garbage collection is about to thrash).
 */
export type OverloadThresholds = {
  maxEventLoopDelayMs: number;
  /** Event-loop utilization, 0 to 1 (off by default: a busy but prompt loop is not overloaded). */
  maxEventLoopUtilization: number;
  maxHeapUsedBytes: number;
  maxRssBytes: number;
  /** The Retry-After of the 503. */
  retryAfterSeconds: number;
  /** How often the process's load is sampled (ms). */
  sampleIntervalMs: number;
};

type Env = Record<string, string | undefined>;

/** Addresses and CIDRs from a comma-separated setting, compiled once. */
export type AddressList = { list: string[]; allows: AddressMatcher };

const KEYS = {
  port: 'KEYWARD_PORT',
  host: 'KEYWARD_HOST',
  dataDir: 'KEYWARD_DATA_DIR',
  databaseUrl: 'KEYWARD_DATABASE_URL',
  tokenPrefix: 'KEYWARD_TOKEN_PREFIX',
  scopesFile: 'KEYWARD_SCOPES_FILE',
  pepper: 'KEYWARD_PEPPER',
  signingKey: 'KEYWARD_SIGNING_KEY',
  publicUrl: 'KEYWARD_PUBLIC_URL',
  adminEmail: 'KEYWARD_ADMIN_EMAIL',
  adminPassword: 'KEYWARD_ADMIN_PASSWORD',
  logLevel: 'KEYWARD_LOG_LEVEL',
  trustProxy: 'KEYWARD_TRUST_PROXY',
  cacheSize: 'KEYWARD_CACHE_SIZE',
  unknownCacheSize: 'KEYWARD_UNKNOWN_CACHE_SIZE',
  routesFile: 'KEYWARD_ROUTES_FILE',
  forwardAuthTrusted: 'KEYWARD_FORWARD_AUTH_TRUSTED',
  metricsAllow: 'KEYWARD_METRICS_ALLOW',
  webhookAllowPrivate: 'KEYWARD_WEBHOOK_ALLOW_PRIVATE',
  maxEventLoopDelayMs: 'KEYWARD_MAX_EVENT_LOOP_DELAY_MS',
  maxEventLoopUtilization: 'KEYWARD_MAX_EVENT_LOOP_UTILIZATION',
  maxHeapUsedMb: 'KEYWARD_MAX_HEAP_USED_MB',
  maxRssMb: 'KEYWARD_MAX_RSS_MB',
  redisUrl: 'KEYWARD_REDIS_URL',
} as const;

export class ConfigError extends Error {}

/**
 * Reads configuration: the JSON file named by KEYWARD_CONFIG (keys as in `KEYS`, camelCase, or
 * `policyBounds`/`plansWithoutTokens`), overridden by individual environment variables.
 */
export function loadConfig(env: Env = process.env): Config {
  const file: Record<string, unknown> = env.KEYWARD_CONFIG ? readJson(env.KEYWARD_CONFIG) : {};
  const pick = (key: keyof typeof KEYS): string | undefined => {
    const fromEnv = env[KEYS[key]];
    if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
    const fromFile = file[key];
    return fromFile === undefined || fromFile === null ? undefined : String(fromFile);
  };

  const port = Number(pick('port') ?? 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError(`${KEYS.port} must be a port number`);
  const host = pick('host') ?? '127.0.0.1';
  const tokenPrefix = pick('tokenPrefix') ?? 'kw';
  if (!isValidPrefix(tokenPrefix)) {
    throw new ConfigError(`${KEYS.tokenPrefix} must be 1-16 lowercase letters or digits, starting with a letter`);
  }
  const scopesFile = pick('scopesFile');
  let scopes = DEFAULT_SCOPES;
  if (scopesFile) {
    try {
      scopes = parseScopeCatalog(readJson(scopesFile));
    } catch (error) {
      throw new ConfigError(`${KEYS.scopesFile}: ${(error as Error).message}`);
    }
  }
  const count = (key: 'cacheSize' | 'unknownCacheSize', fallback: number): number => {
    const value = Number(pick(key) ?? fallback);
    if (!Number.isSafeInteger(value) || value < 0) throw new ConfigError(`${KEYS[key]} must be a whole number of entries (0 turns the cache off)`);
    return value;
  };
  const cacheSizes = { records: count('cacheSize', 100_000), unknown: count('unknownCacheSize', 100_000) };
  const routesFile = pick('routesFile');
  let routes: RouteTable;
  try {
    routes = compileRouteTable(routesFile ? readJson(routesFile) : DEVICE_LAB_ROUTES);
  } catch (error) {
    throw new ConfigError(`${KEYS.routesFile}: ${(error as Error).message}`);
  }
  const trustedGateways = addressList(pick('forwardAuthTrusted'), KEYS.forwardAuthTrusted);
  const metricsAllowed = addressList(pick('metricsAllow'), KEYS.metricsAllow);
  const publicUrl = (pick('publicUrl') ?? `http://${host}:${port}`).replace(/\/+$/, '');
  const databaseUrl = databaseUrlOf(pick('databaseUrl'));
  const pepper = pick('pepper') ?? null;
  // Every process of a cluster must digest alike, and the pepper never goes into the database.
  if (databaseUrl !== null && pepper === null) throw new ConfigError(`${KEYS.pepper} is required with ${KEYS.databaseUrl} (cluster mode): every process must hash alike`);
  // The JWT issuer and audience: the address clients reach, the same for every process.
  if (databaseUrl !== null && pick('publicUrl') === undefined) {
    throw new ConfigError(`${KEYS.publicUrl} is required with ${KEYS.databaseUrl} (cluster mode): every process must issue JWTs alike`);
  }
  return {
    port,
    host,
    dataDir: resolve(pick('dataDir') ?? './data'),
    databaseUrl,
    tokenPrefix,
    scopes,
    pepper,
    signingKey: pick('signingKey') ?? null,
    publicUrl,
    publicUrlGiven: pick('publicUrl') !== undefined,
    adminEmail: pick('adminEmail') ?? null,
    adminPassword: pick('adminPassword') ?? null,
    plansWithoutTokens: stringList(file.plansWithoutTokens) ?? ['free'],
    policyBounds: bounds(file.policyBounds),
    usageFlushMs: 15_000,
    creditFlushMs: 1000,
    redisUrl: redisUrlOf(pick('redisUrl')),
    cacheSizes,
    routes,
    trustedGateways,
    metricsAllowed,
    sessionTtlMs: 12 * 3_600_000,
    logLevel: pick('logLevel') ?? 'info',
    secureCookies: publicUrl.startsWith('https://'),
    trustProxy: trustProxy(pick('trustProxy')),
    webhookAllowPrivate: flag(pick('webhookAllowPrivate'), KEYS.webhookAllowPrivate),
    overload: overloadThresholds(pick),
  };
}

function redisUrlOf(value: string | undefined): string | null {
  if (value === undefined) return null;
  if (!/^rediss?:\/\//.test(value)) throw new ConfigError(`${KEYS.redisUrl} must be a redis:// or rediss:// URL`);
  return value;
}

function overloadThresholds(pick: (key: keyof typeof KEYS) => string | undefined): OverloadThresholds {
  const number = (key: keyof typeof KEYS, fallback: number, max = Number.MAX_SAFE_INTEGER): number => {
    const raw = pick(key);
    const value = raw === undefined ? fallback : Number(raw);
    if (!Number.isFinite(value) || value < 0 || value > max) throw new ConfigError(`${KEYS[key]} must be a number from 0 (off) to ${max}`);
    return value;
  };
  const mb = 1024 * 1024;
  const heapUsedMb = pick('maxHeapUsedMb') === undefined ? null : number('maxHeapUsedMb', 0);
  return {
    maxEventLoopDelayMs: number('maxEventLoopDelayMs', 1000),
    maxEventLoopUtilization: number('maxEventLoopUtilization', 0, 1),
    maxHeapUsedBytes: heapUsedMb === null ? Math.floor(getHeapStatistics().heap_size_limit * 0.9) : heapUsedMb * mb,
    maxRssBytes: number('maxRssMb', 0) * mb,
    retryAfterSeconds: 5,
    sampleIntervalMs: 1000,
  };
}

/** `true` or `false`; unset is false, anything else is refused rather than guessed at. */
function flag(value: string | undefined, name: string): boolean {
  if (value === undefined || value === 'false') return false;
  if (value === 'true') return true;
  throw new ConfigError(`${name} must be true or false`);
}

/** A comma-separated list of addresses and CIDRs; loopback when unset. */
function addressList(value: string | undefined, name: string): AddressList {
  try {
    const list = parseAllowlist(value === undefined ? ['127.0.0.0/8', '::1'] : value.split(',').filter((e) => e.trim() !== ''));
    // An empty allowlist allows every address elsewhere; here nothing listed means nobody.
    return { list, allows: list.length === 0 ? () => false : compileAllowlist(list) };
  } catch (error) {
    throw new ConfigError(`${name}: ${(error as Error).message.replace('ip_allowlist entry', 'entry')}`);
  }
}

/** A PostgreSQL URL, or null for the embedded SQLite file; anything else is refused, never ignored. */
function databaseUrlOf(value: string | undefined): string | null {
  if (value === undefined) return null;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(`${KEYS.databaseUrl} is not a URL; give postgres://user@host:5432/database`);
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new ConfigError(`${KEYS.databaseUrl} must be a postgres:// URL (leave it unset for the embedded SQLite file)`);
  }
  if (!url.hostname || url.pathname.length <= 1) throw new ConfigError(`${KEYS.databaseUrl} must name a host and a database`);
  return value;
}

/**
 * `false`, a hop count (how many proxies stand in front: the client is that many entries from the
 * end of X-Forwarded-For) or the proxies' addresses/CIDRs. `true` is refused: it believes the
 * first X-Forwarded-For entry, which the client writes itself, so a spoofed header would pass IP
 * allowlists and buy fresh per-address allowances.
 */
function trustProxy(value: string | undefined): Config['trustProxy'] {
  const expected = 'false, a hop count (1 for one proxy) or the proxies\' addresses/CIDRs, comma-separated';
  if (value === undefined || value === 'false' || value === '0') return false;
  if (value.trim().toLowerCase() === 'true') {
    throw new ConfigError(`${KEYS.trustProxy}=true would believe any client's X-Forwarded-For; give ${expected}`);
  }
  if (/^\d+$/.test(value)) {
    const hops = Number(value);
    if (!Number.isSafeInteger(hops) || hops > 32) throw new ConfigError(`${KEYS.trustProxy} must be ${expected}`);
    return hops;
  }
  let list: string[];
  try {
    list = parseAllowlist(value.split(',').filter((entry) => entry.trim() !== ''));
  } catch (error) {
    throw new ConfigError(`${KEYS.trustProxy} must be ${expected}: ${(error as Error).message.replace('ip_allowlist entry', 'entry')}`);
  }
  if (list.length === 0) throw new ConfigError(`${KEYS.trustProxy} must be ${expected}`);
  return list;
}

function readJson(path: string): Record<string, unknown> {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    throw new ConfigError(`cannot read ${path}: ${(error as Error).message}`);
  }
}

function stringList(value: unknown): string[] | undefined {
  return Array.isArray(value) && value.every((v) => typeof v === 'string') ? value : undefined;
}

function bounds(value: unknown): PolicyBounds {
  if (typeof value !== 'object' || value === null) return DEFAULT_BOUNDS;
  const raw = value as Record<string, unknown>;
  const kinds = stringList(raw.allowed_kinds)?.filter((k): k is TokenKind => (TOKEN_KINDS as readonly string[]).includes(k));
  return {
    max_lifetime_days: typeof raw.max_lifetime_days === 'number' ? raw.max_lifetime_days : DEFAULT_BOUNDS.max_lifetime_days,
    max_tokens_per_user:
      typeof raw.max_tokens_per_user === 'number' ? raw.max_tokens_per_user : DEFAULT_BOUNDS.max_tokens_per_user,
    allowed_kinds: kinds && kinds.length > 0 ? kinds : DEFAULT_BOUNDS.allowed_kinds,
    allow_no_expiration:
      typeof raw.allow_no_expiration === 'boolean' ? raw.allow_no_expiration : DEFAULT_BOUNDS.allow_no_expiration,
    max_rate_limit: typeof raw.max_rate_limit === 'number' ? raw.max_rate_limit : DEFAULT_BOUNDS.max_rate_limit,
  };
}
