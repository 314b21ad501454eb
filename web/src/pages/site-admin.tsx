import { useId, useState, type FormEvent } from 'react';
import { api, listAll, orgPath } from '../api.js';
import { ConfirmDialog, Dialog } from '../components/dialog.js';
import { ErrorNote, FieldError, Loading, unplaced } from '../components/problem.js';
import { CopyButton } from '../components/secret-panel.js';
import { formatDate, fromNow } from '../format.js';
import { useAction, useResource } from '../hooks.js';
import { Link } from '../router.js';
import { useSession } from '../session.js';
import type { Org, User, Verifier } from '../types.js';

const list = (text: string) => text.split(/[\s,]+/).filter(Boolean);

function slugFrom(name: string): string {
  return name
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63);
}

/** The deployment: orgs with their plans and features, people, verifier credentials. */
export function SiteAdminPage() {
  return (
    <section aria-labelledby="admin-title">
      <div className="page-head">
        <h1 id="admin-title">Site admin</h1>
      </div>
      <Orgs />
      <Users />
      <Verifiers />
    </section>
  );
}

function Orgs() {
  const session = useSession();
  const orgs = useResource(() => listAll<Org>('/orgs'), []);
  const [editing, setEditing] = useState<Org | null>(null);
  return (
    <section className="panel" aria-labelledby="orgs-title">
      <h2 id="orgs-title">Organizations</h2>
      <ErrorNote error={orgs.error} />
      {orgs.data === undefined && orgs.loading ? <Loading /> : null}
      {orgs.data && orgs.data.length === 0 ? <p className="muted">No organizations yet: create the first one below.</p> : null}
      {orgs.data && orgs.data.length > 0 ? (
        <div className="table-wrap">
          <table className="responsive">
            <caption className="visually-hidden">Organizations</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Slug</th>
                <th scope="col">Plan</th>
                <th scope="col">Features</th>
                <th scope="col">Created</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {orgs.data.map((o) => (
                <tr key={o.id}>
                  <td data-label="Name">
                    <Link href={`/orgs/${encodeURIComponent(o.id)}/tokens`}>{o.name}</Link>
                  </td>
                  <td data-label="Slug">
                    <code>{o.slug}</code>
                  </td>
                  <td data-label="Plan">
                    {o.plan}
                    {o.tokens_enabled ? null : <span className="muted"> (no tokens)</span>}
                  </td>
                  <td data-label="Features">{o.features.join(', ') || <span className="muted">—</span>}</td>
                  <td data-label="Created">{formatDate(o.created_at)}</td>
                  <td className="actions-cell">
                    <div className="row-actions">
                      <button type="button" onClick={() => setEditing(o)}>
                        Plan &amp; features<span className="visually-hidden"> of {o.name}</span>
                      </button>
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      <CreateOrgForm
        defaultOwner={session.me.user.email ?? ''}
        onCreated={() => {
          orgs.reload();
          session.reload();
        }}
      />
      {editing ? (
        <PlanDialog
          org={editing}
          onClose={() => setEditing(null)}
          onSaved={() => {
            setEditing(null);
            orgs.reload();
          }}
        />
      ) : null}
    </section>
  );
}

function CreateOrgForm({ defaultOwner, onCreated }: { defaultOwner: string; onCreated: () => void }) {
  const base = useId();
  const ids = { name: `${base}-name`, slug: `${base}-slug`, plan: `${base}-plan`, features: `${base}-features`, owner: `${base}-owner`, error: `${base}-error` };
  const [name, setName] = useState('');
  const [slug, setSlug] = useState('');
  const [slugEdited, setSlugEdited] = useState(false);
  const [plan, setPlan] = useState('essential');
  const [features, setFeatures] = useState('');
  const [owner, setOwner] = useState(defaultOwner);
  const action = useAction();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const body = { name, slug, plan, features: list(features), ...(owner.trim() ? { owner_email: owner.trim() } : {}) };
    const created = await action.run(() => api.post<Org>('/orgs', body));
    if (created) {
      setName('');
      setSlug('');
      setSlugEdited(false);
      setFeatures('');
      onCreated();
    }
  };

  return (
    <form className="stack create-org" onSubmit={submit} aria-labelledby={`${base}-title`}>
      <h3 id={`${base}-title`}>New organization</h3>
      <div className="grid-2">
        <div className="field">
          <label htmlFor={ids.name}>Name</label>
          <input
            id={ids.name}
            value={name}
            onChange={(e) => {
              setName(e.target.value);
              if (!slugEdited) setSlug(slugFrom(e.target.value));
            }}
            required
            maxLength={100}
          />
          <FieldError error={action.error} field="name" id={ids.error} />
        </div>
        <div className="field">
          <label htmlFor={ids.slug}>Slug</label>
          <input
            id={ids.slug}
            value={slug}
            onChange={(e) => {
              setSlug(e.target.value);
              setSlugEdited(true);
            }}
            required
            pattern="[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?"
          />
          <span className="hint">Lowercase letters, digits and hyphens.</span>
          <FieldError error={action.error} field="slug" id={ids.error} />
        </div>
        <div className="field">
          <label htmlFor={ids.plan}>Plan</label>
          <input id={ids.plan} value={plan} onChange={(e) => setPlan(e.target.value)} required list={`${base}-plans`} />
          <datalist id={`${base}-plans`}>
            <option value="essential" />
            <option value="classroom_pro" />
            <option value="enterprise" />
            <option value="free" />
          </datalist>
          <FieldError error={action.error} field="plan" id={ids.error} />
        </div>
        <div className="field">
          <label htmlFor={ids.features}>
            Features <span className="muted">(optional)</span>
          </label>
          <input id={ids.features} value={features} onChange={(e) => setFeatures(e.target.value)} placeholder="e.g. insights_api" />
          <FieldError error={action.error} field="features" id={ids.error} />
        </div>
        <div className="field">
          <label htmlFor={ids.owner}>
            First owner's email <span className="muted">(optional)</span>
          </label>
          <input id={ids.owner} type="email" value={owner} onChange={(e) => setOwner(e.target.value)} />
          <FieldError error={action.error} field="owner_email" id={ids.error} />
        </div>
      </div>
      <ErrorNote error={unplaced(action.error, ['name', 'slug', 'plan', 'features', 'owner_email'])} />
      <div className="actions">
        <button type="submit" className="primary" disabled={action.busy}>
          Create organization
        </button>
      </div>
    </form>
  );
}

function PlanDialog({ org, onClose, onSaved }: { org: Org; onClose: () => void; onSaved: () => void }) {
  const base = useId();
  const [plan, setPlan] = useState(org.plan);
  const [features, setFeatures] = useState(org.features.join(', '));
  const action = useAction();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const saved = await action.run(() => api.patch<Org>(orgPath(org.id), { plan, features: list(features) }));
    if (saved) onSaved();
  };
  return (
    <Dialog title={`Plan and features of ${org.name}`} onClose={onClose}>
      <form className="stack" onSubmit={submit}>
        <div className="field">
          <label htmlFor={`${base}-plan`}>Plan</label>
          <input id={`${base}-plan`} value={plan} onChange={(e) => setPlan(e.target.value)} required autoFocus />
        </div>
        <div className="field">
          <label htmlFor={`${base}-features`}>Features</label>
          <input id={`${base}-features`} value={features} onChange={(e) => setFeatures(e.target.value)} placeholder="e.g. insights_api" />
          <span className="hint">Separated by commas.</span>
        </div>
        <ErrorNote error={action.error} />
        <div className="actions">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={action.busy}>
            Save
          </button>
        </div>
      </form>
    </Dialog>
  );
}

function Users() {
  const { me } = useSession();
  const users = useResource(() => listAll<User>('/users'), []);
  const [deactivating, setDeactivating] = useState<User | null>(null);
  const action = useAction();

  const change = async (user: User, to: 'deactivate' | 'reactivate') => {
    const done = await action.run(() => api.post<User>(`/users/${encodeURIComponent(user.id)}/${to}`));
    if (done) {
      setDeactivating(null);
      users.reload();
    }
  };

  return (
    <section className="panel" aria-labelledby="users-title">
      <h2 id="users-title">People</h2>
      <ErrorNote error={users.error} />
      <ErrorNote error={deactivating ? null : action.error} />
      {users.data ? (
        <ul className="plain-list">
          {users.data.map((u) => (
            <li key={u.id} className="list-row">
              <div>
                <strong>{u.name}</strong> <span className="muted">{u.email}</span> {u.site_admin ? <span className="badge">Site admin</span> : null}{' '}
                {u.status === 'deactivated' ? <span className="badge badge-revoked">Deactivated</span> : null}
              </div>
              {u.id === me.user.id ? null : u.status === 'active' ? (
                <button type="button" className="danger-text" onClick={() => setDeactivating(u)} aria-label={`Deactivate ${u.name}`}>
                  Deactivate
                </button>
              ) : (
                <button type="button" onClick={() => void change(u, 'reactivate')} aria-label={`Reactivate ${u.name}`}>
                  Reactivate
                </button>
              )}
            </li>
          ))}
        </ul>
      ) : null}
      <CreateUserForm onCreated={users.reload} />
      {deactivating ? (
        <ConfirmDialog
          title={`Deactivate ${deactivating.name}?`}
          confirmLabel="Deactivate"
          danger
          busy={action.busy}
          error={<ErrorNote error={action.error} />}
          onConfirm={() => void change(deactivating, 'deactivate')}
          onClose={() => {
            setDeactivating(null);
            action.clear();
          }}
        >
          <p>They are signed out, and all of their tokens in every organization are disabled. Reactivating them does not re-enable the tokens.</p>
        </ConfirmDialog>
      ) : null}
    </section>
  );
}

function CreateUserForm({ onCreated }: { onCreated: () => void }) {
  const base = useId();
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [siteAdmin, setSiteAdmin] = useState(false);
  const action = useAction();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const created = await action.run(() => api.post<User>('/users', { name, email, password, site_admin: siteAdmin }));
    if (created) {
      setName('');
      setEmail('');
      setPassword('');
      setSiteAdmin(false);
      onCreated();
    }
  };
  return (
    <form className="stack" onSubmit={submit} aria-labelledby={`${base}-title`}>
      <h3 id={`${base}-title`}>New person</h3>
      <div className="grid-2">
        <div className="field">
          <label htmlFor={`${base}-name`}>Name</label>
          <input id={`${base}-name`} value={name} onChange={(e) => setName(e.target.value)} required maxLength={100} />
        </div>
        <div className="field">
          <label htmlFor={`${base}-email`}>Email</label>
          <input id={`${base}-email`} type="email" value={email} onChange={(e) => setEmail(e.target.value)} required />
        </div>
        <div className="field">
          <label htmlFor={`${base}-password`}>Initial password</label>
          <input id={`${base}-password`} type="password" value={password} onChange={(e) => setPassword(e.target.value)} required autoComplete="new-password" />
        </div>
        <label className="check">
          <input type="checkbox" checked={siteAdmin} onChange={(e) => setSiteAdmin(e.target.checked)} />
          <span>Site admin</span>
        </label>
      </div>
      <ErrorNote error={action.error} />
      <div className="actions">
        <button type="submit" disabled={action.busy}>
          Create person
        </button>
      </div>
    </form>
  );
}

function Verifiers() {
  const verifiers = useResource(() => listAll<Verifier>('/verifiers'), []);
  const base = useId();
  const [name, setName] = useState('');
  const [issued, setIssued] = useState<{ verifier: Verifier; secret: string } | null>(null);
  const [revoking, setRevoking] = useState<Verifier | null>(null);
  const action = useAction();

  const create = async (event: FormEvent) => {
    event.preventDefault();
    const result = await action.run(() => api.post<{ verifier: Verifier; secret: string }>('/verifiers', { name }));
    if (result) {
      setName('');
      setIssued(result);
      verifiers.reload();
    }
  };
  const revoke = async (verifier: Verifier) => {
    const done = await action.run(async () => {
      await api.delete(`/verifiers/${encodeURIComponent(verifier.id)}`);
      return true;
    });
    if (done) {
      setRevoking(null);
      verifiers.reload();
    }
  };

  return (
    <section className="panel" aria-labelledby={`${base}-title`}>
      <h2 id={`${base}-title`}>Verifier credentials</h2>
      <p className="lead">Resource servers use these to call /api/v1/verify and /oauth/introspect. They cannot do anything else.</p>
      <ErrorNote error={verifiers.error} />
      {verifiers.data && verifiers.data.length > 0 ? (
        <ul className="plain-list">
          {verifiers.data.map((v) => (
            <li key={v.id} className="list-row">
              <div>
                <strong>{v.name}</strong> <code className="hint">{v.hint}</code>{' '}
                <span className="muted">{v.last_used_at ? `used ${fromNow(v.last_used_at)}` : 'never used'}</span>{' '}
                {v.revoked_at ? <span className="badge badge-revoked">Revoked</span> : null}
              </div>
              {v.revoked_at ? null : (
                <button type="button" className="danger-text" onClick={() => setRevoking(v)} aria-label={`Revoke ${v.name}`}>
                  Revoke
                </button>
              )}
            </li>
          ))}
        </ul>
      ) : null}
      <form className="inline-form" onSubmit={create}>
        <div className="field">
          <label htmlFor={`${base}-name`}>Resource server name</label>
          <input id={`${base}-name`} value={name} onChange={(e) => setName(e.target.value)} required maxLength={200} placeholder="e.g. device-lab API" />
        </div>
        <button type="submit" disabled={action.busy}>
          Create verifier
        </button>
      </form>
      <ErrorNote error={revoking ? null : action.error} />
      {issued ? (
        <Dialog title={`Verifier “${issued.verifier.name}” created`} onClose={() => setIssued(null)}>
          <div className="stack">
            <p className="warning">
              <strong>Copy this secret now.</strong> You won't be able to see it again.
            </p>
            <div className="copy-row">
              <input className="mono" readOnly value={issued.secret} aria-label="Verifier secret" onFocus={(e) => e.currentTarget.select()} />
              <CopyButton text={issued.secret} />
            </div>
            <p className="muted">
              For introspection, use HTTP Basic with <code>{issued.verifier.id}</code> as the user name and this secret as the password.
            </p>
            <div className="actions">
              <button type="button" className="primary" onClick={() => setIssued(null)}>
                Done
              </button>
            </div>
          </div>
        </Dialog>
      ) : null}
      {revoking ? (
        <ConfirmDialog
          title={`Revoke the verifier ${revoking.name}?`}
          confirmLabel="Revoke verifier"
          danger
          busy={action.busy}
          error={<ErrorNote error={action.error} />}
          onConfirm={() => void revoke(revoking)}
          onClose={() => {
            setRevoking(null);
            action.clear();
          }}
        >
          <p>The resource server that uses it can no longer verify tokens until it gets a new credential.</p>
        </ConfirmDialog>
      ) : null}
    </section>
  );
}
