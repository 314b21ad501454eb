import { useId, useState, type FormEvent } from 'react';
import { api, listAll, orgPath } from '../api.js';
import { ConfirmDialog } from '../components/dialog.js';
import { ErrorNote, FieldError, Loading, unplaced } from '../components/problem.js';
import { useAction, useResource } from '../hooks.js';
import { useOrg } from '../session.js';
import { PERMISSIONS, type Permission, type Role } from '../types.js';

const PERMISSION_HELP: Record<Permission, string> = {
  'tokens.create': 'Create tokens for oneself',
  'tokens.manage': 'See and manage every token of the organization',
  'tokens.impersonate': 'Create and see tokens on behalf of another member',
  'members.manage': 'Add and remove members, change their roles',
  'roles.manage': 'Create and change custom roles',
  'org.manage': "Change the organization's token policy",
  'audit.read': 'Read and export the audit log',
};

function PermissionChecklist({ value, onChange }: { value: Set<Permission>; onChange: (next: Set<Permission>) => void }) {
  return (
    <fieldset className="field">
      <legend>Permissions</legend>
      {PERMISSIONS.map((p) => (
        <label key={p} className="check">
          <input
            type="checkbox"
            checked={value.has(p)}
            onChange={(e) => {
              const next = new Set(value);
              if (e.target.checked) next.add(p);
              else next.delete(p);
              onChange(next);
            }}
          />
          <span>
            <code>{p}</code> <span className="muted">— {PERMISSION_HELP[p]}</span>
          </span>
        </label>
      ))}
    </fieldset>
  );
}

function RoleForm({ orgId, role, onDone, onCancel }: { orgId: string; role: Role | null; onDone: () => void; onCancel?: () => void }) {
  const ids = { name: useId(), error: useId() };
  const [name, setName] = useState(role?.name ?? '');
  const [permissions, setPermissions] = useState<Set<Permission>>(new Set(role?.permissions ?? []));
  const action = useAction();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const body = { name, permissions: [...permissions] };
    const saved = await action.run(() =>
      role ? api.patch<Role>(orgPath(orgId, `/roles/${encodeURIComponent(role.id)}`), body) : api.post<Role>(orgPath(orgId, '/roles'), body),
    );
    if (saved) {
      if (!role) {
        setName('');
        setPermissions(new Set());
      }
      onDone();
    }
  };
  return (
    <form className="stack" onSubmit={submit}>
      <div className="field">
        <label htmlFor={ids.name}>Role name</label>
        <input id={ids.name} value={name} onChange={(e) => setName(e.target.value)} required maxLength={50} />
        <FieldError error={action.error} field="name" id={ids.error} />
      </div>
      <PermissionChecklist value={permissions} onChange={setPermissions} />
      <ErrorNote error={unplaced(action.error, ['name'])} />
      <div className="actions">
        {onCancel ? (
          <button type="button" onClick={onCancel}>
            Cancel
          </button>
        ) : null}
        <button type="submit" className="primary" disabled={action.busy}>
          {role ? 'Save role' : 'Create role'}
        </button>
      </div>
    </form>
  );
}

export function RolesPage() {
  const { org, can } = useOrg();
  const roles = useResource(() => listAll<Role>(orgPath(org.id, '/roles')), [org.id]);
  const [editing, setEditing] = useState<string | null>(null);
  const [deleting, setDeleting] = useState<Role | null>(null);
  const action = useAction();
  const canManage = can('roles.manage');

  const remove = async (role: Role) => {
    const done = await action.run(async () => {
      await api.delete(orgPath(org.id, `/roles/${encodeURIComponent(role.id)}`));
      return true;
    });
    if (done) {
      setDeleting(null);
      roles.reload();
    }
  };

  return (
    <section aria-labelledby="roles-title">
      <div className="page-head">
        <h1 id="roles-title">Roles</h1>
      </div>
      <p className="lead">A role is a set of permissions. Built-in roles cannot be changed; custom roles apply to their holders' tokens at once.</p>
      <ErrorNote error={roles.error} title="The roles could not be loaded." />
      {roles.data === undefined && roles.loading ? <Loading /> : null}
      <div className="cards">
        {(roles.data ?? []).map((role) => (
          <article key={role.id} className="card" aria-labelledby={`role-${role.id}`}>
            {editing === role.id ? (
              <RoleForm
                orgId={org.id}
                role={role}
                onCancel={() => setEditing(null)}
                onDone={() => {
                  setEditing(null);
                  roles.reload();
                }}
              />
            ) : (
              <>
                <h2 id={`role-${role.id}`}>
                  {role.name} {role.built_in ? <span className="badge">Built-in</span> : null}
                </h2>
                {role.description ? <p className="muted">{role.description}</p> : null}
                <ul className="chips" aria-label="Permissions">
                  {role.permissions.length === 0 ? <li className="muted">No permissions</li> : null}
                  {role.permissions.map((p) => (
                    <li key={p} className="chip">
                      {p}
                    </li>
                  ))}
                </ul>
                {!role.built_in && canManage ? (
                  <div className="actions compact">
                    <button type="button" onClick={() => setEditing(role.id)}>
                      Edit
                    </button>
                    <button type="button" className="danger-text" onClick={() => setDeleting(role)}>
                      Delete
                    </button>
                  </div>
                ) : null}
              </>
            )}
          </article>
        ))}
      </div>
      {canManage ? (
        <section className="panel" aria-labelledby="new-role-title">
          <h2 id="new-role-title">New custom role</h2>
          <RoleForm orgId={org.id} role={null} onDone={roles.reload} />
        </section>
      ) : null}
      {deleting ? (
        <ConfirmDialog
          title={`Delete the role ${deleting.name}?`}
          confirmLabel="Delete role"
          danger
          busy={action.busy}
          error={<ErrorNote error={action.error} />}
          onConfirm={() => void remove(deleting)}
          onClose={() => {
            setDeleting(null);
            action.clear();
          }}
        >
          <p>A role that a member still holds cannot be deleted: give them another role first.</p>
        </ConfirmDialog>
      ) : null}
    </section>
  );
}
