import type { Token } from '../core/model.js';
import { mergeRecentIps, noteRecentIp } from '../core/recent-ips.js';
import { bucketStart, HOUR_MS, inRange, type UsageCount, type UsageRange } from '../core/usage-buckets.js';
import type { RecentIp } from '../core/usage-limits.js';
import { VERIFY_CODES, type VerifyCode } from '../core/verify-codes.js';
import type { Db, Executor } from '../store/db.js';
import type { UsageBucketRow } from '../store/schema.js';
import { recordUsage } from '../store/tokens.js';
import { addUsageCounts, deleteExpiredUsage, lockTokensForUsage, setRecentIps } from '../store/usage.js';
import type { Clock } from './clock.js';

export type Usage = { at: number; ip: string | null };

/** Each code's place in an hour's counts. */
const CODE_INDEX = Object.fromEntries(VERIFY_CODES.map((code, i) => [code, i])) as Record<VerifyCode, number>;

/** One token's verify outcomes in one UTC hour, by code (in VERIFY_CODES order). */
export type HourCounts = { hour: number; orgId: string; impersonation: boolean; counts: number[] };

/** What this process saw of one token since the last flush. */
type Pending = {
  /** The latest use (a VALID verify), for last_used_at/last_used_ip; null when only outcomes were counted. */
  use: Usage | null;
  /** Distinct addresses of its uses, newest first, at most RECENT_IPS. */
  recentIps: RecentIp[];
  /** The hour being counted, and hours before it that a flush has not taken yet. */
  current: HourCounts | null;
  earlier: HourCounts[];
};

/**
 * What the verify path learns of tokens — last-used times, recent addresses and the outcome counts
 * of usage analytics — kept in memory and written in batches, so verifying never waits on a
 * write. Lists and usage queries merge the pending entries, so they are fresher than the flush.
 *
 * A verify of a token seen lately costs one Map lookup (none when it is the token the last call
 * was about: `record` and `count` of one verify share the lookup) and an increment in place.
 */
export class UsageRecorder {
  private pending = new Map<string, Pending>();
  /** The entry the last call touched: the same verify's `count` after `record`, or a hot token. */
  private lastId: string | null = null;
  private last: Pending | null = null;
  private timer: NodeJS.Timeout | null = null;
  private nextSweepAt = 0;

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  /** A use of the token (a VALID verify): its time and client address. */
  record(tokenId: string, at: number, ip: string | null): void {
    const entry = this.entry(tokenId);
    const use = entry.use;
    if (use === null) entry.use = { at, ip };
    else if (use.at < at) {
      // In place: a hot token's every verify would otherwise allocate.
      use.at = at;
      use.ip = ip;
    }
    if (ip !== null) noteRecentIp(entry.recentIps, ip, at);
  }

