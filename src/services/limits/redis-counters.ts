import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import { slotLength } from '../../core/sliding-window.js';
import type { LimitStatus } from '../../core/limit-status.js';
import type { LimitSubject } from '../../core/usage-limits.js';
import { COUNTERS_UNAVAILABLE, creditKey, type Admission, type CounterState, type CreditCount, type UsageCounters } from './counters.js';

/**
 * The sliding window of `core/sliding-window.ts` and the credits, checked and spent in one script
 * so two processes never both take the last use: each limit is a hash of slot → count, the
 * credits a counter seeded from the store the first time a period is seen. Answers
 * {code, wait ms, credits left, remaining and reset ms per limit}; code 0 admitted, 1 rate
 * limited, 2 out of credits.
 */
const ADMIT = `
local now = tonumber(ARGV[1])
local cost = tonumber(ARGV[2])
local n = tonumber(ARGV[3])
local wait = 0
local state = {}
for i = 1, n do
  local base = 3 + (i - 1) * 3
  local limit = tonumber(ARGV[base + 1])
  local window = tonumber(ARGV[base + 2])
  local slotMs = tonumber(ARGV[base + 3])
  local oldest = math.floor((now - window) / slotMs)
  local flat = redis.call('HGETALL', KEYS[i])
  local slots, counts, used = {}, {}, 0
  for j = 1, #flat, 2 do
    local s = tonumber(flat[j])
    if s < oldest then
      redis.call('HDEL', KEYS[i], flat[j])
    else
      slots[#slots + 1] = s
      counts[s] = tonumber(flat[j + 1])
      used = used + counts[s]
    end
  end
  table.sort(slots)
  local reset = 0
  if #slots > 0 then reset = (slots[1] + 1) * slotMs + window - now end
  state[i] = { used, reset, limit, slotMs, window }
  if used + cost > limit then
    local w = window
    if cost <= limit then
      local freed = 0
      for _, s in ipairs(slots) do
        freed = freed + counts[s]
        if used - freed + cost <= limit then
          w = math.max(1, (s + 1) * slotMs + window - now)
          break
        end
      end
    end
    if w > wait then wait = w end
  end
end
local credits = -1
local hasCredits = ARGV[3 + n * 3 + 1] ~= ''
if hasCredits then
  local ck = KEYS[n + 1]
  local ttl = tonumber(ARGV[3 + n * 3 + 2])
  local current = redis.call('GET', ck)
  if current then
    credits = tonumber(current)
  else
    credits = tonumber(ARGV[3 + n * 3 + 1])
    redis.call('SET', ck, credits, 'PX', ttl)
  end
end
local code = 0
if wait > 0 then
  code = 1
elseif hasCredits and (credits <= 0 or credits < cost) then
  code = 2
else
  for i = 1, n do
    local slot = math.floor(now / state[i][4])
    redis.call('HINCRBY', KEYS[i], slot, cost)
    redis.call('PEXPIRE', KEYS[i], state[i][5] + state[i][4])
    state[i][1] = state[i][1] + cost
    if state[i][2] == 0 then state[i][2] = (slot + 1) * state[i][4] + state[i][5] - now end
  end
  if hasCredits and cost > 0 then
    credits = redis.call('DECRBY', KEYS[n + 1], cost)
  end
end
local out = { code, wait, credits }
for i = 1, n do
  out[#out + 1] = math.max(0, state[i][3] - state[i][1])
  out[#out + 1] = state[i][2]
end
return out
`;

/** One more in a window's count, which expires with the window. */
const ADD = `
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n
`;

/** How long Redis keeps a credit counter nobody uses: past its period, or a month without a refill. */
const IDLE_CREDITS_MS = 31 * 86_400_000;

type AdmitCommand = (numKeys: number, ...args: (string | number)[]) => Promise<number[]>;
type AddCommand = (numKeys: number, key: string, ttlMs: number) => Promise<number>;

/**
 * Counters in Redis (`KEYWARD_REDIS_URL`): every process of a cluster enforces the same limits.
 * When Redis cannot be reached, limited tokens fail closed (RATE_LIMITED) at once rather than
 * queueing: the client neither queues offline commands nor retries them.
 */
export class RedisCounters implements UsageCounters {
  private readonly redis: Redis;
  private readonly admitCommand: AdmitCommand;
  private readonly addCommand: AddCommand;
  private readonly seen = new Map<string, CreditCount & { dirty: boolean }>();

