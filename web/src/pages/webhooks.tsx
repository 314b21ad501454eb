import { useId, useRef, useState, type FormEvent } from 'react';
import { api, listAll, orgPath } from '../api.js';
import { ConfirmDialog, Dialog } from '../components/dialog.js';
import { LoadMore } from '../components/list-footer.js';
import { ErrorNote, FieldError, Loading, unplaced } from '../components/problem.js';
import { CopyButton } from '../components/secret-panel.js';
import { formatDate, formatDateTime, fromNow } from '../format.js';
import { useAction, usePagedList, useResource } from '../hooks.js';
import { useOrg } from '../session.js';
import { WEBHOOK_EVENTS, type Webhook, type WebhookDelivery, type WebhookEvent, type WebhookWithSecret } from '../types.js';

const EVENT_HELP: Record<WebhookEvent, string> = {
  'token.created': 'A token was created',
  'token.revoked': 'A token was revoked',
  'token.rotated': 'A token was rotated (its successor is in replaced_by)',
  'token.expiring': 'A token entered the warning window before its expiry',
  'token.expired': 'A token expired',
  'token.leaked': 'A token was reported leaked and revoked',
};

const STATUS_BADGE: Record<WebhookDelivery['status'], { label: string; className: string }> = {
  pending: { label: 'Sending', className: 'badge badge-warning' },
  delivered: { label: 'Delivered', className: 'badge badge-active' },
  failed: { label: 'Failed', className: 'badge badge-revoked' },
};

function eventsText(events: Webhook['events']): string {
  return events === null ? 'All events' : events.join(', ');
}

/** The signing secret, once: the copy-button pattern of the token secret panel. */
function WebhookSecretPanel({ secret }: { secret: string }) {
  const inputId = useId();
  const inputRef = useRef<HTMLInputElement>(null);
  return (
    <section className="secret-panel" aria-label="One-time secret">
      <p className="warning" role="note">
        <strong>Copy this signing secret now.</strong> You won't be able to see it again.
      </p>
      <label htmlFor={inputId}>Signing secret</label>
      <div className="copy-row">
        <input id={inputId} ref={inputRef} className="mono" readOnly value={secret} data-testid="secret" onFocus={(event) => event.currentTarget.select()} />
        <CopyButton text={secret} target={() => inputRef.current} />
      </div>
      <p className="muted">
        Each delivery is a POST with the Standard Webhooks headers <code>webhook-id</code>, <code>webhook-timestamp</code> and{' '}
        <code>webhook-signature</code>: verify it with any Standard Webhooks library and this secret.
      </p>
    </section>
  );
}

function CreateWebhookForm({ orgId, onCancel, onCreated }: { orgId: string; onCancel: () => void; onCreated: (created: WebhookWithSecret) => void }) {
  const ids = { url: useId(), urlError: useId(), description: useId(), events: useId() };
  const [url, setUrl] = useState('');
  const [description, setDescription] = useState('');
  const [every, setEvery] = useState(true);
  const [events, setEvents] = useState<Set<WebhookEvent>>(new Set());
  const action = useAction();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const body = { url, ...(description.trim() ? { description } : {}), ...(every ? {} : { events: WEBHOOK_EVENTS.filter((e) => events.has(e)) }) };
    const created = await action.run(() => api.post<WebhookWithSecret>(orgPath(orgId, '/webhooks'), body));
    if (created) onCreated(created);
  };
  return (
    <form className="stack" onSubmit={submit}>
      <div className="field">
        <label htmlFor={ids.url}>Endpoint URL</label>
        <input
          id={ids.url}
          type="url"
          value={url}
          onChange={(e) => setUrl(e.target.value)}
          required
          maxLength={2048}
          autoFocus
          placeholder="https://example.com/keyward-webhooks"
          aria-describedby={ids.urlError}
        />
        <FieldError error={action.error} field="url" id={ids.urlError} />
      </div>
      <div className="field">
        <label htmlFor={ids.description}>Description (optional)</label>
        <input id={ids.description} value={description} onChange={(e) => setDescription(e.target.value)} maxLength={1000} />
      </div>
      <fieldset className="field">
        <legend>Events</legend>
        <label className="check">
          <input type="radio" name={ids.events} checked={every} onChange={() => setEvery(true)} />
          <span>All events, including ones added later</span>
        </label>
        <label className="check">
          <input type="radio" name={ids.events} checked={!every} onChange={() => setEvery(false)} />
          <span>Only the events chosen below</span>
        </label>
        {every
          ? null
          : WEBHOOK_EVENTS.map((e) => (
              <label key={e} className="check">
                <input
                  type="checkbox"
                  checked={events.has(e)}
                  onChange={(change) => {
                    const next = new Set(events);
                    if (change.target.checked) next.add(e);
                    else next.delete(e);
                    setEvents(next);
                  }}
                />
                <span>
                  <code>{e}</code> <span className="muted">— {EVENT_HELP[e]}</span>
                </span>
              </label>
            ))}
      </fieldset>
      <ErrorNote error={unplaced(action.error, ['url'])} />
      <div className="actions">
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
        <button type="submit" className="primary" disabled={action.busy || (!every && events.size === 0)}>
          Add endpoint
        </button>
      </div>
    </form>
  );
}

