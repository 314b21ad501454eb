import { useId, useMemo, useState, type FormEvent } from 'react';
import { api, ApiError, orgPath } from '../api.js';
import { addDays, dateInputValue, formatDate } from '../format.js';
import { useAction, useResource } from '../hooks.js';
import { creditsDraft, creditsFromDraft, rateLimitDraft, rateLimitFromDraft, type CreditsDraft, type RateLimitDraft } from '../limits.js';
import { groupScopes, humanResource } from '../scopes.js';
import type { Org, Page, Scope, TokenKind, TokenWithSecret } from '../types.js';
import { CreditsFields } from './credits-fields.js';
import { Dialog } from './dialog.js';
import { ErrorNote, FieldError, Loading, unplaced } from './problem.js';
import { RateLimitsEditor } from './rate-limits-editor.js';
import { SecretPanel } from './secret-panel.js';

/** Whose token this is: the caller's own, a member's (impersonation) or a service account's. */
export type TokenTarget =
  | { type: 'self' }
  | { type: 'member'; userId: string; name: string }
  | { type: 'service_account'; id: string; name: string };

type Expiration = { type: 'preset'; days: number } | { type: 'custom' } | { type: 'never' };

const FIELDS = ['name', 'description', 'scopes', 'expires_in_days', 'expires_at', 'kind', 'ip_allowlist', 'rate_limits', 'usage_limit'];

function endpoint(org: Org, target: TokenTarget): string {
  if (target.type === 'member') return orgPath(org.id, `/members/${encodeURIComponent(target.userId)}/tokens`);
  return orgPath(org.id, '/tokens');
}

function defaultExpiration(org: Org): Expiration {
  const presets = org.token_policy.expiration_presets_days;
  const first = presets.find((d) => d >= 30) ?? presets[0];
  if (first !== undefined) return { type: 'preset', days: first };
  return org.token_policy.allow_custom_expiration ? { type: 'custom' } : { type: 'never' };
}

/** The create dialog: the form first, then (once created) the one-time secret. */
export function CreateTokenDialog({ org, target, onClose, onCreated }: { org: Org; target: TokenTarget; onClose: () => void; onCreated: () => void }) {
  const [issued, setIssued] = useState<TokenWithSecret | null>(null);
  const title = issued
    ? 'Token created'
    : target.type === 'self'
      ? 'Create a token'
      : `Create a token for ${target.name}`;
  return (
    <Dialog title={title} onClose={onClose} wide>
      {issued ? (
        <div className="stack">
          <p>
            <strong>{issued.token.name}</strong> is ready.
            {issued.token.expires_at ? ` It expires on ${formatDate(issued.token.expires_at)}.` : ' It does not expire.'}
          </p>
          <SecretPanel secret={issued.secret} acceptXApiKey={org.token_policy.accept_x_api_key} />
          <div className="actions">
            <button type="button" className="primary" onClick={onClose}>
              Done
            </button>
          </div>
        </div>
      ) : (
        <CreateTokenForm
          org={org}
          target={target}
          onCancel={onClose}
          onCreated={(result) => {
            setIssued(result);
            onCreated();
          }}
        />
      )}
    </Dialog>
  );
}