  constructor(
    url: string,
    private readonly onError: (error: unknown) => void,
    private readonly prefix = 'kw:',
  ) {
    this.redis = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 0, commandTimeout: 1000, lazyConnect: true });
    this.redis.on('error', (error: unknown) => this.onError(error));
    this.redis.defineCommand('keywardAdmit', { lua: ADMIT });
    this.redis.defineCommand('keywardAdd', { lua: ADD });
    const commands = this.redis as unknown as { keywardAdmit: AdmitCommand; keywardAdd: AddCommand };
    this.admitCommand = commands.keywardAdmit.bind(this.redis);
    this.addCommand = commands.keywardAdd.bind(this.redis);
  }

  /** Connects once; a Redis that is down now is retried in the background, failing closed meanwhile. */
  async start(): Promise<void> {
    await this.redis.connect().catch((error: unknown) => this.onError(error));
  }

  get state(): CounterState {
    return this.redis.status === 'ready' ? 'live' : 'degraded';
  }

  async admit(subject: LimitSubject, cost: number, nowMs: number): Promise<Admission> {
    const keys = subject.rateLimits.map((l) => `${this.prefix}rl:{${subject.key}}:${l.name}`);
    const args: (string | number)[] = [nowMs, cost, subject.rateLimits.length];
    for (const l of subject.rateLimits) args.push(l.limit, l.window_seconds * 1000, slotLength(l.window_seconds * 1000));
    const credits = subject.credits;
    if (credits) {
      keys.push(`${this.prefix}cr:{${subject.key}}:${credits.version}:${credits.period}`);
      args.push(credits.seed, credits.refillAt === null ? IDLE_CREDITS_MS : credits.refillAt - nowMs + 86_400_000);
    } else args.push('', 0);
    let reply: number[];
    try {
      reply = await this.admitCommand(keys.length, ...keys, ...args);
    } catch (error) {
      this.onError(error);
      return COUNTERS_UNAVAILABLE;
    }
    const [code = 1, waitMs = 1000, remaining = -1] = reply;
    const rateLimits: LimitStatus[] = subject.rateLimits.map((l, i) => ({
      name: l.name,
      limit: l.limit,
      window_seconds: l.window_seconds,
      remaining: Number(reply[3 + i * 2] ?? 0),
      reset_seconds: Math.ceil(Number(reply[4 + i * 2] ?? 0) / 1000),
    }));
    if (credits) this.noteCredits(subject.key, credits.version, credits.period, Number(remaining), code === 0 && cost > 0);
    const left = credits ? Number(remaining) : null;
    if (code === 1) return { code: 'RATE_LIMITED', retryAfterSeconds: Math.ceil(Number(waitMs) / 1000), rateLimits, remaining: left };
    if (code === 2) {
      const refillAt = credits?.refillAt ?? null;
      return { code: 'USAGE_EXCEEDED', retryAfterSeconds: refillAt === null ? null : Math.ceil((refillAt - nowMs) / 1000), rateLimits, remaining: left };
    }
    return { code: 'VALID', retryAfterSeconds: 0, rateLimits, remaining: left };
  }

  drainCredits(): CreditCount[] {
    const out: CreditCount[] = [];
    for (const [id, seen] of this.seen) {
      if (seen.dirty) out.push({ key: seen.key, version: seen.version, period: seen.period, remaining: seen.remaining });
      this.seen.delete(id);
    }
    return out;
  }

  peekCredits(key: string, version: number, period: number): number | undefined {
    return this.seen.get(creditKey(key, version, period))?.remaining;
  }

  async addShared(key: string, windowMs: number, nowMs: number): Promise<number | null> {
    try {
      return await this.addCommand(1, this.sharedKey(key, windowMs, nowMs), windowMs);
    } catch (error) {
      this.onError(error);
      return null;
    }
  }

  async clearShared(key: string, windowMs: number, nowMs: number): Promise<void> {
    try {
      await this.redis.del(this.sharedKey(key, windowMs, nowMs));
    } catch (error) {
      this.onError(error);
    }
  }

  /**
   * Shared counts are kept in fixed windows, the same on every process, under a hash of their key:
   * keys name emails and client addresses, which Redis has no need to hold.
   */
  private sharedKey(key: string, windowMs: number, nowMs: number): string {
    return `${this.prefix}n:${createHash('sha256').update(key).digest('base64url').slice(0, 32)}:${Math.floor(nowMs / windowMs)}`;
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }

  private noteCredits(key: string, version: number, period: number, remaining: number, spent: boolean): void {
    const id = creditKey(key, version, period);
    const seen = this.seen.get(id);
    if (seen) {
      seen.remaining = Math.min(seen.remaining, remaining);
      seen.dirty ||= spent;
    } else this.seen.set(id, { key, version, period, remaining, dirty: spent });
  }
}
