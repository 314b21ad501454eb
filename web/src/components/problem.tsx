import { useEffect, useRef } from 'react';
import { ApiError } from '../api.js';

/** What a person can do about an error code, added to the server's own detail. */
const ADVICE: Record<string, string> = {
  unauthenticated: 'Sign in again to continue.',
  forbidden: 'Ask an owner or admin of this organization for the permission.',
  not_found: 'It may have been deleted, or you may not have access to it.',
  token_limit_reached: 'Revoke a token you no longer use, then try again.',
  feature_not_enabled: "Ask your site admin to change this organization's plan.",
  rate_limited: 'Wait a moment and try again.',
  network_error: '',
  internal_error: 'Try again; if it keeps happening, tell your site admin.',
  service_unavailable: 'The server is busy; try again in a few seconds.',
};

/** An error box for a page or form: the server's detail plus advice. Announced to screen readers. */
export function ErrorNote({ error, title }: { error: ApiError | null; title?: string }) {
  if (!error) return null;
  const advice = ADVICE[error.code];
  return (
    <div className="error-note" role="alert">
      {title ? <strong>{title} </strong> : null}
      {error.detail}
      {advice ? <span className="advice"> {advice}</span> : null}
    </div>
  );
}

/** The problem text next to the field it is about, and only when it is about that field. */
export function FieldError({ error, field, id }: { error: ApiError | null; field: string | string[]; id: string }) {
  const fields = Array.isArray(field) ? field : [field];
  if (!error || !error.field || !fields.some((f) => error.field === f || error.field?.startsWith(`${f}.`))) return null;
  return <FieldErrorText id={id} detail={error.detail} />;
}

/** Scrolled into view when it appears: in a long form the field may be far above the submit button. */
function FieldErrorText({ id, detail }: { id: string; detail: string }) {
  const ref = useRef<HTMLParagraphElement>(null);
  useEffect(() => {
    ref.current?.scrollIntoView({ block: 'center', behavior: 'smooth' });
  }, [detail]);
  return (
    <p className="field-error" id={id} role="alert" ref={ref}>
      {detail}
    </p>
  );
}

/**
 * A schema refusal in the form's words. The server's sentence starts with the raw field
 * ("rate_limits.1.window_seconds must be at most 86400."); `advice` says instead what to type into
 * the field by that name. The server's other sentences (a name used twice, say) are kept.
 */
export function inFormWords(error: ApiError | null, advice: (field: string) => string | undefined): ApiError | null {
  const words = error?.field ? advice(error.field) : undefined;
  if (!error || words === undefined || !error.detail.startsWith(error.field ?? '')) return error;
  return new ApiError(error.status, error.code, words, error.field);
}

/** Whether a form-level error box should show (the error is not already next to a field). */
export function unplaced(error: ApiError | null, fields: string[]): ApiError | null {
  if (!error) return null;
  if (error.field && fields.some((f) => error.field === f || error.field?.startsWith(`${f}.`))) return null;
  return error;
}

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <p className="muted" role="status">
      {label}
    </p>
  );
}
