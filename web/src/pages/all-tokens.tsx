import { useId, useState } from 'react';
import { orgPath, query } from '../api.js';
import { LoadMore } from '../components/list-footer.js';
import { ErrorNote, Loading } from '../components/problem.js';
import { TokenTable } from '../components/token-table.js';
import { useMembers, usePagedList, useReloadOnReturn } from '../hooks.js';
import { useOrg } from '../session.js';
import type { Token, TokenKind, TokenStatus } from '../types.js';
import { STATUS_FILTERS } from './my-tokens.js';

/** Every token of the org (tokens.manage), with owner and filters. */
export function AllTokensPage() {
  const { org, can } = useOrg();
  const ids = { owner: useId(), status: useId(), kind: useId(), q: useId() };
  const [owner, setOwner] = useState('all');
  const [status, setStatus] = useState<'' | TokenStatus>('');
  const [kind, setKind] = useState<'' | TokenKind>('');
  const [expiring, setExpiring] = useState(false);
  const [q, setQ] = useState('');
  const members = useMembers(org.id, can('tokens.manage'));
  const list = usePagedList<Token>(orgPath(org.id, `/tokens${query({ owner, status, kind, expiring, q: q.trim() })}`));
  useReloadOnReturn(list.reload);

  if (!can('tokens.manage')) return <p className="notice">Seeing every token needs the tokens.manage permission.</p>;

  return (
    <section aria-labelledby="all-tokens-title">
      <div className="page-head">
        <h1 id="all-tokens-title">All tokens</h1>
      </div>
      <p className="lead">Every token in {org.name}. Impersonation tokens were created by an admin on behalf of a member.</p>
      <div className="filters" role="search">
        <label htmlFor={ids.owner}>Owner</label>
        <select id={ids.owner} value={owner} onChange={(e) => setOwner(e.target.value)}>
          <option value="all">Everyone</option>
          {(members.data ?? []).map((m) => (
            <option key={m.user.id} value={m.user.id}>
              {m.user.name}
              {m.user.type === 'service_account' ? ' (service account)' : ''}
            </option>
          ))}
        </select>
        <label htmlFor={ids.status}>Status</label>
        <select id={ids.status} value={status} onChange={(e) => setStatus(e.target.value as '' | TokenStatus)}>
          {STATUS_FILTERS.map((f) => (
            <option key={f.value} value={f.value}>
              {f.label}
            </option>
          ))}
        </select>
        <label htmlFor={ids.kind}>Kind</label>
        <select id={ids.kind} value={kind} onChange={(e) => setKind(e.target.value as '' | TokenKind)}>
          <option value="">Any kind</option>
          <option value="api_key">API key</option>
          <option value="jwt">JWT</option>
        </select>
        <label className="check">
          <input type="checkbox" checked={expiring} onChange={(e) => setExpiring(e.target.checked)} /> Expiring soon
        </label>
        <label htmlFor={ids.q} className="visually-hidden">
          Name
        </label>
        <input id={ids.q} type="search" value={q} onChange={(e) => setQ(e.target.value)} placeholder="Search by name" />
      </div>
      <ErrorNote error={members.error} title="Owner names could not be loaded." />
      <ErrorNote error={list.error} title="The tokens could not be loaded." />
      {list.items === undefined ? (
        list.loading ? <Loading /> : null
      ) : list.items.length === 0 ? (
        <div className="empty">
          <h2>No tokens match</h2>
          <p>Change the filters, or create tokens for members and service accounts on the Members page.</p>
        </div>
      ) : (
        <>
          <TokenTable org={org} tokens={list.items} onChanged={list.reload} owners={members.names} caption="All tokens of the organization" />
          <LoadMore hasMore={list.hasMore} loading={list.loadingMore} onClick={list.loadMore} />
        </>
      )}
    </section>
  );
}
