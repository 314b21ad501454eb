import { useState } from 'react';
import { api } from '../api.js';
import { useAction } from '../hooks.js';
import { limitsSummary } from '../limits.js';
import type { Org, Token } from '../types.js';
import { ExpiryBadge, ImpersonationTag, KindLabel, ScopeChips, StatusBadge } from './badges.js';
import { ErrorNote } from './problem.js';
import { RenameForm, RevokeDialog, RotateDialog, tokenPath } from './token-dialogs.js';
import { TokenLink } from './token-link.js';
import { When } from './when.js';

type Open = { kind: 'revoke' | 'rotate'; token: Token } | null;

type TokenTableProps = {
  org: Org;
  tokens: Token[];
  onChanged: () => void;
  /** Names by id of owners and of the admins who created impersonation tokens; when given, the table has an Owner column. */
  owners?: Map<string, string>;
  caption: string;
};

/** "100/min · 1,000 credits left" under the scopes, each part kept on one line; nothing without limits. */
function Limits({ token }: { token: Token }) {
  const parts = limitsSummary(token);
  if (parts.length === 0) return null;
  return (
    <span className="secondary-line token-limits">
      {parts.map((part, i) => (
        // Two limits may read alike ("100/min" under two names), so the position is the key.
        <span key={i}>
          {i > 0 ? ' · ' : null}
          <span className="limit-part">{part}</span>
        </span>
      ))}
    </span>
  );
}

/** The token list of "My tokens" and "All tokens", with the per-token actions. Cards on narrow screens. */
export function TokenTable({ org, tokens, onChanged, owners, caption }: TokenTableProps) {
  const [editing, setEditing] = useState<string | null>(null);
  const [open, setOpen] = useState<Open>(null);
  const action = useAction();

  const transition = async (token: Token, to: 'disable' | 'enable') => {
    const result = await action.run(() => api.post<Token>(tokenPath(token, to)));
    if (result) onChanged();
  };

  return (
    <>
      <ErrorNote error={action.error} />
      <div className="table-wrap">
        <table className="token-table responsive">
          <caption className="visually-hidden">{caption}</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              {owners ? <th scope="col">Owner</th> : null}
              <th scope="col">Token</th>
              <th scope="col">Scopes and limits</th>
              <th scope="col">Expires</th>
              <th scope="col">Last used</th>
              <th scope="col">Status</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {tokens.map((token) => {
              const live = token.status === 'active' || token.status === 'disabled';
              return (
                <tr key={token.id} data-token-id={token.id}>
                  <td data-label="Name">
                    {editing === token.id ? (
                      <RenameForm
                        token={token}
                        onCancel={() => setEditing(null)}
                        onDone={() => {
                          setEditing(null);
                          onChanged();
                        }}
                      />
                    ) : (
                      <>
                        <span className="token-name">
                          <TokenLink orgId={token.org_id} tokenId={token.id}>
                            {token.name}
                          </TokenLink>
                        </span>
                        {token.impersonation ? <ImpersonationTag /> : null}
                        {token.description ? <span className="token-description">{token.description}</span> : null}
                      </>
                    )}
                  </td>
                  {owners ? (
                    <td data-label="Owner">
                      {owners.get(token.owner.id) ?? <code>{token.owner.id}</code>}
                      {token.owner.type === 'service_account' ? <span className="secondary-line">service account</span> : null}
                      {token.impersonation ? (
                        <span className="secondary-line">
                          created by {owners.get(token.created_by.id) ?? <code>{token.created_by.id}</code>}
                        </span>
                      ) : null}
                    </td>
                  ) : null}
                  <td data-label="Token">
                    <code className="hint">{token.hint}</code>
                    <span className="secondary-line">
                      <KindLabel kind={token.kind} />
                    </span>
                  </td>
                  <td data-label="Scopes and limits">
                    <ScopeChips scopes={token.scopes} />
                    <Limits token={token} />
                  </td>
                  <td data-label="Expires">
                    {token.expiring_soon && token.expires_at ? <ExpiryBadge expiresAt={token.expires_at} /> : <When iso={token.expires_at} />}
                    <span className="secondary-line">
                      created <When iso={token.created_at} />
                    </span>
                  </td>
                  <td data-label="Last used">
                    <When iso={token.last_used_at} />
                    {token.last_used_ip ? <span className="muted ip">from {token.last_used_ip}</span> : null}
                  </td>
                  <td data-label="Status">
                    <StatusBadge token={token} />
                  </td>
                  <td className="actions-cell">
                    <div className="row-actions">
                      {live && editing !== token.id ? (
                        <button type="button" onClick={() => setEditing(token.id)} aria-label={`Rename ${token.name}`}>
                          Rename
                        </button>
                      ) : null}
                      {token.status === 'active' && !token.replaced_by ? (
                        <button type="button" onClick={() => setOpen({ kind: 'rotate', token })} aria-label={`Rotate ${token.name}`}>
                          Rotate
                        </button>
                      ) : null}
                      {token.status === 'active' ? (
                        <button type="button" disabled={action.busy} onClick={() => transition(token, 'disable')} aria-label={`Disable ${token.name}`}>
                          Disable
                        </button>
                      ) : null}
                      {token.status === 'disabled' ? (
                        <button type="button" disabled={action.busy} onClick={() => transition(token, 'enable')} aria-label={`Enable ${token.name}`}>
                          Enable
                        </button>
                      ) : null}
                      {live ? (
                        <button type="button" className="danger-text" onClick={() => setOpen({ kind: 'revoke', token })} aria-label={`Revoke ${token.name}`}>
                          Revoke
                        </button>
                      ) : null}
                    </div>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      {open?.kind === 'revoke' ? (
        <RevokeDialog
          token={open.token}
          onClose={() => setOpen(null)}
          onDone={() => {
            setOpen(null);
            onChanged();
          }}
        />
      ) : null}
      {open?.kind === 'rotate' ? <RotateDialog token={open.token} org={org} onClose={() => setOpen(null)} onDone={onChanged} /> : null}
    </>
  );
}
