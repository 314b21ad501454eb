import { useId, useMemo, useState, type FormEvent } from 'react';
import { listAll, orgPath, query } from '../api.js';
import { LoadMore } from '../components/list-footer.js';
import { ErrorNote, Loading } from '../components/problem.js';
import { formatDateTime } from '../format.js';
import { useMembers, usePagedList, useResource } from '../hooks.js';
import { Link, useLocation } from '../router.js';
import { useOrg, useSession } from '../session.js';
import type { AuditEvent, User, Verifier } from '../types.js';

type Filters = { action: string; actor: string; token: string; since: string; until: string };

const EMPTY: Filters = { action: '', actor: '', token: '', since: '', until: '' };

/** The two logs a site admin can read here: the org's, and the deployment's own (events of no org). */
type Scope = 'org' | 'deployment';

const SCOPES: Record<Scope, { label: string; lead: string | null; example: string; actions: string[]; byToken: boolean }> = {
  org: {
    label: 'This organization',
    lead: null,
    example: 'token.* or token.revoked',
    actions: [
      'token.*',
      'token.created',
      'token.renamed',
      'token.revoked',
      'token.disabled',
      'token.enabled',
      'token.rotated',
      'token.leaked',
      'token.rejected',
      'member.*',
      'role.*',
      'org.*',
      'webhook.*',
      'audit.exported',
    ],
    byToken: true,
  },
  deployment: {
    label: 'Deployment: sign-ins, users, verifiers',
    lead: 'Events of the deployment itself, in no organization: sign-ins and failed sign-ins, people created, deactivated or reactivated, verifier credentials.',
    example: 'session.* or session.failed',
    actions: [
      'session.*',
      'session.created',
      'session.failed',
      'user.*',
      'user.created',
      'user.deactivated',
      'user.reactivated',
      'verifier.*',
      'verifier.created',
      'verifier.revoked',
      'audit.exported',
    ],
    // No token events belong to no org.
    byToken: false,
  },
};

/** Long single words (digests, ids) are cut in the table; the whole value is in the tooltip and the exports. */
const SHORT = 24;

/** One detail as people read it: lists joined, times formatted, members named, long strings shortened. */
function detailValue(key: string, value: unknown, names: Map<string, string>): { text: string; full: string } {
  const full = typeof value === 'string' ? value : JSON.stringify(value);
  if (value === null) return { text: '—', full };
  if (typeof value === 'string' && names.has(value)) return { text: names.get(value) as string, full };
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return { text: value.join(', '), full };
  if (typeof value === 'string' && key.endsWith('_at') && !Number.isNaN(Date.parse(value))) return { text: formatDateTime(value), full };
  return { text: full.length > SHORT && !/\s/.test(full) ? `${full.slice(0, SHORT - 12)}…` : full, full };
}

/** The token's name is shown as the target already. */
function shownDetails(event: AuditEvent): [string, unknown][] {
  const entries = Object.entries(event.details);
  return event.target?.type === 'token' ? entries.filter(([key]) => key !== 'name') : entries;
}

function Details({ event, names }: { event: AuditEvent; names: Map<string, string> }) {
  const entries = shownDetails(event);
  if (entries.length === 0) return <span className="muted">—</span>;
  return (
    <ul className="details-list">
      {entries.map(([key, value]) => {
        const { text, full } = detailValue(key, value, names);
        return (
          <li key={key}>
            <span className="muted">{key.replace(/_/g, ' ')}</span> <span title={full}>{text}</span>
          </li>
        );
      })}
    </ul>
  );
}

/** Token names the loaded events mention (newest first, so a rename wins), for the events that carry only the id. */
function tokenNames(events: AuditEvent[]): Map<string, string> {
  const names = new Map<string, string>();
  for (const { target, details } of events) {
    if (target?.type === 'token' && typeof details.name === 'string' && !names.has(target.id)) names.set(target.id, details.name);
  }
  return names;
}

/** A person's, service account's or token's name when known, else the id. */
function Who({ id, names }: { id: string; names: Map<string, string> }) {
  const name = names.get(id);
  return name ? <span title={id}>{name}</span> : <code className="id">{id}</code>;
}

function Actor({ event, names }: { event: AuditEvent; names: Map<string, string> }) {
  const { actor, impersonator } = event;
  return (
    <>
      {actor.id === null ? <span className="muted">{actor.type}</span> : <Who id={actor.id} names={names} />}
      {actor.id !== null && actor.type !== 'user' ? <span className="secondary-line">{actor.type.replace(/_/g, ' ')}</span> : null}
      {impersonator ? (
        <span className="secondary-line">
          impersonated by <Who id={impersonator.id} names={names} />
        </span>
      ) : null}
    </>
  );
}

