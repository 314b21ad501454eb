import { useId } from 'react';
import type { ApiError } from '../api.js';
import type { CreditsDraft } from '../limits.js';
import type { RefillInterval } from '../types.js';
import { CountInput } from './count-input.js';
import { FieldError, inFormWords } from './problem.js';

const ADVICE: Record<string, string> = {
  'usage_limit.remaining': 'Credits left must be a whole number, 0 or more.',
  'usage_limit.refill.amount': 'Refill to must be a whole number, at least 1.',
};

type Props = {
  draft: CreditsDraft;
  onChange: (draft: CreditsDraft) => void;
  error: ApiError | null;
  errorId: string;
};

/**
 * Usage credits (`usage_limit`): how many valid uses are left, and optionally a daily or monthly
 * refill back to an amount. Server errors show next to the field they name.
 */
export function CreditsFields({ draft, onChange, error: refusal, errorId }: Props) {
  const base = useId();
  const error = inFormWords(refusal, (field) => ADVICE[field]);
  const ids = { remaining: `${base}-remaining`, interval: `${base}-interval`, amount: `${base}-amount` };
  const set = (change: Partial<CreditsDraft>) => onChange({ ...draft, ...change });
  const about = (field: string) => (error?.field === field ? { 'aria-invalid': true, 'aria-describedby': errorId } : {});

  return (
    <>
      <label className="check">
        <input type="checkbox" checked={draft.on} onChange={(e) => set({ on: e.target.checked })} />
        <span>Limit its use with credits</span>
      </label>
      {draft.on ? (
        <div className="grid-3">
          <div className="field">
            <label htmlFor={ids.remaining}>Credits left</label>
            <CountInput id={ids.remaining} min={0} value={draft.remaining} onChange={(remaining) => set({ remaining })} {...about('usage_limit.remaining')} />
            <FieldError error={error} field="usage_limit.remaining" id={errorId} />
          </div>
          <div className="field">
            <label htmlFor={ids.interval}>Refill</label>
            <select id={ids.interval} value={draft.interval} onChange={(e) => set({ interval: e.target.value as '' | RefillInterval })}>
              <option value="">Never</option>
              <option value="day">Every day</option>
              <option value="month">Every month</option>
            </select>
            {draft.interval ? <span className="hint">{draft.interval === 'day' ? 'At midnight UTC.' : 'On the 1st, at midnight UTC.'}</span> : null}
          </div>
          {draft.interval ? (
            <div className="field">
              <label htmlFor={ids.amount}>Refill to</label>
              <CountInput id={ids.amount} min={1} value={draft.amount} onChange={(amount) => set({ amount })} {...about('usage_limit.refill.amount')} />
              <FieldError error={error} field={['usage_limit.refill']} id={errorId} />
            </div>
          ) : null}
        </div>
      ) : null}
      <FieldError error={error?.field === 'usage_limit' ? error : null} field="usage_limit" id={errorId} />
    </>
  );
}
