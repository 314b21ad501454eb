import { useId, useState, type FormEvent } from 'react';
import { orgPath, query } from '../api.js';
import { LoadMore } from '../components/list-footer.js';
import { ErrorNote, Loading } from '../components/problem.js';
import { formatDateTime } from '../format.js';
import { usePagedList } from '../hooks.js';
import { useOrg } from '../session.js';
import type { AuditEvent } from '../types.js';

type Filters = { action: string; actor: string; token: string; since: string; until: string };

const EMPTY: Filters = { action: '', actor: '', token: '', since: '', until: '' };

const ACTIONS = [
  'token.*',
  'token.created',
  'token.renamed',
  'token.revoked',
  'token.disabled',
  'token.enabled',
  'token.rotated',
  'token.rejected',
  'member.*',
  'role.*',
  'org.*',
  'session.created',
  'audit.exported',
];

function detailsText(details: Record<string, unknown>): string {
  return Object.entries(details)
    .map(([key, value]) => `${key}: ${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(' · ');
}

export function AuditLogPage() {
  const { org, can } = useOrg();
  const ids = { action: useId(), actor: useId(), token: useId(), since: useId(), until: useId(), actions: useId() };
  const [draft, setDraft] = useState<Filters>(EMPTY);
  const [filters, setFilters] = useState<Filters>(EMPTY);
  const search = query({ ...filters });
  const list = usePagedList<AuditEvent>(orgPath(org.id, `/audit-events${search}`));
  const exportHref = (format: 'csv' | 'ndjson') => `/api/v1${orgPath(org.id, '/audit-events')}${query({ ...filters, format })}`;

  if (!can('audit.read')) return <p className="notice">Reading the audit log needs the audit.read permission.</p>;

  const apply = (event: FormEvent) => {
    event.preventDefault();
    setFilters({ ...draft });
  };
  const field = (key: keyof Filters, id: string, label: string, props: Record<string, string> = {}) => (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input id={id} value={draft[key]} onChange={(e) => setDraft({ ...draft, [key]: e.target.value })} {...props} />
    </div>
  );

  return (
    <section aria-labelledby="audit-title">
      <div className="page-head">
        <h1 id="audit-title">Audit log</h1>
        <div className="actions compact">
          <a className="button" href={exportHref('csv')} download>
            Export CSV
          </a>
          <a className="button" href={exportHref('ndjson')} download>
            Export NDJSON
          </a>
        </div>
      </div>
      <form className="filters" role="search" onSubmit={apply}>
        {field('action', ids.action, 'Action', { list: ids.actions, placeholder: 'token.* or token.revoked' })}
        <datalist id={ids.actions}>
          {ACTIONS.map((a) => (
            <option key={a} value={a} />
          ))}
        </datalist>
        {field('actor', ids.actor, 'Actor id', { placeholder: 'usr_…' })}
        {field('token', ids.token, 'Token id', { placeholder: 'tok_…' })}
        {field('since', ids.since, 'Since', { type: 'date' })}
        {field('until', ids.until, 'Before', { type: 'date' })}
        <div className="actions compact">
          <button type="submit" className="primary">
            Filter
          </button>
          <button
            type="button"
            onClick={() => {
              setDraft(EMPTY);
              setFilters(EMPTY);
            }}
          >
            Clear
          </button>
        </div>
      </form>
      <ErrorNote error={list.error} title="The audit log could not be loaded." />
      {list.items === undefined ? (
        list.loading ? <Loading /> : null
      ) : list.items.length === 0 ? (
        <div className="empty">
          <h2>No events</h2>
          <p>Nothing matches these filters.</p>
        </div>
      ) : (
        <>
          <div className="table-wrap">
            <table className="responsive audit-table">
              <caption className="visually-hidden">Audit events, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">Time</th>
                  <th scope="col">Action</th>
                  <th scope="col">Actor</th>
                  <th scope="col">Target</th>
                  <th scope="col">IP</th>
                  <th scope="col">Details</th>
                </tr>
              </thead>
              <tbody>
                {list.items.map((e) => (
                  <tr key={e.id}>
                    <td data-label="Time">
                      <time dateTime={e.created_at}>{formatDateTime(e.created_at)}</time>
                    </td>
                    <td data-label="Action">
                      <code>{e.action}</code>
                    </td>
                    <td data-label="Actor">
                      {e.actor.type} <code>{e.actor.id ?? ''}</code>
                      {e.impersonator ? (
                        <span className="muted">
                          {' '}
                          (by <code>{e.impersonator.id}</code>)
                        </span>
                      ) : null}
                    </td>
                    <td data-label="Target">{e.target ? <code>{e.target.id}</code> : <span className="muted">—</span>}</td>
                    <td data-label="IP">{e.ip ?? <span className="muted">—</span>}</td>
                    <td data-label="Details" className="details">
                      {detailsText(e.details)}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <LoadMore hasMore={list.hasMore} loading={list.loadingMore} onClick={list.loadMore} />
        </>
      )}
    </section>
  );
}
