import { iso, isoRequired } from '../core/time.js';
import { effectiveEnd, isExpiringSoon, tokenStatus, type StatusFields, type TokenStatus } from '../core/token-status.js';
import type { TokenKind } from '../core/policy.js';
import type { TokenRow } from '../store/schema.js';
import type { Usage } from './usage.js';

/** A token as every client sees it (DESIGN §4 "Token object"): metadata only, never the secret. */
export type TokenView = {
  id: string;
  org_id: string;
  name: string;
  description: string | null;
  kind: TokenKind;
  scopes: string[];
  hint: string;
  owner: { type: 'user' | 'service_account'; id: string };
  created_by: { id: string };
  impersonation: boolean;
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
  last_used_ip: string | null;
  status: TokenStatus;
  expiring_soon: boolean;
  revoked_at: string | null;
  disabled_reason: string | null;
  ip_allowlist: string[];
  rotated_from: string | null;
  replaced_by: string | null;
};

const num = (value: number | null) => (value === null ? null : Number(value));

/** The times a token's status is computed from (PostgreSQL hands bigints back as strings). */
export function statusFieldsOf(row: TokenRow): StatusFields {
  return { expiresAt: num(row.expires_at), revokedAt: num(row.revoked_at), disabledAt: num(row.disabled_at) };
}

export function toTokenView(
  row: TokenRow,
  options: { nowMs: number; warningWindowDays: number; ownerType: 'user' | 'service_account'; pendingUsage?: Usage | undefined },
): TokenView {
  const fields = statusFieldsOf(row);
  const status = tokenStatus(fields, options.nowMs);
  // Buffered usage not yet flushed is newer than the row's.
  const pending = options.pendingUsage;
  const lastUsedAt = pending && pending.at > Number(row.last_used_at ?? 0) ? pending.at : num(row.last_used_at);
  const lastUsedIp = pending && pending.at > Number(row.last_used_at ?? 0) ? pending.ip : row.last_used_ip;
  return {
    id: row.id,
    org_id: row.org_id,
    name: row.name,
    description: row.description,
    kind: row.kind,
    scopes: JSON.parse(row.scopes) as string[],
    hint: row.hint,
    owner: { type: options.ownerType, id: row.owner_id },
    created_by: { id: row.created_by },
    impersonation: row.impersonation === 1,
    created_at: isoRequired(row.created_at),
    // A rotated-away token ends with its grace period; clients see that as its expiry. A revoked
    // token shows the expiry it had (its revocation time is in revoked_at).
    expires_at: iso(status === 'revoked' ? fields.expiresAt : effectiveEnd(fields)),
    last_used_at: iso(lastUsedAt),
    last_used_ip: lastUsedIp,
    status,
    expiring_soon: isExpiringSoon(fields, options.warningWindowDays, options.nowMs),
    revoked_at: status === 'revoked' ? iso(fields.revokedAt) : null,
    disabled_reason: status === 'disabled' ? row.disabled_reason : null,
    ip_allowlist: JSON.parse(row.ip_allowlist) as string[],
    rotated_from: row.rotated_from,
    replaced_by: row.replaced_by,
  };
}
