import { useId, useState, type FormEvent } from 'react';
import { api, orgPath } from '../api.js';
import { useAction } from '../hooks.js';
import type { Org, Token, TokenWithSecret } from '../types.js';
import { ConfirmDialog, Dialog } from './dialog.js';
import { ErrorNote } from './problem.js';
import { SecretPanel } from './secret-panel.js';

export function tokenPath(token: Pick<Token, 'org_id' | 'id'>, action = ''): string {
  return orgPath(token.org_id, `/tokens/${encodeURIComponent(token.id)}${action ? `/${action}` : ''}`);
}

/** Revoking is permanent, so it is confirmed by name. */
export function RevokeDialog({ token, onClose, onDone }: { token: Token; onClose: () => void; onDone: () => void }) {
  const action = useAction();
  const revoke = async () => {
    const result = await action.run(() => api.post<Token>(tokenPath(token, 'revoke')));
    if (result) onDone();
  };
  return (
    <ConfirmDialog
      title={`Revoke “${token.name}”?`}
      confirmLabel="Revoke token"
      danger
      busy={action.busy}
      error={<ErrorNote error={action.error} />}
      onConfirm={revoke}
      onClose={onClose}
    >
      <p>
        Anything that uses <strong>{token.name}</strong> (<code>{token.hint}</code>) will be refused at once. This cannot be undone: to
        suspend it for a while, disable it instead.
      </p>
    </ConfirmDialog>
  );
}

const GRACE_PERIODS = [
  { seconds: 0, label: 'None: the old token stops working now' },
  { seconds: 3600, label: '1 hour' },
  { seconds: 86_400, label: '24 hours' },
  { seconds: 3 * 86_400, label: '3 days' },
  { seconds: 7 * 86_400, label: '7 days' },
];

/** Rotation: choose how long the old secret keeps working, then show the new one once. */
export function RotateDialog({ token, org, onClose, onDone }: { token: Token; org: Org; onClose: () => void; onDone: () => void }) {
  const selectId = useId();
  const [grace, setGrace] = useState(86_400);
  const [issued, setIssued] = useState<TokenWithSecret | null>(null);
  const action = useAction();

  const rotate = async (event: FormEvent) => {
    event.preventDefault();
    const result = await action.run(() => api.post<TokenWithSecret>(tokenPath(token, 'rotate'), { grace_period_seconds: grace }));
    if (result) {
      setIssued(result);
      onDone();
    }
  };

  return (
    <Dialog title={issued ? `“${token.name}” rotated` : `Rotate “${token.name}”`} onClose={onClose} wide={issued !== null}>
      {issued ? (
        <div className="stack">
          <p>
            {grace === 0
              ? 'The old token no longer works.'
              : `The old token keeps working for ${GRACE_PERIODS.find((g) => g.seconds === grace)?.label ?? `${grace} seconds`}; switch your pipelines to the new one before then.`}
          </p>
          <SecretPanel secret={issued.secret} acceptXApiKey={org.token_policy.accept_x_api_key} heading="The new token" />
          <div className="actions">
            <button type="button" className="primary" onClick={onClose}>
              Done
            </button>
          </div>
        </div>
      ) : (
        <form className="stack" onSubmit={rotate}>
          <p>A new token with the same name, scopes, kind and owner replaces this one. Its secret is shown once.</p>
          <div className="field">
            <label htmlFor={selectId}>Grace period for the old token</label>
            <select id={selectId} value={grace} onChange={(e) => setGrace(Number(e.target.value))} autoFocus>
              {GRACE_PERIODS.map((g) => (
                <option key={g.seconds} value={g.seconds}>
                  {g.label}
                </option>
              ))}
            </select>
          </div>
          <ErrorNote error={action.error} />
          <div className="actions">
            <button type="button" onClick={onClose}>
              Cancel
            </button>
            <button type="submit" className="primary" disabled={action.busy}>
              {action.busy ? 'Rotating…' : 'Rotate token'}
            </button>
          </div>
        </form>
      )}
    </Dialog>
  );
}

/** Rename in place: the name cell becomes a small form; Enter saves, Escape cancels. */
export function RenameForm({ token, onCancel, onDone }: { token: Token; onCancel: () => void; onDone: () => void }) {
  const nameId = useId();
  const descriptionId = useId();
  const [name, setName] = useState(token.name);
  const [description, setDescription] = useState(token.description ?? '');
  const action = useAction();

  const save = async (event: FormEvent) => {
    event.preventDefault();
    const result = await action.run(() =>
      api.patch<Token>(tokenPath(token), { name, description: description.trim() ? description : null }),
    );
    if (result) onDone();
  };

  return (
    <form
      className="rename-form"
      onSubmit={save}
      onKeyDown={(e) => {
        if (e.key === 'Escape') {
          e.preventDefault();
          onCancel();
        }
      }}
    >
      <label htmlFor={nameId} className="visually-hidden">
        Token name
      </label>
      <input id={nameId} value={name} onChange={(e) => setName(e.target.value)} maxLength={100} autoFocus required />
      <label htmlFor={descriptionId} className="visually-hidden">
        Description
      </label>
      <input id={descriptionId} value={description} onChange={(e) => setDescription(e.target.value)} placeholder="Description (optional)" maxLength={1000} />
      <ErrorNote error={action.error} />
      <div className="actions compact">
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
        <button type="submit" className="primary" disabled={action.busy}>
          Save
        </button>
      </div>
    </form>
  );
}
