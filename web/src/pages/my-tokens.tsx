import { useState } from 'react';
import { orgPath, query } from '../api.js';
import { CreateTokenDialog } from '../components/create-token-dialog.js';
import { LoadMore } from '../components/list-footer.js';
import { ErrorNote, Loading } from '../components/problem.js';
import { TokenTable } from '../components/token-table.js';
import { usePagedList, useReloadOnReturn } from '../hooks.js';
import { useOrg } from '../session.js';
import type { Token, TokenStatus } from '../types.js';

export const STATUS_FILTERS: { value: '' | TokenStatus; label: string }[] = [
  { value: '', label: 'Any status' },
  { value: 'active', label: 'Active' },
  { value: 'disabled', label: 'Disabled' },
  { value: 'expired', label: 'Expired' },
  { value: 'revoked', label: 'Revoked' },
];

/** Why a person cannot create tokens here, or null when they can. */
export function creationBlocker(tokensEnabled: boolean, plan: string, canCreate: boolean): string | null {
  if (!tokensEnabled) return `The ${plan} plan of this organization does not include API tokens. Ask your site admin to change the plan.`;
  if (!canCreate) return 'Self-service tokens are turned off in this organization: ask an admin to create a token for you.';
  return null;
}

export function MyTokensPage() {
  const { org, can } = useOrg();
  const [status, setStatus] = useState<'' | TokenStatus>('');
  const [creating, setCreating] = useState(false);
  const list = usePagedList<Token>(orgPath(org.id, `/tokens${query({ owner: 'me', status })}`));
  useReloadOnReturn(list.reload);
  const blocker = creationBlocker(org.tokens_enabled, org.plan, can('tokens.create'));
  const active = list.items?.filter((t) => t.status === 'active').length ?? 0;

  return (
    <section aria-labelledby="my-tokens-title">
      <div className="page-head">
        <h1 id="my-tokens-title">My tokens</h1>
        {blocker ? null : (
          <button type="button" className="primary" onClick={() => setCreating(true)}>
            Create token
          </button>
        )}
      </div>
      <p className="lead">
        Personal access tokens for scripts, CI/CD pipelines and command-line tools. They act as you, limited to their scopes.
        {status === '' && list.items ? ` ${active} of at most ${org.token_policy.max_tokens_per_user} active.` : ''}
      </p>
      {blocker ? <p className="notice">{blocker}</p> : null}
      <div className="filters">
        <label>
          Status{' '}
          <select value={status} onChange={(e) => setStatus(e.target.value as '' | TokenStatus)}>
            {STATUS_FILTERS.map((f) => (
              <option key={f.value} value={f.value}>
                {f.label}
              </option>
            ))}
          </select>
        </label>
      </div>
      <ErrorNote error={list.error} title="Your tokens could not be loaded." />
      {list.items === undefined ? (
        list.loading ? <Loading /> : null
      ) : list.items.length === 0 ? (
        <div className="empty">
          <h2>{status ? 'No tokens match this filter' : 'You have no tokens yet'}</h2>
          <p>{status ? 'Try another status.' : 'Create a token to call the API from a script or a pipeline. Its secret is shown once, when you create it.'}</p>
          {!status && !blocker ? (
            <button type="button" className="primary" onClick={() => setCreating(true)}>
              Create your first token
            </button>
          ) : null}
        </div>
      ) : (
        <>
          <TokenTable org={org} tokens={list.items} onChanged={list.reload} caption="My tokens" />
          <LoadMore hasMore={list.hasMore} loading={list.loadingMore} onClick={list.loadMore} />
        </>
      )}
      {creating ? <CreateTokenDialog org={org} target={{ type: 'self' }} onClose={() => setCreating(false)} onCreated={list.reload} /> : null}
    </section>
  );
}
