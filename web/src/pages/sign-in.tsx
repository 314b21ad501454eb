import { useId, useState, type FormEvent } from 'react';
import { api } from '../api.js';
import { ErrorNote } from '../components/problem.js';
import { useAction, useResource } from '../hooks.js';
import type { User } from '../types.js';

export function SignInPage({ onSignedIn, notice }: { onSignedIn: () => void; notice?: string }) {
  const emailId = useId();
  const passwordId = useId();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const action = useAction();
  const setup = useResource(() => api.get<{ pending: boolean }>('/setup'), []);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const user = await action.run(() => api.post<User>('/session', { email, password }));
    if (user) onSignedIn();
  };

  return (
    <main className="auth-page" id="main">
      <div className="auth-card">
        <h1>Sign in to Keyward</h1>
        {notice ? <p className="notice">{notice}</p> : null}
        {setup.data?.pending ? (
          <p className="notice">Keyward has no users yet. Open the one-time setup link that the server printed when it started.</p>
        ) : null}
        <form className="stack" onSubmit={submit}>
          <div className="field">
            <label htmlFor={emailId}>Email</label>
            <input id={emailId} type="email" value={email} onChange={(e) => setEmail(e.target.value)} required autoComplete="username" autoFocus />
          </div>
          <div className="field">
            <label htmlFor={passwordId}>Password</label>
            <input id={passwordId} type="password" value={password} onChange={(e) => setPassword(e.target.value)} required autoComplete="current-password" />
          </div>
          <ErrorNote error={action.error} />
          <button type="submit" className="primary" disabled={action.busy}>
            {action.busy ? 'Signing in…' : 'Sign in'}
          </button>
        </form>
      </div>
    </main>
  );
}
