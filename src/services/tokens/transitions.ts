import { Conflict } from '../../core/errors.js';
import type { Token } from '../../core/model.js';
import { transition, TRANSITION_ACTIONS, type TokenEvent } from '../../core/token-transitions.js';
import type { Executor } from '../../store/db.js';
import { rotationChain, unrevokedTokensOfOwner, updateToken, updateTokenIfNotReplaced } from '../../store/tokens.js';
import { recordAudit, type AuditActor } from '../audit.js';

/** The details each transition's audit event carries, besides what the caller adds. */
function detailsOf(token: Token, event: TokenEvent): Record<string, unknown> {
  switch (event.type) {
    case 'revoke':
    case 'disable':
      return { reason: event.reason };
    case 'enable':
      return { previous_reason: token.disabledReason };
    case 'replace':
      return { successor: event.successorId };
  }
}

/**
 * Applies one event of the token state machine inside the caller's transaction: the write and its
 * audit event together. Returns the token as it is now, the same object when nothing changed;
 * a refused transition is a 409.
 */
export async function applyTransition(
  trx: Executor,
  actor: AuditActor,
  token: Token,
  event: TokenEvent,
  nowMs: number,
  details: Record<string, unknown> = {},
): Promise<Token> {
  const outcome = transition(token, event, nowMs);
  if (outcome.outcome === 'refused') throw new Conflict(outcome.reason);
  if (outcome.outcome === 'unchanged') return token;
  if (event.type === 'replace') {
    // The state was read earlier in this transaction; only one of two racing rotations may win.
    if (!(await updateTokenIfNotReplaced(trx, token.id, outcome.change))) throw new Conflict('This token was already rotated.');
  } else {
    await updateToken(trx, token.id, outcome.change);
  }
  await recordAudit(
    trx,
    actor,
    { orgId: token.orgId, action: TRANSITION_ACTIONS[event.type], target: { type: 'token', id: token.id }, details: { ...detailsOf(token, event), ...details } },
    nowMs,
  );
  return { ...token, ...outcome.change };
}

/**
 * An owner deactivated or removed loses every token they hold in the org (or in every org, with
 * null) at once (DESIGN §1); they are not re-enabled automatically. Returns the disabled ids.
 */
export async function suspendOwnerTokens(trx: Executor, actor: AuditActor, ownerId: string, orgId: string | null, nowMs: number): Promise<string[]> {
  const disabled: string[] = [];
  for (const token of await unrevokedTokensOfOwner(trx, ownerId, orgId, nowMs)) {
    const event: TokenEvent = { type: 'disable', reason: 'owner_deactivated' };
    if (transition(token, event, nowMs).outcome !== 'change') continue;
    await applyTransition(trx, actor, token, event, nowMs);
    disabled.push(token.id);
  }
  return disabled;
}

/**
 * Reuse detection: every still-working token of a rotation chain is revoked, each with its own
 * `token.revoked` (so its webhook fires), after one `token.reuse_detected` that tells the story.
 * Returns their ids.
 */
export async function revokeChain(trx: Executor, actor: AuditActor, start: Token, nowMs: number): Promise<string[]> {
  const event: TokenEvent = { type: 'revoke', reason: 'reuse_detected' };
  const working = (await rotationChain(trx, start)).filter((token) => transition(token, event, nowMs).outcome === 'change');
  if (working.length === 0) return [];
  const revoked = working.map((token) => token.id);
  await recordAudit(
    trx,
    actor,
    { orgId: start.orgId, action: 'token.reuse_detected', target: { type: 'token', id: start.id }, details: { revoked } },
    nowMs,
  );
  for (const token of working) await applyTransition(trx, actor, token, event, nowMs, { reused: start.id });
  return revoked;
}
