import { CliError } from './output.js';

/** Commander parser for repeatable options (`--scope a --scope b`). */
export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** Commander parser for a whole number ≥ 0; a bad value is a usage error (exit 2). */
export function wholeNumber(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new CliError(`"${value}" is not a whole number.`, 2);
  return n;
}
