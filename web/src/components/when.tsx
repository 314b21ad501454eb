import { formatDateTime, fromNow } from '../format.js';

/** A time as "3 days ago" with the exact time on hover; `never` when there is none. */
export function When({ iso, never = 'Never' }: { iso: string | null; never?: string }) {
  if (!iso) return <span className="muted">{never}</span>;
  return (
    <time dateTime={iso} title={formatDateTime(iso)}>
      {fromNow(iso)}
    </time>
  );
}
