import { useId, useMemo, useState, type FormEvent } from 'react';
import { api } from '../api.js';
import { ExpiryBadge, ImpersonationTag, KindLabel, ScopeChips, StatusBadge } from '../components/badges.js';
import { CreditsFields } from '../components/credits-fields.js';
import { ErrorNote, Loading, unplaced } from '../components/problem.js';
import { tokenPath } from '../components/token-dialogs.js';
import { TokenLink } from '../components/token-link.js';
import { UsageChart } from '../components/usage-chart.js';
import { When } from '../components/when.js';
import { formatDateTime } from '../format.js';
import { useAction, useMembers, useResource, useReloadOnReturn } from '../hooks.js';
import { creditsDraft, creditsFromDraft, formatCount, formatCredits, formatWindow } from '../limits.js';
import { Link } from '../router.js';
import { useOrg, useSession } from '../session.js';
import type { Token, TokenUsage } from '../types.js';
import { dailySeries, last30DaysQuery } from '../usage.js';

/** One token: its facts, its usage controls, where it was used from and its last 30 days of verifications. */
export function TokenPage({ tokenId }: { tokenId: string }) {
  const { org, can } = useOrg();
  const { me } = useSession();
  const token = useResource(() => api.get<Token>(tokenPath({ org_id: org.id, id: tokenId })), [org.id, tokenId]);
  useReloadOnReturn(token.reload);
  const members = useMembers(org.id, can('tokens.manage'));
  const data = token.data?.id === tokenId ? token.data : undefined;

  if (token.error) return <ErrorNote error={token.error} title="This token could not be loaded." />;
  if (!data) return <Loading />;
  const mine = data.owner.id === me.user.id;
  const owner = members.names.get(data.owner.id);
  // Back to the list the token is on: a manager reaches others' tokens from All tokens.
  const list = mine || !can('tokens.manage') ? { path: 'tokens', label: 'My tokens' } : { path: 'all-tokens', label: 'All tokens' };

  return (
    <article aria-labelledby="token-title">
      <p className="breadcrumb">
        <Link href={`/orgs/${encodeURIComponent(org.id)}/${list.path}`}>← {list.label}</Link>
      </p>
      <div className="page-head">
        <h1 id="token-title">{data.name}</h1>
        <span>
          <StatusBadge token={data} />
          {data.impersonation ? <ImpersonationTag /> : null}
        </span>
      </div>
      {data.description ? <p className="lead">{data.description}</p> : null}

      <section className="panel" aria-labelledby="token-facts">
        <h2 id="token-facts">Details</h2>
        <dl className="facts">
          <dt>Token</dt>
          <dd>
            <code>{data.hint}</code> · <KindLabel kind={data.kind} />
          </dd>
          <dt>Owner</dt>
          <dd>
            {mine ? 'You' : (owner ?? <code>{data.owner.id}</code>)}
            {data.owner.type === 'service_account' ? <span className="muted"> (service account)</span> : null}
          </dd>
          <dt>Scopes</dt>
          <dd>
            <ScopeChips scopes={data.scopes} />
          </dd>
          <dt>Created</dt>
          <dd>
            <When iso={data.created_at} />
          </dd>
          <dt>Expires</dt>
          <dd>{data.expiring_soon && data.expires_at ? <ExpiryBadge expiresAt={data.expires_at} /> : <When iso={data.expires_at} never="Does not expire" />}</dd>
          <dt>Last used</dt>
          <dd>
            <When iso={data.last_used_at} />
            {data.last_used_ip ? <span className="muted"> from {data.last_used_ip}</span> : null}
          </dd>
          <dt>Allowed addresses</dt>
          <dd>{data.ip_allowlist.length > 0 ? data.ip_allowlist.join(', ') : <span className="muted">Any</span>}</dd>
          {data.rotated_from ? (
            <>
              <dt>Replaces</dt>
              <dd>
                <TokenLink orgId={org.id} tokenId={data.rotated_from}>
                  the token it was rotated from
                </TokenLink>
              </dd>
            </>
          ) : null}
          {data.replaced_by ? (
            <>
              <dt>Replaced by</dt>
              <dd>
                <TokenLink orgId={org.id} tokenId={data.replaced_by}>
                  its successor
                </TokenLink>
              </dd>
            </>
          ) : null}
        </dl>
      </section>

      <div className="panel-row">
        <RateLimitsPanel token={data} />
        <CreditsPanel token={data} canManage={can('tokens.manage')} onSaved={token.reload} />
      </div>

      <TokenUsagePanel token={data} />
      <RecentIps token={data} />
    </article>
  );
}

