import { ValidationFailed } from './errors.js';

// C0, DEL and C1 controls, plus the Unicode line/paragraph separators and bidi overrides.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;
// Descriptions may span lines (tab, LF, CR) but take no other control or bidi characters.
const DESCRIPTION_CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;
// A name must show something: letters, digits, symbols or punctuation, not only marks or spaces.
const VISIBLE = /[\p{L}\p{N}\p{S}\p{P}]/u;
// Invisible characters with no part in writing a name (zero-width space, word joiner and the
// invisible operators, BOM, soft hyphen, Mongolian vowel separator): inside a name they make it
// pass for another ("owner\u200b" shown as "owner"). ZWJ and ZWNJ stay: scripts and emoji need them.
const INVISIBLE = /[\u00ad\u180e\u200b\u2060-\u2064\ufeff]/u;

/** The longest display name (tokens, orgs, users, service accounts, verifiers), in characters. */
export const NAME_MAX = 100;
/** Custom role names are shorter: they show in selects and badges. */
export const ROLE_NAME_MAX = 50;
export const DESCRIPTION_MAX = 1000;

/** A display name: trimmed, NFC-normalized, 1..max characters, no control characters. */
export function normalizeName(raw: string, field = 'name', max = NAME_MAX): string {
  const name = raw.normalize('NFC').trim();
  if (name.length === 0) throw new ValidationFailed(`${field} must not be empty.`, { field });
  if ([...name].length > max) throw new ValidationFailed(`${field} must be at most ${max} characters.`, { field });
  if (CONTROL.test(name)) throw new ValidationFailed(`${field} must not contain control characters.`, { field });
  if (INVISIBLE.test(name)) throw new ValidationFailed(`${field} must not contain invisible characters.`, { field });
  if (!VISIBLE.test(name)) throw new ValidationFailed(`${field} must contain a visible character.`, { field });
  return name;
}

/** An optional free-text description: like a name but longer, and empty means none. */
export function normalizeDescription(raw: string | null | undefined, max = DESCRIPTION_MAX): string | null {
  if (raw === undefined || raw === null) return null;
  const text = raw.normalize('NFC').trim();
  if (text.length === 0) return null;
  if ([...text].length > max) {
    throw new ValidationFailed(`description must be at most ${max} characters.`, { field: 'description' });
  }
  if (DESCRIPTION_CONTROL.test(text)) {
    throw new ValidationFailed('description must not contain control characters.', { field: 'description' });
  }
  return text;
}
