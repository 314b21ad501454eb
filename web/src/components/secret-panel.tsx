import { useEffect, useId, useRef, useState } from 'react';

type CopyState = 'idle' | 'copied' | 'failed';

/** A Copy button with "Copied" feedback; falls back to selecting the text when the clipboard API is refused. */
export function CopyButton({ text, label = 'Copy', target }: { text: string; label?: string; target?: () => HTMLInputElement | HTMLTextAreaElement | null }) {
  const [state, setState] = useState<CopyState>('idle');
  useEffect(() => {
    if (state === 'idle') return;
    const timer = window.setTimeout(() => setState('idle'), 2500);
    return () => window.clearTimeout(timer);
  }, [state]);

  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setState('copied');
    } catch {
      target?.()?.select();
      setState('failed');
    }
  };

  return (
    <>
      <button type="button" onClick={copy} aria-label={label === 'Copy' ? undefined : label}>
        {state === 'copied' ? 'Copied' : 'Copy'}
      </button>
      <span className="visually-hidden" role="status">
        {state === 'copied' ? 'Copied to the clipboard' : state === 'failed' ? 'Copy failed; the text is selected, press Ctrl+C' : ''}
      </span>
    </>
  );
}

type SecretPanelProps = {
  secret: string;
  /** Whether the org accepts the legacy X-API-Key header (adds a second snippet). */
  acceptXApiKey: boolean;
  /** What the secret is for, e.g. "the new token" after a rotation. */
  heading?: string;
};

/** The one-time secret: shown once after create or rotate, with copy buttons and ready-to-run snippets. */
export function SecretPanel({ secret, acceptXApiKey, heading = 'Your new token' }: SecretPanelProps) {
  const inputId = useId();
  const inputRef = useRef<HTMLInputElement>(null);
  const origin = window.location.origin;
  const snippets = [
    { label: 'Authorization header', text: `curl -H "Authorization: Bearer ${secret}" ${origin}/api/v1/me` },
    ...(acceptXApiKey ? [{ label: 'X-API-Key header', text: `curl -H "X-API-Key: ${secret}" ${origin}/api/v1/me` }] : []),
  ];

  return (
    <section className="secret-panel" aria-label="One-time secret">
      <p className="warning" role="note">
        <strong>Copy this token now.</strong> You won't be able to see it again: Keyward keeps only a hash of it.
      </p>
      <label htmlFor={inputId}>{heading}</label>
      <div className="copy-row">
        <input
          id={inputId}
          ref={inputRef}
          className="mono"
          readOnly
          // The form that asked for it is gone: the focus goes to what there is to take, selected.
          autoFocus
          value={secret}
          data-testid="secret"
          onFocus={(event) => event.currentTarget.select()}
        />
        <CopyButton text={secret} target={() => inputRef.current} />
      </div>
      <h3>Try it</h3>
      {snippets.map((snippet) => (
        <div key={snippet.label} className="snippet">
          <div className="snippet-head">
            <span>{snippet.label}</span>
            <CopyButton text={snippet.text} label={`Copy the ${snippet.label} example`} />
          </div>
          <pre className="mono">{snippet.text}</pre>
        </div>
      ))}
    </section>
  );
}