function RateLimitsPanel({ token }: { token: Token }) {
  return (
    <section className="panel" aria-labelledby="token-rate-limits">
      <h2 id="token-rate-limits">Rate limits</h2>
      {token.rate_limits.length === 0 ? (
        <p className="muted">None: it may be used as often as its callers like.</p>
      ) : (
        <div className="table-wrap">
          <table>
            <caption className="visually-hidden">Rate limits</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Uses</th>
                <th scope="col">Per</th>
              </tr>
            </thead>
            <tbody>
              {token.rate_limits.map((limit) => (
                <tr key={limit.name}>
                  <td>
                    <code>{limit.name}</code>
                  </td>
                  <td className="number">{formatCount(limit.limit)}</td>
                  <td>{formatWindow(limit.window_seconds)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <p className="hint">Set when the token was created and kept by rotation; create a new token to change them.</p>
    </section>
  );
}

function CreditsPanel({ token, canManage, onSaved }: { token: Token; canManage: boolean; onSaved: () => void }) {
  const live = token.status === 'active' || token.status === 'disabled';
  // Kept here: the form starts afresh from the saved credits, which would drop its own note.
  const [saved, setSaved] = useState(false);
  return (
    <section className="panel" aria-labelledby="token-credits">
      <h2 id="token-credits">Usage credits</h2>
      <p>{token.usage_limit ? formatCredits(token.usage_limit) : <span className="muted">None: its use is not limited by a budget.</span>}</p>
      {!canManage ? (
        <p className="hint">Changing a token's credits needs the tokens.manage permission.</p>
      ) : !live ? (
        <p className="hint">The token is {token.status}, so its credits no longer matter.</p>
      ) : (
        <CreditsForm
          key={JSON.stringify(token.usage_limit)}
          token={token}
          onEdit={() => setSaved(false)}
          onSaved={() => {
            setSaved(true);
            onSaved();
          }}
        />
      )}
      {saved ? (
        <p className="success" role="status">
          Credits saved.
        </p>
      ) : null}
    </section>
  );
}

/** Set, top up or remove the credits (`PATCH …/tokens/{id}` `{usage_limit}`). */
function CreditsForm({ token, onEdit, onSaved }: { token: Token; onEdit: () => void; onSaved: () => void }) {
  const errorId = useId();
  const [draft, setDraft] = useState(() => creditsDraft(token.usage_limit));
  const action = useAction();

  const save = async (event: FormEvent) => {
    event.preventDefault();
    onEdit();
    const result = await action.run(() => api.patch<Token>(tokenPath(token), { usage_limit: creditsFromDraft(draft) }));
    if (result) onSaved();
  };

  return (
    <form className="stack" onSubmit={save} noValidate aria-label="Change the credits">
      <CreditsFields
        draft={draft}
        onChange={(next) => {
          onEdit();
          setDraft(next);
        }}
        error={action.error}
        errorId={errorId}
      />
      <ErrorNote error={unplaced(action.error, ['usage_limit'])} />
      <div className="actions compact">
        <button type="submit" className="primary" disabled={action.busy}>
          {action.busy ? 'Saving…' : 'Save credits'}
        </button>
      </div>
    </form>
  );
}

function RecentIps({ token }: { token: Token }) {
  return (
    <section className="panel" aria-labelledby="token-ips">
      <h2 id="token-ips">Recent addresses</h2>
      {token.recent_ips.length === 0 ? (
        <p className="muted">Not used yet.</p>
      ) : (
        <>
          <p className="hint">The last {token.recent_ips.length === 1 ? 'address' : `${token.recent_ips.length} different addresses`} it was used from, newest first.</p>
          <div className="table-wrap">
            <table>
              <caption className="visually-hidden">Recent addresses</caption>
              <thead>
                <tr>
                  <th scope="col">Address</th>
                  <th scope="col">Last seen</th>
                </tr>
              </thead>
              <tbody>
                {token.recent_ips.map((entry) => (
                  <tr key={entry.ip}>
                    <td>
                      <code>{entry.ip}</code>
                    </td>
                    <td>
                      <When iso={entry.last_seen_at} /> <span className="muted">({formatDateTime(entry.last_seen_at)})</span>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </section>
  );
}

function TokenUsagePanel({ token }: { token: Token }) {
  const usage = useResource(() => api.get<TokenUsage>(`${tokenPath(token, 'usage')}${last30DaysQuery()}`), [token.org_id, token.id]);
  const days = useMemo(() => (usage.data ? dailySeries(usage.data.data) : null), [usage.data]);
  useReloadOnReturn(usage.reload);
  return (
    <section className="panel">
      <ErrorNote error={usage.error} title="Its usage could not be loaded." />
      {days ? <UsageChart title="Verifications, last 30 days" days={days} /> : usage.loading ? <Loading label="Loading its usage…" /> : null}
    </section>
  );
}