  /** One verify outcome of a known token, in its UTC hour. */
  count(token: Token, code: VerifyCode, at: number): void {
    const entry = this.entry(token.id);
    const hour = bucketStart('hour', at);
    const counts = entry.current !== null && entry.current.hour === hour ? entry.current : this.hourOf(entry, token, hour);
    counts.counts[CODE_INDEX[code]]! += 1;
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  /** The unflushed use of a token, if any. */
  peek(tokenId: string): Usage | undefined {
    return this.pending.get(tokenId)?.use ?? undefined;
  }

  /** A token's recent addresses as stored, with the unflushed ones merged in. */
  recentIps(tokenId: string, stored: readonly RecentIp[]): RecentIp[] {
    return mergeRecentIps(stored, this.pending.get(tokenId)?.recentIps ?? []);
  }

  /** Unflushed counts in the range, of the tokens `include` picks, by the range's granularity. */
  unflushedCounts(range: UsageRange, include: (tokenId: string, hour: HourCounts) => boolean): UsageCount[] {
    const found: UsageCount[] = [];
    for (const [tokenId, entry] of this.pending) {
      for (const hour of hoursOf(entry)) {
        const start = bucketStart(range.granularity, hour.hour);
        if (!inRange(range, start) || !include(tokenId, hour)) continue;
        hour.counts.forEach((count, i) => {
          if (count > 0) found.push({ tokenId, bucketStart: start, code: VERIFY_CODES[i]!, count });
        });
      }
    }
    return found;
  }

  /**
   * Writes what is pending in one transaction: last-used times, recent addresses merged into the
   * stored ones, and the counts added into their hour and day buckets. A failed write puts the
   * batch back (merged with what came meanwhile), so it is written by the next flush.
   */
  async flush(): Promise<void> {
    if (this.pending.size === 0) return;
    const taken = this.pending;
    this.pending = new Map();
    this.lastId = null;
    this.last = null;
    try {
      await this.db.transaction().execute((trx) => writeBatch(trx, taken));
    } catch (error) {
      for (const [id, entry] of taken) this.absorb(id, entry);
      throw error;
    }
  }

  /** Drops buckets past their retention; at most once an hour from the timer. */
  async sweep(): Promise<number> {
    const now = this.clock.now();
    this.nextSweepAt = now + HOUR_MS;
    return deleteExpiredUsage(this.db, now);
  }

  start(intervalMs: number, onError: (error: unknown) => void): void {
    this.timer = setInterval(() => this.tick().catch(onError), intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.flush();
  }

  /** What the timer does: flush, and sweep when an hour has passed since the last sweep. */
  async tick(): Promise<void> {
    await this.flush();
    if (this.clock.now() >= this.nextSweepAt) await this.sweep();
  }

  private entry(tokenId: string): Pending {
    if (this.lastId === tokenId) return this.last!;
    let entry = this.pending.get(tokenId);
    if (entry === undefined) {
      entry = { use: null, recentIps: [], current: null, earlier: [] };
      this.pending.set(tokenId, entry);
    }
    this.lastId = tokenId;
    this.last = entry;
    return entry;
  }

  /**
   * The counts of an hour other than the current one: a new hour starts (the old one waits for the
   * flush), or a verify that waited on the store finishes after the hour turned and counts late.
   */
  private hourOf(entry: Pending, token: Token, hour: number): HourCounts {
    if (entry.current !== null && entry.current.hour > hour) {
      const late = entry.earlier.find((h) => h.hour === hour);
      if (late !== undefined) return late;
      const counts = emptyHour(token.orgId, token.impersonation, hour);
      entry.earlier.push(counts);
      return counts;
    }
    if (entry.current !== null) entry.earlier.push(entry.current);
    return (entry.current = emptyHour(token.orgId, token.impersonation, hour));
  }

  /** Merges an entry a failed flush took back into what is pending now. */
  private absorb(tokenId: string, taken: Pending): void {
    if (taken.use !== null) this.record(tokenId, taken.use.at, taken.use.ip);
    const entry = this.entry(tokenId);
    entry.recentIps = mergeRecentIps(entry.recentIps, taken.recentIps);
    for (const hour of hoursOf(taken)) {
      const into = entry.current?.hour === hour.hour ? entry.current : entry.earlier.find((h) => h.hour === hour.hour);
      if (into === undefined) entry.earlier.push(hour);
      else hour.counts.forEach((count, i) => (into.counts[i]! += count));
    }
  }
}

function emptyHour(orgId: string, impersonation: boolean, hour: number): HourCounts {
  return { hour, orgId, impersonation, counts: VERIFY_CODES.map(() => 0) };
}

function hoursOf(entry: Pending): HourCounts[] {
  return entry.current === null ? entry.earlier : [...entry.earlier, entry.current];
}

/**
 * One flush. The tokens it touches are locked first, in id order, then the buckets are written
 * in key order: two processes flushing at once take their locks in the same order.
 */
async function writeBatch(trx: Executor, taken: ReadonlyMap<string, Pending>): Promise<void> {
  const used = [...taken].filter(([, entry]) => entry.use !== null);
  const tokens = await lockTokensForUsage(trx, used.map(([id]) => id));
  await recordUsage(trx, tokens.map((token) => ({ id: token.id, ...taken.get(token.id)!.use! })));
  for (const token of tokens) {
    const pendingIps = taken.get(token.id)!.recentIps;
    if (pendingIps.length > 0) await setRecentIps(trx, token.id, mergeRecentIps(token.recentIps, pendingIps));
  }
  await addUsageCounts(trx, bucketRows(taken));
}

/** Each hour's counts into its hour bucket and its day bucket, one row per bucket and code. */
function bucketRows(taken: ReadonlyMap<string, Pending>): UsageBucketRow[] {
  const rows = new Map<string, UsageBucketRow>();
  for (const [tokenId, entry] of taken) {
    for (const hour of hoursOf(entry)) {
      hour.counts.forEach((count, i) => {
        if (count === 0) return;
        const code = VERIFY_CODES[i]!;
        for (const granularity of ['hour', 'day'] as const) {
          const start = bucketStart(granularity, hour.hour);
          // Hours of one day meet in one day row: an upsert may not touch a row twice.
          const key = `${tokenId} ${granularity} ${start} ${code}`;
          const row = rows.get(key);
          if (row !== undefined) row.count += count;
          else rows.set(key, { token_id: tokenId, org_id: hour.orgId, granularity, bucket_start: start, code, count });
        }
      });
    }
  }
  return [...rows.values()];
}
