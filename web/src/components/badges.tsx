import { daysUntil, formatDateTime, plural } from '../format.js';
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

/** Inside the org's warning window: the days left, the exact time on hover. */
export function ExpiryBadge({ expiresAt }: { expiresAt: string }) {
  return (
    <span className="badge badge-warning" title={formatDateTime(expiresAt)}>
      Expires in {plural(daysUntil(expiresAt), 'day')}
    </span>
  );
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

export function ScopeChips({ scopes }: { scopes: string[] }) {
  return (
    <ul className="chips" aria-label="Scopes">
      {scopes.map((s) => (
        <li key={s} className="chip">
          {s}
        </li>
      ))}
    </ul>
  );
}