/** The create dialog: the form first, then (once created) the one-time signing secret. */
function CreateWebhookDialog({ orgId, onClose, onCreated }: { orgId: string; onClose: () => void; onCreated: () => void }) {
  const [created, setCreated] = useState<WebhookWithSecret | null>(null);
  return (
    <Dialog title={created ? 'Endpoint added' : 'Add a webhook endpoint'} onClose={onClose} wide>
      {created ? (
        <div className="stack">
          <p>
            Keyward now sends <strong>{eventsText(created.webhook.events).toLowerCase()}</strong> to <code>{created.webhook.url}</code>.
          </p>
          <WebhookSecretPanel secret={created.secret} />
          <div className="actions">
            <button type="button" className="primary" onClick={onClose}>
              Done
            </button>
          </div>
        </div>
      ) : (
        <CreateWebhookForm
          orgId={orgId}
          onCancel={onClose}
          onCreated={(result) => {
            setCreated(result);
            onCreated();
          }}
        />
      )}
    </Dialog>
  );
}

/** Every attempt to deliver to one endpoint, newest first. */
function DeliveryLog({ orgId, webhook, onClose }: { orgId: string; webhook: Webhook; onClose: () => void }) {
  const list = usePagedList<WebhookDelivery>(orgPath(orgId, `/webhooks/${encodeURIComponent(webhook.id)}/deliveries`));
  const titleId = useId();
  return (
    <section className="panel" aria-labelledby={titleId}>
      <div className="page-head">
        <h2 id={titleId}>Deliveries to {webhook.url}</h2>
        <div className="actions compact">
          <button type="button" onClick={list.reload}>
            Refresh
          </button>
          <button type="button" onClick={onClose}>
            Close
          </button>
        </div>
      </div>
      <ErrorNote error={list.error} title="The delivery log could not be loaded." />
      {list.items === undefined && list.loading ? <Loading /> : null}
      {list.items && list.items.length === 0 ? <p className="muted">Nothing was sent to this endpoint yet.</p> : null}
      {list.items && list.items.length > 0 ? (
        <div className="table-wrap">
          <table className="responsive">
            <caption className="visually-hidden">Delivery attempts</caption>
            <thead>
              <tr>
                <th scope="col">Sent</th>
                <th scope="col">Event</th>
                <th scope="col">Attempt</th>
                <th scope="col">Status</th>
                <th scope="col">Response</th>
                <th scope="col">Next attempt</th>
              </tr>
            </thead>
            <tbody>
              {list.items.map((d) => (
                <tr key={d.id}>
                  <td data-label="Sent" title={formatDateTime(d.created_at)}>
                    {fromNow(d.created_at)}
                  </td>
                  <td data-label="Event">
                    <code>{d.type}</code>
                    <span className="secondary-line">
                      <code className="id">{d.event_id}</code>
                    </span>
                  </td>
                  <td data-label="Attempt">{d.attempt}</td>
                  <td data-label="Status">
                    <span className={STATUS_BADGE[d.status].className}>{STATUS_BADGE[d.status].label}</span>
                  </td>
                  <td data-label="Response">
                    {d.response_status !== null ? <code>HTTP {d.response_status}</code> : null}
                    {d.error ? <span className="secondary-line">{d.error}</span> : null}
                    {d.response_status === null && !d.error ? <span className="muted">—</span> : null}
                  </td>
                  <td data-label="Next attempt">{d.next_attempt_at ? <span title={formatDateTime(d.next_attempt_at)}>{fromNow(d.next_attempt_at)}</span> : <span className="muted">—</span>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      <LoadMore hasMore={list.hasMore} loading={list.loadingMore} onClick={() => void list.loadMore()} />
    </section>
  );
}

/** An org's webhook endpoints (org.manage): add, delete, and each one's delivery log. */
export function WebhooksPage() {
  const { org, can } = useOrg();
  const allowed = can('org.manage');
  const webhooks = useResource(() => (allowed ? listAll<Webhook>(orgPath(org.id, '/webhooks')) : Promise.resolve([])), [org.id, allowed]);
  const [creating, setCreating] = useState(false);
  const [deleting, setDeleting] = useState<Webhook | null>(null);
  const [viewing, setViewing] = useState<Webhook | null>(null);
  const action = useAction();
  if (!allowed) return <p className="notice">Managing webhooks needs the org.manage permission.</p>;

  const remove = async (webhook: Webhook) => {
    const done = await action.run(async () => {
      await api.delete(orgPath(org.id, `/webhooks/${encodeURIComponent(webhook.id)}`));
      return true;
    });
    if (done) {
      setDeleting(null);
      if (viewing?.id === webhook.id) setViewing(null);
      webhooks.reload();
    }
  };

  return (
    <section aria-labelledby="webhooks-title">
      <div className="page-head">
        <h1 id="webhooks-title">Webhooks</h1>
        <button type="button" className="primary" onClick={() => setCreating(true)}>
          Add endpoint
        </button>
      </div>
      <p className="lead">
        Keyward tells your endpoints when tokens of this organization are created, revoked, rotated, about to expire, expired or reported leaked.
        Deliveries are signed and retried with backoff for about a day until your endpoint answers 2xx.
      </p>
      <ErrorNote error={webhooks.error} title="The webhooks could not be loaded." />
      {webhooks.data === undefined && webhooks.loading ? <Loading /> : null}
      {webhooks.data && webhooks.data.length === 0 ? <p className="muted">No endpoints yet.</p> : null}
      {webhooks.data && webhooks.data.length > 0 ? (
        <div className="table-wrap">
          <table className="responsive">
            <caption className="visually-hidden">Webhook endpoints</caption>
            <thead>
              <tr>
                <th scope="col">Endpoint</th>
                <th scope="col">Events</th>
                <th scope="col">Created</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {webhooks.data.map((w) => (
                <tr key={w.id}>
                  <td data-label="Endpoint">
                    <code>{w.url}</code>
                    {w.description ? <span className="secondary-line">{w.description}</span> : null}
                  </td>
                  <td data-label="Events">{eventsText(w.events)}</td>
                  <td data-label="Created">{formatDate(w.created_at)}</td>
                  <td className="actions-cell">
                    <div className="row-actions">
                      <button type="button" onClick={() => setViewing(w)} aria-label={`Deliveries to ${w.url}`}>
                        Deliveries
                      </button>
                      <button type="button" className="danger-text" onClick={() => setDeleting(w)} aria-label={`Delete ${w.url}`}>
                        Delete
                      </button>
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {viewing ? <DeliveryLog key={viewing.id} orgId={org.id} webhook={viewing} onClose={() => setViewing(null)} /> : null}
      {creating ? <CreateWebhookDialog orgId={org.id} onClose={() => setCreating(false)} onCreated={webhooks.reload} /> : null}
      {deleting ? (
        <ConfirmDialog
          title="Delete this webhook endpoint?"
          confirmLabel="Delete endpoint"
          danger
          busy={action.busy}
          error={<ErrorNote error={action.error} />}
          onConfirm={() => void remove(deleting)}
          onClose={() => {
            setDeleting(null);
            action.clear();
          }}
        >
          <p>
            Nothing more is sent to <code>{deleting.url}</code>; deliveries still waiting are dropped with its delivery log.
          </p>
        </ConfirmDialog>
      ) : null}
    </section>
  );
}
