import { useId, type ReactNode } from 'react';
import type { ApiError } from '../api.js';
import { rateLimitDraft, WINDOW_UNITS, type RateLimitDraft, type WindowUnit } from '../limits.js';
import { MAX_RATE_LIMITS } from '../types.js';
import { CountInput } from './count-input.js';
import { FieldError, inFormWords } from './problem.js';

const ROW_ADVICE: Record<string, string> = {
  name: 'A limit name is 1 to 32 lowercase letters, digits, “_”, “.” or “-”, starting with a letter or digit.',
  limit: 'Uses must be a whole number, at least 1.',
  window_seconds: 'The window must be a whole number of seconds, minutes or hours, from 1 second to 1 day.',
};

type Props = {
  legend: string;
  hint: ReactNode;
  drafts: RateLimitDraft[];
  onChange: (drafts: RateLimitDraft[]) => void;
  error: ApiError | null;
  /** The names the server gives the list (`rate_limits`, or a policy's under two spellings); rows are `<name>.<i>.…`. */
  fields: string[];
  /** The id of the one error text the form shows at a time, for aria-describedby. */
  errorId: string;
};

/** Up to five named limits, each "N uses per M seconds/minutes/hours/days"; a server 400 shows at its row. */
export function RateLimitsEditor({ legend, hint, drafts, onChange, error: refusal, fields, errorId }: Props) {
  const base = useId();
  // `<list>.<row>.<part>`: the advice for the part, in any row.
  const error = inFormWords(refusal, (field) => (fields.some((f) => field.startsWith(`${f}.`)) ? ROW_ADVICE[field.split('.').pop() ?? ''] : undefined));
  const update = (key: number, change: Partial<RateLimitDraft>) => onChange(drafts.map((d) => (d.key === key ? { ...d, ...change } : d)));
  const invalid = (i: number, field: string) => fields.some((f) => error?.field === `${f}.${i}.${field}`) || undefined;
  const describedBy = (i: number) => (fields.some((f) => error?.field?.startsWith(`${f}.${i}.`)) ? errorId : undefined);
  // The list as a whole (too many, say) rather than one row.
  const listError = fields.includes(error?.field ?? '') ? error : null;

  return (
    <fieldset className="field">
      <legend>{legend}</legend>
      <p className="hint">{hint}</p>
      {drafts.length === 0 ? <p className="muted">No rate limits.</p> : null}
      {drafts.map((draft, i) => {
        const id = (part: string) => `${base}-${draft.key}-${part}`;
        return (
          <div key={draft.key} className="rate-limit-row" role="group" aria-label={`Rate limit ${i + 1}`}>
            <div className="field">
              <label htmlFor={id('name')}>Limit name</label>
              <input
                id={id('name')}
                value={draft.name}
                onChange={(e) => update(draft.key, { name: e.target.value })}
                maxLength={32}
                placeholder="e.g. per_minute"
                aria-invalid={invalid(i, 'name')}
                aria-describedby={describedBy(i)}
              />
            </div>
            <div className="field">
              <label htmlFor={id('limit')}>Uses</label>
              <CountInput
                id={id('limit')}
                min={1}
                value={draft.limit}
                onChange={(limit) => update(draft.key, { limit })}
                aria-invalid={invalid(i, 'limit')}
                aria-describedby={describedBy(i)}
              />
            </div>
            <div className="field">
              <label htmlFor={id('every')}>Per</label>
              <CountInput
                id={id('every')}
                min={1}
                value={draft.every}
                onChange={(every) => update(draft.key, { every })}
                aria-invalid={invalid(i, 'window_seconds')}
                aria-describedby={describedBy(i)}
              />
            </div>
            <div className="field">
              <label htmlFor={id('unit')}>Unit</label>
              <select id={id('unit')} value={draft.unit} onChange={(e) => update(draft.key, { unit: e.target.value as WindowUnit })}>
                {WINDOW_UNITS.map((u) => (
                  <option key={u.unit} value={u.unit}>
                    {u.unit === 'second' ? 'seconds' : `${u.unit}s`}
                  </option>
                ))}
              </select>
            </div>
            <button type="button" className="danger-text" onClick={() => onChange(drafts.filter((d) => d.key !== draft.key))} aria-label={`Remove rate limit ${i + 1}`}>
              Remove
            </button>
            <div className="rate-limit-error">
              <FieldError error={error} field={fields.map((f) => `${f}.${i}`)} id={errorId} />
            </div>
          </div>
        );
      })}
      {drafts.length < MAX_RATE_LIMITS ? (
        <div>
          <button type="button" onClick={() => onChange([...drafts, rateLimitDraft()])}>
            Add a rate limit
          </button>
        </div>
      ) : (
        <p className="hint">{MAX_RATE_LIMITS} is the most a token may have.</p>
      )}
      <FieldError error={listError} field={fields} id={errorId} />
    </fieldset>
  );
}
