import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mergeRecentIps, noteRecentIp } from '../../src/core/recent-ips.js';
import { RECENT_IPS, type RecentIp } from '../../src/core/usage-limits.js';

const uses = fc.array(fc.record({ ip: fc.constantFrom('192.0.2.1', '192.0.2.2', '192.0.2.3', '192.0.2.4', '192.0.2.5', '192.0.2.6', '2001:db8::1'), at: fc.nat(1000) }), { maxLength: 40 });

/** What the list must hold after the uses: each address at its latest time, the newest RECENT_IPS. */
function expected(list: { ip: string; at: number }[]): RecentIp[] {
  const latest = new Map<string, number>();
  for (const u of list) latest.set(u.ip, Math.max(latest.get(u.ip) ?? -1, u.at));
  return [...latest].map(([ip, lastSeenAt]) => ({ ip, lastSeenAt })).sort((a, b) => b.lastSeenAt - a.lastSeenAt);
}

const times = (list: RecentIp[]) => list.map((r) => r.lastSeenAt);

describe('recent client addresses', () => {
  it('keeps the newest distinct addresses at their latest times, in any order of arrival', () => {
    fc.assert(
      fc.property(uses, (list) => {
        const recent: RecentIp[] = [];
        for (const u of list) noteRecentIp(recent, u.ip, u.at);
        const want = expected(list);
        expect(recent.length).toBe(Math.min(want.length, RECENT_IPS));
        expect(new Set(recent.map((r) => r.ip)).size).toBe(recent.length);
        // Ties in time may order either way; the times are exactly the newest ones.
        expect(times(recent)).toEqual(times(want).slice(0, RECENT_IPS));
        for (const r of recent) if (want.findIndex((w) => w.lastSeenAt === r.lastSeenAt) < RECENT_IPS) expect(want).toContainEqual(r);
      }),
    );
  });

  it('merges a stored and a pending list as if their uses had been noted in one', () => {
    fc.assert(
      fc.property(uses, uses, (a, b) => {
        const stored: RecentIp[] = [];
        for (const u of a) noteRecentIp(stored, u.ip, u.at);
        const pending: RecentIp[] = [];
        for (const u of b) noteRecentIp(pending, u.ip, u.at);
        const before = structuredClone(stored);
        const merged = mergeRecentIps(stored, pending);
        expect(stored).toEqual(before);
        expect(times(merged)).toEqual(times(expected([...a, ...b])).slice(0, RECENT_IPS));
      }),
    );
  });
});
