import { useId, useState, type FormEvent } from 'react';
import { api, orgPath } from '../api.js';
import { ErrorNote, FieldError, unplaced } from '../components/problem.js';
import { RateLimitsEditor } from '../components/rate-limits-editor.js';
import { useAction } from '../hooks.js';
import { rateLimitDraft, rateLimitFromDraft, type RateLimitDraft } from '../limits.js';
import { useOrg, useSession } from '../session.js';
import type { Org, TokenKind, TokenPolicy } from '../types.js';

const POLICY_FIELDS: (keyof TokenPolicy)[] = [
  'expiration_presets_days',
  'allow_custom_expiration',
  'max_lifetime_days',
  'expiration_required',
  'max_tokens_per_user',
  'self_service',
  'warning_window_days',
  'allowed_kinds',
  'accept_x_api_key',
  'default_rate_limits',
];

/** The server names a policy field bare (policy rules) or under token_policy (shape checks). */
const fieldNames = (field: keyof TokenPolicy) => [field, `token_policy.${field}`];

export function OrgSettingsPage() {
  const { org, can, reloadOrg } = useOrg();
  const { reload: reloadSession } = useSession();
  if (!can('org.manage')) return <p className="notice">Changing the organization's settings needs the org.manage permission.</p>;
  return (
    <section aria-labelledby="settings-title">
      <div className="page-head">
        <h1 id="settings-title">Settings</h1>
      </div>
      <p className="lead">
        Plan: <strong>{org.plan}</strong>
        {org.features.length ? ` · Features: ${org.features.join(', ')}` : ''}
        {org.tokens_enabled ? '' : ' · This plan does not include API tokens.'}
      </p>
      <PolicyForm
        key={org.id}
        org={org}
        onSaved={() => {
          reloadOrg();
          reloadSession();
        }}
      />
    </section>
  );
}

function PolicyForm({ org, onSaved }: { org: Org; onSaved: () => void }) {
  const base = useId();
  const ids = {
    name: `${base}-name`,
    presets: `${base}-presets`,
    max: `${base}-max`,
    perUser: `${base}-per-user`,
    window: `${base}-window`,
    error: `${base}-error`,
  };
  const [name, setName] = useState(org.name);
  const [policy, setPolicy] = useState<TokenPolicy>(org.token_policy);
  const [presets, setPresets] = useState(org.token_policy.expiration_presets_days.join(', '));
  const [defaultLimits, setDefaultLimits] = useState<RateLimitDraft[]>(() => org.token_policy.default_rate_limits.map(rateLimitDraft));
  const [saved, setSaved] = useState(false);
  const action = useAction();
  const set = <K extends keyof TokenPolicy>(key: K, value: TokenPolicy[K]) => {
    setSaved(false);
    setPolicy({ ...policy, [key]: value });
  };
  const toggleKind = (kind: TokenKind, on: boolean) =>
    set('allowed_kinds', on ? [...new Set([...policy.allowed_kinds, kind])] : policy.allowed_kinds.filter((k) => k !== kind));

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const presetDays = presets
      .split(/[\s,]+/)
      .filter(Boolean)
      .map(Number);
    const result = await action.run(() =>
      api.patch<Org>(orgPath(org.id), {
        name,
        token_policy: { ...policy, expiration_presets_days: presetDays, default_rate_limits: defaultLimits.map(rateLimitFromDraft) },
      }),
    );
    if (result) {
      setSaved(true);
      onSaved();
    }
  };

  const number = (key: 'max_lifetime_days' | 'max_tokens_per_user' | 'warning_window_days', inputId: string, label: string, hint: string) => (
    <div className="field">
      <label htmlFor={inputId}>{label}</label>
      <input id={inputId} type="number" min={key === 'warning_window_days' ? 0 : 1} value={policy[key]} onChange={(e) => set(key, Number(e.target.value))} required />
      <span className="hint">{hint}</span>
      <FieldError error={action.error} field={fieldNames(key)} id={ids.error} />
    </div>
  );
  const flag = (key: 'allow_custom_expiration' | 'expiration_required' | 'self_service' | 'accept_x_api_key', label: string) => (
    <label className="check">
      <input type="checkbox" checked={policy[key]} onChange={(e) => set(key, e.target.checked)} />
      <span>{label}</span>
    </label>
  );

  return (
    <form className="panel stack" onSubmit={submit}>
      <div className="field">
        <label htmlFor={ids.name}>Organization name</label>
        <input id={ids.name} value={name} onChange={(e) => setName(e.target.value)} required maxLength={100} />
        <FieldError error={action.error} field="name" id={ids.error} />
      </div>
      <h2>Token policy</h2>
      <div className="field">
        <label htmlFor={ids.presets}>Expiration presets (days)</label>
        <input id={ids.presets} value={presets} onChange={(e) => setPresets(e.target.value)} placeholder="30, 90, 180, 365" />
        <span className="hint">Offered when creating a token, separated by commas.</span>
        <FieldError error={action.error} field={fieldNames('expiration_presets_days')} id={ids.error} />
      </div>
      {number('max_lifetime_days', ids.max, 'Maximum lifetime (days)', 'No token may live longer, whatever date is chosen.')}
      {number('max_tokens_per_user', ids.perUser, 'Active tokens per user', 'A member who reaches it must revoke one to create another.')}
      {number('warning_window_days', ids.window, 'Expiry warning window (days)', 'Tokens show "Expires in N days" this long before they expire.')}
      <fieldset className="field">
        <legend>Rules</legend>
        {flag('expiration_required', 'Tokens must expire')}
        {flag('allow_custom_expiration', 'Allow a custom expiration date')}
        {flag('self_service', 'Members create their own tokens (otherwise only admins do)')}
        {flag('accept_x_api_key', 'Accept the legacy X-API-Key header')}
        <FieldError error={action.error} field={[...fieldNames('expiration_required'), ...fieldNames('self_service')]} id={ids.error} />
      </fieldset>
      <fieldset className="field">
        <legend>Token kinds</legend>
        <label className="check">
          <input type="checkbox" checked={policy.allowed_kinds.includes('api_key')} onChange={(e) => toggleKind('api_key', e.target.checked)} />
          <span>API keys (opaque)</span>
        </label>
        <label className="check">
          <input type="checkbox" checked={policy.allowed_kinds.includes('jwt')} onChange={(e) => toggleKind('jwt', e.target.checked)} />
          <span>JWT bearer tokens</span>
        </label>
        <FieldError error={action.error} field={fieldNames('allowed_kinds')} id={ids.error} />
      </fieldset>
      <RateLimitsEditor
        legend="Default rate limits"
        hint="What a new token gets when its creator sets none; the create dialog starts from these. Existing tokens keep theirs."
        drafts={defaultLimits}
        onChange={(drafts) => {
          setSaved(false);
          setDefaultLimits(drafts);
        }}
        error={action.error}
        fields={fieldNames('default_rate_limits')}
        errorId={ids.error}
      />
      <ErrorNote error={unplaced(action.error, ['name', ...POLICY_FIELDS.flatMap(fieldNames)])} />
      {saved ? (
        <p className="success" role="status">
          Saved.
        </p>
      ) : null}
      <div className="actions">
        <button type="submit" className="primary" disabled={action.busy}>
          {action.busy ? 'Saving…' : 'Save settings'}
        </button>
      </div>
    </form>
  );
}