/** The target by name where the event says it (a token's name) or the page knows it (a member, a person, a verifier). */
function Target({ event, names }: { event: AuditEvent; names: Map<string, string> }) {
  const { target, details } = event;
  if (!target) return <span className="muted">—</span>;
  if (target.type === 'token' && typeof details.name === 'string') return <span title={target.id}>{details.name}</span>;
  if (target.type === 'token' && names.has(target.id)) return <Who id={target.id} names={names} />;
  return (
    <>
      <Who id={target.id} names={names} />
      <span className="secondary-line">{target.type.replace(/_/g, ' ')}</span>
    </>
  );
}

/** The org's audit log; a site admin can switch to the deployment's own log (`?scope=deployment`). */
export function AuditLogPage() {
  const { can } = useOrg();
  const { me } = useSession();
  const { search } = useLocation();
  if (me.user.site_admin && search.get('scope') === 'deployment') return <DeploymentAuditLog />;
  if (!can('audit.read')) return <p className="notice">Reading the audit log needs the audit.read permission.</p>;
  return <OrgAuditLog />;
}

function OrgAuditLog() {
  const { org, can } = useOrg();
  const members = useMembers(org.id, can('members.manage') || can('tokens.manage') || can('tokens.impersonate'));
  return <AuditLog scope="org" path={orgPath(org.id, '/audit-events')} names={members.names} />;
}

/** Names for the deployment's events: people (actors, sign-ins, user events) and verifier credentials. */
function DeploymentAuditLog() {
  const users = useResource(() => listAll<User>('/users'), []);
  const verifiers = useResource(() => listAll<Verifier>('/verifiers'), []);
  const names = useMemo(
    () => new Map([...(users.data ?? []), ...(verifiers.data ?? [])].map((named) => [named.id, named.name])),
    [users.data, verifiers.data],
  );
  return <AuditLog scope="deployment" path="/audit-events" names={names} />;
}

/** Shown to site admins only: everyone else reads just the org's log. */
function ScopeSwitch({ current }: { current: Scope }) {
  const { org } = useOrg();
  const base = `/orgs/${encodeURIComponent(org.id)}/audit`;
  return (
    <nav className="scope-switch" aria-label="Which audit log">
      {(Object.keys(SCOPES) as Scope[]).map((scope) => (
        <Link key={scope} href={scope === 'org' ? base : `${base}?scope=${scope}`} aria-current={scope === current ? 'page' : undefined}>
          {SCOPES[scope].label}
        </Link>
      ))}
    </nav>
  );
}

/** One log (at `path` under /api/v1): filters, export links, the table; `names` names people and objects by id. */
function AuditLog({ scope, path, names: known }: { scope: Scope; path: string; names: Map<string, string> }) {
  const { me } = useSession();
  const { lead, example, actions, byToken } = SCOPES[scope];
  const ids = { action: useId(), actor: useId(), token: useId(), since: useId(), until: useId(), actions: useId() };
  const [draft, setDraft] = useState<Filters>(EMPTY);
  const [filters, setFilters] = useState<Filters>(EMPTY);
  const list = usePagedList<AuditEvent>(`${path}${query({ ...filters })}`);
  const names = new Map([...tokenNames(list.items ?? []), ...known]);
  const exportHref = (format: 'csv' | 'ndjson') => `/api/v1${path}${query({ ...filters, format })}`;

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
      {me.user.site_admin ? <ScopeSwitch current={scope} /> : null}
      {lead ? <p className="lead">{lead}</p> : null}
      <form className="filters" role="search" onSubmit={apply}>
        {field('action', ids.action, 'Action', { list: ids.actions, placeholder: example })}
        <datalist id={ids.actions}>
          {actions.map((a) => (
            <option key={a} value={a} />
          ))}
        </datalist>
        {field('actor', ids.actor, 'Actor id', { placeholder: 'usr_…' })}
        {byToken ? field('token', ids.token, 'Token id', { placeholder: 'tok_…' }) : null}
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
                      <Actor event={e} names={names} />
                    </td>
                    <td data-label="Target">
                      <Target event={e} names={names} />
                    </td>
                    <td data-label="IP">{e.ip ?? <span className="muted">—</span>}</td>
                    <td data-label="Details" className="details">
                      <Details event={e} names={names} />
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
