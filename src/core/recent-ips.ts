import { RECENT_IPS, type RecentIp } from './usage-limits.js';

/**
 * A token's recent client addresses (DESIGN §1 "Usage analytics"): the last RECENT_IPS distinct
 * addresses of its uses, newest first, each with when it was last seen.
 */

/**
 * Notes a use from `ip` in `list`, in place. A token mostly sees the address it saw last: that
 * costs one comparison and allocates nothing. Uses may arrive out of order (a verify that waited on
 * the store finishes after a later one), so the list is kept sorted by time, not by arrival.
 */
export function noteRecentIp(list: RecentIp[], ip: string, at: number): void {
  const newest = list[0];
  if (newest !== undefined && newest.ip === ip) {
    if (at > newest.lastSeenAt) newest.lastSeenAt = at;
    return;
  }
  const known = list.find((r) => r.ip === ip);
  if (known === undefined) list.push({ ip, lastSeenAt: at });
  else if (at > known.lastSeenAt) known.lastSeenAt = at;
  list.sort(newestFirst);
  if (list.length > RECENT_IPS) list.length = RECENT_IPS;
}

/** Both lists as one: each address once, at its latest time, newest first, at most RECENT_IPS. */
export function mergeRecentIps(a: readonly RecentIp[], b: readonly RecentIp[]): RecentIp[] {
  if (b.length === 0) return [...a];
  const merged: RecentIp[] = a.map((r) => ({ ...r }));
  for (const r of b) noteRecentIp(merged, r.ip, r.lastSeenAt);
  return merged;
}

const newestFirst = (x: RecentIp, y: RecentIp) => y.lastSeenAt - x.lastSeenAt;
