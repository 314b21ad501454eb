import { useId, useState, type FormEvent } from 'react';
import { api, listAll, orgPath } from '../api.js';
import { CreateTokenDialog, type TokenTarget } from '../components/create-token-dialog.js';
import { ConfirmDialog } from '../components/dialog.js';
import { ErrorNote, FieldError, Loading, unplaced } from '../components/problem.js';
import { formatDate } from '../format.js';
import { useAction, useResource } from '../hooks.js';
import { useOrg, useSession } from '../session.js';
import type { Membership, Role, ServiceAccount } from '../types.js';

/** Role choices: built-in names and custom role ids, labelled by name. */
function RoleSelect({ roles, value, onChange, id, disabled, label }: { roles: Role[]; value: string; onChange: (role: string) => void; id?: string; disabled?: boolean; label?: string }) {
  return (
    <select id={id} value={value} onChange={(e) => onChange(e.target.value)} disabled={disabled} aria-label={label}>
      {roles.map((r) => (
        <option key={r.id} value={r.id}>
          {r.name}
        </option>
      ))}
      {roles.some((r) => r.id === value) ? null : <option value={value}>{value}</option>}
    </select>
  );
}

export function MembersPage() {
  const { org, can } = useOrg();
  const { me } = useSession();
  const canManage = can('members.manage');
  const members = useResource(() => listAll<Membership>(orgPath(org.id, '/members')), [org.id]);
  const roles = useResource(
    () => (canManage || can('roles.manage') ? listAll<Role>(orgPath(org.id, '/roles')) : Promise.resolve([] as Role[])),
    [org.id, canManage],
  );
  const [creatingFor, setCreatingFor] = useState<TokenTarget | null>(null);
  const [removing, setRemoving] = useState<Membership | null>(null);
  const action = useAction();
  const roleName = (id: string) => roles.data?.find((r) => r.id === id)?.name ?? id;
  const people = (members.data ?? []).filter((m) => m.user.type === 'user');

  const changeRole = async (member: Membership, role: string) => {
    const done = await action.run(() => api.patch(orgPath(org.id, `/members/${encodeURIComponent(member.user.id)}`), { role }));
    if (done) members.reload();
  };

  const remove = async (member: Membership) => {
    const done = await action.run(async () => {
      await api.delete(orgPath(org.id, `/members/${encodeURIComponent(member.user.id)}`));
      return true;
    });
    if (done) {
      setRemoving(null);
      members.reload();
    }
  };

  return (
    <section aria-labelledby="members-title">
      <div className="page-head">
        <h1 id="members-title">Members</h1>
      </div>
      <ErrorNote error={members.error} title="The members could not be loaded." />
      <ErrorNote error={removing ? null : action.error} />
      {members.data === undefined ? (
        members.loading ? <Loading /> : null
      ) : (
        <div className="table-wrap">
          <table className="responsive">
            <caption className="visually-hidden">Members of {org.name}</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Email</th>
                <th scope="col">Role</th>
                <th scope="col">Status</th>
                <th scope="col">Member since</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {people.map((m) => (
                <tr key={m.user.id}>
                  <td data-label="Name">{m.user.name}</td>
                  <td data-label="Email">{m.user.email}</td>
                  <td data-label="Role">
                    {canManage && roles.data ? (
                      <RoleSelect roles={roles.data} value={m.role} onChange={(role) => void changeRole(m, role)} disabled={action.busy} label={`Role of ${m.user.name}`} />
                    ) : (
                      roleName(m.role)
                    )}
                  </td>
                  <td data-label="Status">
                    <span className={`badge badge-${m.user.status === 'active' ? 'active' : 'revoked'}`}>{m.user.status === 'active' ? 'Active' : 'Deactivated'}</span>
                  </td>
                  <td data-label="Member since">{formatDate(m.created_at)}</td>
                  <td className="actions-cell">
                    <div className="row-actions">
                      {can('tokens.impersonate') && m.user.id !== me.user.id && m.user.status === 'active' ? (
                        <button type="button" onClick={() => setCreatingFor({ type: 'member', userId: m.user.id, name: m.user.name })}>
                          Create token<span className="visually-hidden"> for {m.user.name}</span>
                        </button>
                      ) : null}
                      {canManage ? (
                        <button type="button" className="danger-text" onClick={() => setRemoving(m)} aria-label={`Remove ${m.user.name}`}>
                          Remove
                        </button>
                      ) : null}
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {canManage && roles.data ? <AddMemberForm orgId={org.id} roles={roles.data} onAdded={members.reload} /> : null}
      {can('tokens.manage') ? <ServiceAccounts onCreateToken={setCreatingFor} /> : null}
      {creatingFor ? <CreateTokenDialog org={org} target={creatingFor} onClose={() => setCreatingFor(null)} onCreated={() => {}} /> : null}
      {removing ? (
        <ConfirmDialog
          title={`Remove ${removing.user.name}?`}
          confirmLabel="Remove member"
          danger
          busy={action.busy}
          error={<ErrorNote error={action.error} />}
          onConfirm={() => void remove(removing)}
          onClose={() => {
            setRemoving(null);
            action.clear();
          }}
        >
          <p>
            {removing.user.name} loses access to {org.name}, and all of their tokens in it are disabled at once.
          </p>
        </ConfirmDialog>
      ) : null}
    </section>
  );
}

function AddMemberForm({ orgId, roles, onAdded }: { orgId: string; roles: Role[]; onAdded: () => void }) {
  const ids = { email: useId(), role: useId(), error: useId() };
  const [email, setEmail] = useState('');
  const [role, setRole] = useState('member');
  const action = useAction();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const added = await action.run(() => api.post<Membership>(orgPath(orgId, '/members'), { email, role }));
    if (added) {
      setEmail('');
      onAdded();
    }
  };
  return (
    <form className="panel inline-form" onSubmit={submit}>
      <h2>Add a member</h2>
      <div className="field">
        <label htmlFor={ids.email}>Email of an existing user</label>
        <input id={ids.email} type="email" value={email} onChange={(e) => setEmail(e.target.value)} required />
        <FieldError error={action.error} field="email" id={ids.error} />
      </div>
      <div className="field">
        <label htmlFor={ids.role}>Role</label>
        <RoleSelect id={ids.role} roles={roles} value={role} onChange={setRole} />
      </div>
      <button type="submit" className="primary" disabled={action.busy}>
        Add member
      </button>
      <ErrorNote error={unplaced(action.error, ['email'])} />
    </form>
  );
}

function ServiceAccounts({ onCreateToken }: { onCreateToken: (target: TokenTarget) => void }) {
  const { org } = useOrg();
  const ids = { name: useId(), description: useId() };
  const accounts = useResource(() => listAll<ServiceAccount>(orgPath(org.id, '/service-accounts')), [org.id]);
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [deactivating, setDeactivating] = useState<ServiceAccount | null>(null);
  const action = useAction();

  const create = async (event: FormEvent) => {
    event.preventDefault();
    const created = await action.run(() =>
      api.post<ServiceAccount>(orgPath(org.id, '/service-accounts'), { name, ...(description.trim() ? { description } : {}) }),
    );
    if (created) {
      setName('');
      setDescription('');
      accounts.reload();
    }
  };

  const deactivate = async (account: ServiceAccount) => {
    const done = await action.run(async () => {
      await api.delete(orgPath(org.id, `/service-accounts/${encodeURIComponent(account.id)}`));
      return true;
    });
    if (done) {
      setDeactivating(null);
      accounts.reload();
    }
  };

  return (
    <section className="panel" aria-labelledby="service-accounts-title">
      <h2 id="service-accounts-title">Service accounts</h2>
      <p className="lead">Non-human members that own tokens for automations, so a pipeline keeps working when a person leaves.</p>
      <ErrorNote error={accounts.error} />
      {accounts.data && accounts.data.length === 0 ? <p className="muted">No service accounts yet.</p> : null}
      {accounts.data && accounts.data.length > 0 ? (
        <ul className="plain-list">
          {accounts.data.map((a) => (
            <li key={a.id} className="list-row">
              <div>
                <strong>{a.name}</strong> {a.status === 'deactivated' ? <span className="badge badge-revoked">Deactivated</span> : null}
                {a.description ? <div className="muted">{a.description}</div> : null}
              </div>
              {a.status === 'active' ? (
                <div className="row-actions">
                  <button type="button" onClick={() => onCreateToken({ type: 'service_account', id: a.id, name: a.name })}>
                    Create token<span className="visually-hidden"> for {a.name}</span>
                  </button>
                  <button type="button" className="danger-text" onClick={() => setDeactivating(a)} aria-label={`Deactivate ${a.name}`}>
                    Deactivate
                  </button>
                </div>
              ) : null}
            </li>
          ))}
        </ul>
      ) : null}
      <form className="inline-form" onSubmit={create}>
        <div className="field">
          <label htmlFor={ids.name}>Name</label>
          <input id={ids.name} value={name} onChange={(e) => setName(e.target.value)} required maxLength={100} placeholder="e.g. release-bot" />
        </div>
        <div className="field">
          <label htmlFor={ids.description}>
            Description <span className="muted">(optional)</span>
          </label>
          <input id={ids.description} value={description} onChange={(e) => setDescription(e.target.value)} maxLength={1000} />
        </div>
        <button type="submit" disabled={action.busy}>
          Create service account
        </button>
      </form>
      <ErrorNote error={deactivating ? null : action.error} />
      {deactivating ? (
        <ConfirmDialog
          title={`Deactivate ${deactivating.name}?`}
          confirmLabel="Deactivate"
          danger
          busy={action.busy}
          error={<ErrorNote error={action.error} />}
          onConfirm={() => void deactivate(deactivating)}
          onClose={() => {
            setDeactivating(null);
            action.clear();
          }}
        >
          <p>All of its tokens are disabled at once and are not re-enabled automatically.</p>
        </ConfirmDialog>
      ) : null}
    </section>
  );
}
