import { useId, useState, type FormEvent } from 'react';
import { api } from '../api.js';
import { ErrorNote, FieldError, Loading, unplaced } from '../components/problem.js';
import { useAction, useResource } from '../hooks.js';
import { Link } from '../router.js';
import type { User } from '../types.js';

const FIELDS = ['email', 'name', 'password'];

/** First-run setup: the visitor with the one-time link printed at first start creates the site admin. */
export function SetupPage({ token, onDone }: { token: string | null; onDone: () => void }) {
  const ids = { email: useId(), name: useId(), password: useId(), confirm: useId(), error: useId() };
  const state = useResource(() => api.get<{ pending: boolean }>('/setup'), []);
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [mismatch, setMismatch] = useState(false);
  const action = useAction();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (password !== confirm) {
      setMismatch(true);
      return;
    }
    setMismatch(false);
    const user = await action.run(() => api.post<User>('/setup', { token, email, name, password }));
    if (user) onDone();
  };

  let body;
  if (state.loading && !state.data) body = <Loading />;
  else if (state.error) body = <ErrorNote error={state.error} />;
  else if (!state.data?.pending)
    body = (
      <p>
        Keyward is already set up. <Link href="/signin">Sign in</Link> instead.
      </p>
    );
  else if (!token)
    body = <p>Open the one-time setup link that the server printed when it first started; it carries the setup token.</p>;
  else
    body = (
      <form className="stack" onSubmit={submit} noValidate>
        <p>Create the first site admin. This link works once.</p>
        <div className="field">
          <label htmlFor={ids.name}>Your name</label>
          <input id={ids.name} value={name} onChange={(e) => setName(e.target.value)} required autoComplete="name" autoFocus maxLength={100} />
          <FieldError error={action.error} field="name" id={ids.error} />
        </div>
        <div className="field">
          <label htmlFor={ids.email}>Email</label>
          <input id={ids.email} type="email" value={email} onChange={(e) => setEmail(e.target.value)} required autoComplete="email" />
          <FieldError error={action.error} field="email" id={ids.error} />
        </div>
        <div className="field">
          <label htmlFor={ids.password}>Password</label>
          <input id={ids.password} type="password" value={password} onChange={(e) => setPassword(e.target.value)} required autoComplete="new-password" />
          <FieldError error={action.error} field="password" id={ids.error} />
        </div>
        <div className="field">
          <label htmlFor={ids.confirm}>Repeat the password</label>
          <input
            id={ids.confirm}
            type="password"
            value={confirm}
            onChange={(e) => setConfirm(e.target.value)}
            required
            autoComplete="new-password"
            aria-invalid={mismatch || undefined}
          />
          {mismatch ? (
            <p className="field-error" role="alert">
              The passwords do not match.
            </p>
          ) : null}
        </div>
        <ErrorNote error={unplaced(action.error, FIELDS)} />
        <button type="submit" className="primary" disabled={action.busy}>
          {action.busy ? 'Creating…' : 'Create site admin'}
        </button>
      </form>
    );

  return (
    <main className="auth-page" id="main">
      <div className="auth-card">
        <h1>Set up Keyward</h1>
        {body}
      </div>
    </main>
  );
}