function CreateTokenForm({ org, target, onCancel, onCreated }: { org: Org; target: TokenTarget; onCancel: () => void; onCreated: (issued: TokenWithSecret) => void }) {
  const policy = org.token_policy;
  const ids = { name: useId(), description: useId(), custom: useId(), ips: useId(), errors: useId() };
  const catalog = useResource(() => api.get<Page<Scope>>(orgPath(org.id, '/scopes')), [org.id]);
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [scopes, setScopes] = useState<Set<string>>(new Set());
  const [expiration, setExpiration] = useState<Expiration>(() => defaultExpiration(org));
  const [customDate, setCustomDate] = useState(() => dateInputValue(addDays(new Date(), Math.min(30, policy.max_lifetime_days))));
  const [kind, setKind] = useState<TokenKind>(policy.allowed_kinds[0] ?? 'api_key');
  const [ips, setIps] = useState('');
  const [rateLimits, setRateLimits] = useState<RateLimitDraft[]>(() => policy.default_rate_limits.map(rateLimitDraft));
  const [credits, setCredits] = useState<CreditsDraft>(() => creditsDraft(null));
  const action = useAction();
  const [missing, setMissing] = useState<ApiError | null>(null);
  const error = missing ?? action.error;
  const groups = useMemo(() => groupScopes(catalog.data?.data ?? []), [catalog.data]);

  const today = new Date();
  const minDate = dateInputValue(addDays(today, 1));
  const maxDate = dateInputValue(addDays(today, policy.max_lifetime_days));

  const toggle = (scope: string, on: boolean) => {
    const next = new Set(scopes);
    if (on) next.add(scope);
    else next.delete(scope);
    setScopes(next);
  };

  /** The two mistakes worth catching before a round trip; everything else is the server's call. */
  const localProblem = (): ApiError | null => {
    if (!name.trim()) return new ApiError(0, 'validation_failed', 'Give the token a name, e.g. what uses it.', 'name');
    if (scopes.size === 0) return new ApiError(0, 'validation_failed', 'Choose at least one scope.', 'scopes');
    return null;
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const problem = localProblem();
    setMissing(problem);
    if (problem) return;
    const body: Record<string, unknown> = { name, scopes: [...scopes] };
    if (description.trim()) body.description = description;
    if (expiration.type === 'preset') body.expires_in_days = expiration.days;
    if (expiration.type === 'custom') {
      // The chosen day at the current time of day, so the longest allowed date stays within the policy.
      const now = new Date();
      const [y, m, d] = customDate.split('-').map(Number);
      body.expires_at = new Date(y ?? 0, (m ?? 1) - 1, d ?? 1, now.getHours(), now.getMinutes()).toISOString();
    }
    if (policy.allowed_kinds.length > 1) body.kind = kind;
    const allowlist = ips.split(/[\s,]+/).filter(Boolean);
    if (allowlist.length > 0) body.ip_allowlist = allowlist;
    if (target.type === 'service_account') body.owner_id = target.id;
    // Always sent: an emptied list means "no limits", where leaving it out would mean the org's defaults.
    body.rate_limits = rateLimits.map(rateLimitFromDraft);
    const usageLimit = creditsFromDraft(credits);
    if (usageLimit) body.usage_limit = usageLimit;
    const result = await action.run(() => api.post<TokenWithSecret>(endpoint(org, target), body));
    if (result) onCreated(result);
  };

  const describedBy = (field: string) => (error?.field === field ? ids.errors : undefined);

  return (
    <form className="stack" onSubmit={submit} noValidate>
      <div className="field">
        <label htmlFor={ids.name}>Name</label>
        <input
          id={ids.name}
          value={name}
          onChange={(e) => setName(e.target.value)}
          required
          maxLength={100}
          autoFocus
          placeholder="e.g. CI deploy pipeline"
          aria-invalid={error?.field === 'name' || undefined}
          aria-describedby={describedBy('name')}
        />
        <FieldError error={error} field="name" id={ids.errors} />
      </div>
      <div className="field">
        <label htmlFor={ids.description}>
          Description <span className="muted">(optional)</span>
        </label>
        <textarea id={ids.description} value={description} onChange={(e) => setDescription(e.target.value)} rows={2} maxLength={1000} />
        <FieldError error={error} field="description" id={ids.errors} />
      </div>

      <fieldset className="field">
        <legend>Scopes</legend>
        <p className="hint">What the token may do. It never gets more than you may do yourself.</p>
        {catalog.loading && !catalog.data ? <Loading label="Loading scopes…" /> : null}
        <ErrorNote error={catalog.error} title="The scopes could not be loaded." />
        <div className="scope-groups">
          {groups.map((group) => (
            <div key={group.resource} className="scope-group" role="group" aria-label={humanResource(group.resource)}>
              <h3>{humanResource(group.resource)}</h3>
              {group.scopes.map((scope) => (
                <label key={scope.name} className="check">
                  <input type="checkbox" checked={scopes.has(scope.name)} onChange={(e) => toggle(scope.name, e.target.checked)} />
                  <span>
                    <code>{scope.name}</code>
                    <span className="scope-description">{scope.description}</span>
                  </span>
                </label>
              ))}
            </div>
          ))}
        </div>
        <FieldError error={error} field="scopes" id={ids.errors} />
      </fieldset>

      <fieldset className="field">
        <legend>Expiration</legend>
        <div className="choices">
          {policy.expiration_presets_days.map((days) => (
            <label key={days} className="check">
              <input
                type="radio"
                name="expiration"
                checked={expiration.type === 'preset' && expiration.days === days}
                onChange={() => setExpiration({ type: 'preset', days })}
              />
              <span>
                {days} days <span className="muted">({formatDate(addDays(today, days).toISOString())})</span>
              </span>
            </label>
          ))}
          {policy.allow_custom_expiration ? (
            <label className="check">
              <input type="radio" name="expiration" checked={expiration.type === 'custom'} onChange={() => setExpiration({ type: 'custom' })} />
              <span>Custom date</span>
            </label>
          ) : null}
          {!policy.expiration_required ? (
            <label className="check">
              <input type="radio" name="expiration" checked={expiration.type === 'never'} onChange={() => setExpiration({ type: 'never' })} />
              <span>No expiration</span>
            </label>
          ) : null}
        </div>
        {expiration.type === 'custom' ? (
          <div className="field inline-field">
            <label htmlFor={ids.custom}>Expires on</label>
            <input id={ids.custom} type="date" value={customDate} min={minDate} max={maxDate} onChange={(e) => setCustomDate(e.target.value)} required />
            <span className="hint">At most {policy.max_lifetime_days} days from today.</span>
          </div>
        ) : null}
        <FieldError error={error} field={['expires_in_days', 'expires_at']} id={ids.errors} />
      </fieldset>

      {policy.allowed_kinds.length > 1 ? (
        <fieldset className="field">
          <legend>Kind</legend>
          <div className="choices">
            <label className="check">
              <input type="radio" name="kind" checked={kind === 'api_key'} onChange={() => setKind('api_key')} />
              <span>
                API key <span className="muted">— an opaque secret, checked by Keyward</span>
              </span>
            </label>
            <label className="check">
              <input type="radio" name="kind" checked={kind === 'jwt'} onChange={() => setKind('jwt')} />
              <span>
                JWT <span className="muted">— a signed bearer token (RFC 9068)</span>
              </span>
            </label>
          </div>
          <FieldError error={error} field="kind" id={ids.errors} />
        </fieldset>
      ) : null}

      <div className="field">
        <label htmlFor={ids.ips}>
          Allowed IP addresses <span className="muted">(optional)</span>
        </label>
        <input id={ids.ips} value={ips} onChange={(e) => setIps(e.target.value)} placeholder="e.g. 203.0.113.7, 10.0.0.0/8" />
        <FieldError error={error} field="ip_allowlist" id={ids.errors} />
      </div>

      <RateLimitsEditor
        legend="Rate limits"
        hint={
          policy.default_rate_limits.length > 0
            ? "How often it may be used. Filled in from the organization's defaults; they cannot be changed after creation."
            : 'How often it may be used, e.g. 100 uses per minute. They cannot be changed after creation.'
        }
        drafts={rateLimits}
        onChange={setRateLimits}
        error={error}
        fields={['rate_limits']}
        errorId={ids.errors}
      />

      <fieldset className="field">
        <legend>
          Usage credits <span className="muted">(optional)</span>
        </legend>
        <p className="hint">A budget of valid uses: once spent, the token is refused until its refill. An admin can top it up later.</p>
        <CreditsFields draft={credits} onChange={setCredits} error={error} errorId={ids.errors} />
      </fieldset>

      <ErrorNote error={unplaced(error, FIELDS)} />
      <div className="actions">
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
        <button type="submit" className="primary" disabled={action.busy}>
          {action.busy ? 'Creating…' : 'Create token'}
        </button>
      </div>
    </form>
  );
}
