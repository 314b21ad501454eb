/** Dates as people read them in the portal: relative ("in 3 days", "5 minutes ago") and absolute. */

export const DAY_MS = 86_400_000;

const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
const absolute = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const dateOnly = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });

const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['year', 365 * DAY_MS],
  ['month', 30 * DAY_MS],
  ['week', 7 * DAY_MS],
  ['day', DAY_MS],
  ['hour', 3_600_000],
  ['minute', 60_000],
];

export function fromNow(iso: string, nowMs = Date.now()): string {
  const delta = new Date(iso).getTime() - nowMs;
  for (const [unit, size] of UNITS) {
    if (Math.abs(delta) >= size) return relative.format(Math.round(delta / size), unit);
  }
  return Math.abs(delta) < 60_000 ? (delta >= 0 ? 'in less than a minute' : 'just now') : relative.format(0, 'minute');
}

export function formatDateTime(iso: string): string {
  return absolute.format(new Date(iso));
}

export function formatDate(iso: string): string {
  return dateOnly.format(new Date(iso));
}

/** Whole days left until `iso` (rounded up, so "expires in 1 day" until the last moment). */
export function daysUntil(iso: string, nowMs = Date.now()): number {
  return Math.max(0, Math.ceil((new Date(iso).getTime() - nowMs) / DAY_MS));
}

export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}

/** `yyyy-mm-dd` in local time, for <input type="date"> bounds. */
export function dateInputValue(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

export function addDays(date: Date, days: number): Date {
  return new Date(date.getTime() + days * DAY_MS);
}
