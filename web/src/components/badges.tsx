import { daysUntil, plural } from '../format.js';
import type { Token } from '../types.js';

const STATUS_LABEL: Record<Token['status'], string> = {
  active: 'Active',
  expired: 'Expired',
  revoked: 'Revoked',
  disabled: 'Disabled',
};

export function StatusBadge({ token }: { token: Token }) {
  const rotated = token.status === 'active' && token.replaced_by !== null;
  return (
    <span className={`badge badge-${token.status}`} title={token.disabled_reason ? `Disabled: ${token.disabled_reason.replace(/_/g, ' ')}` : undefined}>
      {rotated ? 'Active (rotated)' : STATUS_LABEL[token.status]}
    </span>
  );
}

/** "Expires in N days" inside the warning window, "Expired" once past. */
export function ExpiryBadge({ token }: { token: Token }) {
  if (token.status === 'expired') return <span className="badge badge-expired">Expired</span>;
  if (token.expiring_soon && token.expires_at) {
    return <span className="badge badge-warning">Expires in {plural(daysUntil(token.expires_at), 'day')}</span>;
  }
  return null;
}

export function ImpersonationTag() {
  return (
    <span className="badge badge-impersonation" title="Created by an admin on behalf of this member">
      Impersonation
    </span>
  );
}

export function KindLabel({ kind }: { kind: Token['kind'] }) {
  return <span className="kind">{kind === 'jwt' ? 'JWT' : 'API key'}</span>;
}
