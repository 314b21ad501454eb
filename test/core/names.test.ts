import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KeywardError } from '../../src/core/errors.js';
import { normalizeDescription, normalizeName } from '../../src/core/names.js';

const CONTROLS = [0x00, 0x07, 0x09, 0x0a, 0x0d, 0x1b, 0x1f, 0x7f, 0x85, 0x9f, 0x2028, 0x2029, 0x202e, 0x2066, 0x2069].map((c) =>
  String.fromCodePoint(c),
);
/** Visible text: letters, digits, punctuation, spaces, emoji, combining marks. */
const visible = fc.string({
  unit: fc.oneof(
    fc.constantFrom('a', 'Z', '7', ' ', '-', '_', 'é', 'e\u0301', 'Å', '日', '🔑', 'ß'),
    fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
  ),
  maxLength: 60,
});

function refusal(fn: () => unknown): KeywardError | undefined {
  try {
    fn();
  } catch (error) {
    return error as KeywardError;
  }
  return undefined;
}

describe('normalizeName', () => {
  it('trims and NFC-normalizes, and is idempotent', () => {
    fc.assert(
      fc.property(visible.filter((s) => s.trim() !== ''), (raw) => {
        const name = normalizeName(raw);
        expect(name).toBe(raw.normalize('NFC').trim());
        expect(normalizeName(name)).toBe(name);
      }),
    );
    expect(normalizeName('  Cafe\u0301 CI ')).toBe('Café CI');
  });

  it('refuses an empty or blank name', () => {
    for (const raw of ['', '   ', '\u3000']) {
      expect(refusal(() => normalizeName(raw))?.code, JSON.stringify(raw)).toBe('validation_failed');
    }
  });

  it('counts characters, not UTF-16 units, against the limit', () => {
    expect(normalizeName('🔑'.repeat(100))).toHaveLength(200);
    expect(refusal(() => normalizeName('🔑'.repeat(101)))?.code).toBe('validation_failed');
    expect(refusal(() => normalizeName('a'.repeat(101)))?.status).toBe(400);
  });

  it('refuses any control, line-separator or bidi-override character inside', () => {
    fc.assert(
      fc.property(visible, fc.constantFrom(...CONTROLS), visible, (before, control, after) => {
        fc.pre(`${before}x${after}`.trim() !== '');
        const error = refusal(() => normalizeName(`x${before}${control}${after}x`));
        expect(error?.code).toBe('validation_failed');
        expect(error?.details).toEqual({ field: 'name' });
      }),
    );
  });
});

describe('normalizeDescription', () => {
  it('means none for missing or blank text', () => {
    for (const raw of [undefined, null, '', '  \n ']) expect(normalizeDescription(raw)).toBeNull();
  });

  it('keeps line breaks and tabs, refuses other controls', () => {
    expect(normalizeDescription(' line one\n\tline two ')).toBe('line one\n\tline two');
    expect(refusal(() => normalizeDescription('bell\u0007'))?.code).toBe('validation_failed');
    expect(refusal(() => normalizeDescription('x'.repeat(1001)))?.code).toBe('validation_failed');
  });
});

describe('invisible and bidi text', () => {
  it('refuses a name with nothing visible in it', () => {
    for (const name of ['\u200b', '\u200b\u200d', '\u0301']) expect(() => normalizeName(name)).toThrow(/visible/);
  });

  it('refuses bidi overrides in descriptions but keeps line breaks', () => {
    expect(() => normalizeDescription('evil \u202e txt')).toThrow(/control/);
    expect(normalizeDescription('line one\nline two')).toBe('line one\nline two');
  });
});
