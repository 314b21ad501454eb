import type { LeakCandidate, LeakReceipt, LeakReport } from '../../contract/index.js';
import { RateLimited } from '../../core/errors.js';
import type { Token } from '../../core/model.js';
import { apiKeyPattern } from '../../core/token-format.js';
import { tokenStatus } from '../../core/token-status.js';
import type { TokenEvent } from '../../core/token-transitions.js';
import { findTokenForUpdate } from '../../store/tokens.js';
import type { RequestMeta } from '../access.js';
import { recordAudit, systemActor, type AuditActor } from '../audit.js';
import type { ServiceContext } from '../context.js';
import { enforceLimit } from '../sessions.js';
import { hashedToken } from './issue.js';
import { findPresentedToken } from './rotation.js';
import { applyTransition } from './transitions.js';

/**
 * Leaked tokens (DESIGN §1): anyone — GitHub's secret scanning, `keyward scan --report`, a person —
 * reports candidate strings; each that is a token of this deployment still able to work is revoked
 * and audited as `token.leaked`. The answer is the same whatever the candidates were, and it is
 * sent before any candidate is looked at (see LeakReportQueue), so neither its body nor its timing
 * tells a reporter which candidates were tokens.
 */

const LEAKED: TokenEvent = { type: 'revoke', reason: 'leaked' };

/** Seconds a reporter is told to wait while too many reported candidates are still waiting. */
const BUSY_RETRY_SECONDS = 5;

/** How much of what a reporter says the audit event keeps. */
const KEPT = { url: 1024, source: 100, type: 100 } as const;

/** A candidate once, however often the report names it; where it was first reported, and how often. */
type DistinctCandidate = Pick<LeakCandidate, 'token' | 'url' | 'source' | 'type'> & { occurrences: number };

/**
 * Refuses a report from an address over its limit before its body is read, and counts it: every
 * report counts, malformed ones too, so the endpoint cannot be used to guess at speed.
 */
export function admitLeakReport(ctx: ServiceContext, meta: RequestMeta): void {
  const key = meta.ip ?? 'unknown';
  const now = ctx.clock.now();
  enforceLimit(ctx.limits.leakReportsByIp, key, now);
  ctx.limits.leakReportsByIp.hit(key, now);
}

/**
 * `POST /api/v1/leaks`: queues the report and answers how many candidates it held. Nothing here
 * depends on what the candidates are; the work happens after the answer.
 */
export function receiveLeakReport(ctx: ServiceContext, report: LeakReport, meta: RequestMeta): LeakReceipt {
  const candidates = distinctCandidates(report);
  if (!ctx.leakReports.hasRoomFor(candidates.length)) {
    throw new RateLimited(BUSY_RETRY_SECONDS, 'Too many reported candidates are waiting to be processed; try again shortly.');
  }
  ctx.leakReports.add(
    candidates.length,
    () => processLeakReport(ctx, candidates, meta),
    (error) => ctx.log.error({ err: error }, 'a leak report could not be processed'),
  );
  return { received: report.length };
}

/** Each candidate in turn; one that fails (the store, say) is logged and the others still go. Returns the revoked ids. */
async function processLeakReport(ctx: ServiceContext, candidates: readonly DistinctCandidate[], meta: RequestMeta): Promise<string[]> {
  const actor = systemActor(meta);
  const revoked: string[] = [];
  for (const candidate of candidates) {
    try {
      const id = await revokeLeakedToken(ctx, actor, candidate);
      if (id !== null) revoked.push(id);
    } catch (error) {
      ctx.log.error({ err: error }, 'a reported candidate could not be processed');
    }
  }
  if (revoked.length > 0) ctx.log.info({ revoked, candidates: candidates.length }, 'revoked tokens reported leaked');
  return revoked;
}

/**
 * Revokes the token a candidate is, if it can still work: active, or disabled (which could be
 * enabled again). Expired, revoked, unknown and malformed candidates change nothing. The state is
 * read again under lock, so a token reported to two processes at once is revoked and audited once.
 */
async function revokeLeakedToken(ctx: ServiceContext, actor: AuditActor, candidate: DistinctCandidate): Promise<string | null> {
  const presented = await findPresentedToken(ctx, candidate.token);
  if (!presented) return null;
  const now = ctx.clock.now();
  const revoked = await ctx.db.transaction().execute(async (trx) => {
    const token = await findTokenForUpdate(trx, presented.id);
    if (!token || !mayStillWork(token, now)) return false;
    await applyTransition(trx, actor, token, LEAKED, now, { via: 'leak_report' });
    // After the revocation, so whatever `token.leaked` sets off (its webhook) sees the token revoked.
    await recordAudit(
      trx,
      actor,
      { orgId: token.orgId, action: 'token.leaked', target: { type: 'token', id: token.id }, details: leakDetails(ctx, candidate) },
      now,
    );
    return true;
  });
  if (!revoked) return null;
  ctx.invalidate.token(presented.id);
  return presented.id;
}

function mayStillWork(token: Token, nowMs: number): boolean {
  const status = tokenStatus(token, nowMs);
  return status === 'active' || status === 'disabled';
}

/**
 * What the audit keeps of a report: where and by whom it was found, truncated and with anything
 * token-shaped blotted out, and the token's SHA-256 (GitHub's `hashed_token`); never the token.
 */
function leakDetails(ctx: ServiceContext, candidate: DistinctCandidate): Record<string, unknown> {
  const keep = (text: string | undefined, max: number) => kept(text, max, candidate.token, ctx.config.tokenPrefix);
  return {
    url: keep(candidate.url, KEPT.url),
    source: keep(candidate.source, KEPT.source),
    type: keep(candidate.type, KEPT.type),
    hashed_token: hashedToken(candidate.token),
    ...(candidate.occurrences > 1 ? { occurrences: candidate.occurrences } : {}),
  };
}

function distinctCandidates(report: readonly LeakCandidate[]): DistinctCandidate[] {
  const byToken = new Map<string, DistinctCandidate>();
  for (const item of report) {
    const seen = byToken.get(item.token);
    if (seen) seen.occurrences += 1;
    else byToken.set(item.token, { token: item.token, url: item.url, source: item.source, type: item.type, occurrences: 1 });
  }
  return [...byToken.values()];
}

const JWT_SHAPED = /eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/g;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

/**
 * A reporter's text as the audit log may hold it: the reported token and anything shaped like a
 * token of this deployment replaced, no control characters, at most `max` characters.
 */
function kept(text: string | undefined, max: number, token: string, prefix: string): string | null {
  if (text === undefined) return null;
  const clean = text
    .split(token)
    .join('[token]')
    .replace(apiKeyPattern(prefix), '[token]')
    .replace(JWT_SHAPED, '[token]')
    .replace(CONTROL, '')
    .trim();
  return clean === '' ? null : [...clean].slice(0, max).join('');
}
