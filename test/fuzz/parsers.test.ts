import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bodyCarriesToken, queryCarriesToken, readBasicCredential, readCredential } from '../../src/core/credentials.js';
import { BASE62_VALUE } from '../../src/core/base62.js';
import { checksumOf, generateApiKey, isApiKey, looksLikeJwt, parseApiKey, secretHint, verifierPrefix } from '../../src/core/token-format.js';
import { bounded, FUZZ_TIMEOUT, params } from './budget.js';

/**
 * Fuzzing the pure parsers a request meets first (issue 9): no input throws, hangs, or is taken
 * for a credential it is not. Properties, not examples: test/core/*.test.ts has those.
 */

const anyCase = (word: string) =>
  fc.array(fc.boolean(), { minLength: word.length, maxLength: word.length }).map((upper) => [...word].map((ch, i) => (upper[i] ? ch.toUpperCase() : ch)).join(''));

/** Strings of every kind: full Unicode, lone surrogates, controls, and the characters that matter here. */
const hostileString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 60 }),
  fc.string({ unit: fc.constantFrom(' ', '\t', '\r', '\n', '\0', ',', '"', "'", '=', ';', '\\', '\u202e', '\u200b', '\ufeff', 'é', 'B', 'e', 'a', 'r', 'k', 'w', '_', '.', '-'), maxLength: 40 }),
  fc.string({ unit: fc.integer({ min: 0, max: 0x7f }).map((c) => String.fromCharCode(c)), maxLength: 60 }),
);
const headerName = fc.oneof(anyCase('authorization'), anyCase('x-api-key'), fc.constantFrom('cookie', 'x-csrf-token', 'authorization ', ' authorization', 'x-api-key2', 'proxy-authorization'), fc.string({ maxLength: 15 }));
const headerValue = fc.oneof(
  hostileString,
  fc.tuple(anyCase('bearer'), fc.constantFrom('', ' ', '  ', '\t'), hostileString).map(([s, sep, v]) => `${s}${sep}${v}`),
  fc.constant(generateApiKey('kw')),
);
const rawHeaders = fc.array(fc.tuple(headerName, headerValue), { maxLength: 8 }).map((pairs) => pairs.flat());

/** The reference reading of DESIGN §3, written plainly, to check the optimized parser against. */
function reference(raw: readonly string[]) {
  const auths: string[] = [];
  const keys: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (name === 'authorization') auths.push(raw[i + 1]!);
    if (name === 'x-api-key') keys.push(raw[i + 1]!.trim());
  }
  if (auths.length > 1 || keys.length > 1) return 'invalid';
  let bearer: string | null = null;
  if (auths.length === 1) {
    const value = auths[0]!;
    const match = /^bearer +([\x21-\x7e]+) *$/i.exec(value);
    if (match) bearer = match[1]!;
    else if (/^bearer(\s|$)/i.test(value)) return 'invalid';
  }
  const key = keys[0];
  if (key === '') return 'invalid';
  if (bearer !== null && key !== undefined && key !== bearer) return 'invalid';
  if (bearer !== null) return { kind: 'bearer', token: bearer };
  if (key !== undefined) return { kind: 'x-api-key', token: key };
  return { kind: 'none' };
}

describe('readCredential, fuzzed', () => {
  it('never throws or hangs, and agrees with the plain reading of DESIGN §3', () => {
    fc.assert(
      fc.property(rawHeaders, (raw) => {
        const result = bounded(200, 'readCredential', () => readCredential(raw));
        const expected = reference(raw);
        if (expected === 'invalid') expect(result.kind).toBe('invalid');
        else expect(result).toEqual(expected);
      }),
      params(5000),
    );
  }, FUZZ_TIMEOUT);

  it('only ever yields a token of visible ASCII, never empty, never padded', () => {
    fc.assert(
      fc.property(rawHeaders, (raw) => {
        const result = readCredential(raw);
        if (result.kind === 'bearer') expect(result.token).toMatch(/^[\x21-\x7e]+$/);
        if (result.kind === 'x-api-key') {
          expect(result.token.length).toBeGreaterThan(0);
          expect(result.token).toBe(result.token.trim());
        }
      }),
      params(3000),
    );
  }, FUZZ_TIMEOUT);

  it('calls any second Authorization header invalid, wherever it is and whatever either holds', () => {
    fc.assert(
      fc.property(rawHeaders, anyCase('authorization'), headerValue, fc.nat(), anyCase('authorization'), headerValue, (raw, n1, v1, at, n2, v2) => {
        const pairs: string[][] = [];
        for (let i = 0; i < raw.length; i += 2) pairs.push([raw[i]!, raw[i + 1]!]);
        pairs.splice(at % (pairs.length + 1), 0, [n1, v1]);
        pairs.push([n2, v2]);
        expect(readCredential(pairs.flat()).kind).toBe('invalid');
      }),
      params(2000),
    );
  }, FUZZ_TIMEOUT);

  it('stays linear on huge headers', () => {
    const huge = `Bearer ${'a'.repeat(1 << 20)} ${'b'.repeat(1 << 20)}`;
    expect(bounded(1000, 'huge header', () => readCredential(['authorization', huge])).kind).toBe('invalid');
    expect(bounded(1000, 'many spaces', () => readCredential(['authorization', `Bearer ${' '.repeat(1 << 20)}x`])).kind).toBe('bearer');
    expect(bounded(1000, 'trailing spaces', () => readCredential(['authorization', `Bearer x${' '.repeat(1 << 20)}!`])).kind).toBe('invalid');
  });
});

describe('readBasicCredential, queryCarriesToken and bodyCarriesToken, fuzzed', () => {
  it('never throw on any header, query string or JSON body', () => {
    const basic = fc.oneof(
      hostileString.map((s) => `Basic ${Buffer.from(s).toString('base64')}`),
      hostileString.map((s) => `Basic ${s}`),
      fc.tuple(hostileString, hostileString).map(([a, b]) => `Basic ${Buffer.from(`${a}:${b}`, 'latin1').toString('base64')}`),
    );
    fc.assert(
      fc.property(basic, hostileString, fc.jsonValue(), (header, query, body) => {
        const read = readBasicCredential(['Authorization', header]);
        if (read) expect(read.id.length).toBeGreaterThan(0);
        expect(typeof queryCarriesToken(`/x?${query}`)).toBe('boolean');
        expect(typeof queryCarriesToken(query, ['token', 'access_token'])).toBe('boolean');
        expect(bodyCarriesToken(body)).toBe(typeof body === 'object' && body !== null && !Array.isArray(body) && Object.hasOwn(body, 'access_token'));
      }),
      params(3000),
    );
  }, FUZZ_TIMEOUT);

  it('finds access_token however the query string around it is built', () => {
    const part = fc.string({ unit: fc.constantFrom('a', '=', '&', '%', '2', '0', '+', ';', '#'), maxLength: 10 });
    fc.assert(
      fc.property(part, part, fc.string({ maxLength: 20 }), (before, after, value) => {
        expect(queryCarriesToken(`/x?${before}&access_token=${encodeURIComponent(value)}&${after}`)).toBe(true);
      }),
      params(2000),
    );
  }, FUZZ_TIMEOUT);
});

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const prefixes = fc.stringMatching(/^[a-z][a-z0-9]{0,15}$/);

describe('the API key format, fuzzed', () => {
  it('never throws and never parses a string that is not prefix_ + 32 base62 + its checksum', () => {
    const candidates = fc.oneof(
      hostileString,
      // Near-valid: the right shape with a random checksum.
      fc.tuple(fc.string({ unit: fc.constantFrom(...BASE62), minLength: 38, maxLength: 38 })).map(([s]) => `kw_${s}`),
      fc.string({ unit: fc.constantFrom(...BASE62, '_', '-', 'é', '\u0000'), minLength: 35, maxLength: 45 }).map((s) => `kw_${s}`),
    );
    fc.assert(
      fc.property(candidates, (candidate) => {
        const parsed = bounded(200, 'parseApiKey', () => parseApiKey(candidate, 'kw'));
        const valid = /^kw_[0-9A-Za-z]{38}$/.test(candidate) && checksumOf(candidate.slice(0, 35)) === candidate.slice(35);
        expect(parsed !== null).toBe(valid);
        expect(isApiKey(candidate, 'kw')).toBe(valid);
        if (parsed) expect(`${parsed.prefix}_${parsed.random}${parsed.checksum}`).toBe(candidate);
        looksLikeJwt(candidate);
        secretHint(candidate);
      }),
      params(5000),
    );
  }, FUZZ_TIMEOUT);

  it('refuses every near miss of a real key: one character changed, inserted, deleted, or two neighbours swapped', () => {
    const edit = fc.record({ kind: fc.constantFrom('substitute', 'insert', 'delete', 'swap'), at: fc.nat(), char: fc.constantFrom(...BASE62, '_') });
    fc.assert(
      fc.property(prefixes, edit, (prefix, { kind, at, char }) => {
        const key = generateApiKey(prefix);
        const i = at % key.length;
        const changed =
          kind === 'substitute'
            ? key.slice(0, i) + char + key.slice(i + 1)
            : kind === 'insert'
              ? key.slice(0, i) + char + key.slice(i)
              : kind === 'delete'
                ? key.slice(0, i) + key.slice(i + 1)
                : key.slice(0, Math.max(0, i - 1)) + key[i] + key[Math.max(0, i - 1)] + key.slice(i + 1);
        fc.pre(changed !== key);
        expect(parseApiKey(changed, prefix)).toBeNull();
        expect(isApiKey(changed, prefix)).toBe(false);
      }),
      params(5000),
    );
  }, FUZZ_TIMEOUT);

  it('keeps access keys and verifier secrets apart under every prefix', () => {
    fc.assert(
      fc.property(prefixes, (prefix) => {
        expect(isApiKey(generateApiKey(verifierPrefix(prefix)), prefix)).toBe(false);
        expect(isApiKey(generateApiKey(prefix), verifierPrefix(prefix))).toBe(false);
      }),
      params(1000),
    );
  }, FUZZ_TIMEOUT);

  it('answers huge inputs at once (the length is checked first)', () => {
    const huge = `kw_${'A'.repeat(1 << 22)}`;
    expect(bounded(200, 'huge key', () => isApiKey(huge, 'kw'))).toBe(false);
    expect(bounded(1000, 'huge jwt-ish', () => looksLikeJwt(`${'a'.repeat(1 << 20)}.${'b'.repeat(1 << 20)}.`))).toBe(false);
    expect(BASE62_VALUE.length).toBeGreaterThanOrEqual(128);
  });

  it('tells JWT-shaped strings from others exactly', () => {
    const b64url = fc.string({ unit: fc.constantFrom(...BASE62, '-', '_', '.', '=', '+', '/', ' '), maxLength: 30 });
    fc.assert(
      fc.property(b64url, (candidate) => {
        expect(looksLikeJwt(candidate)).toBe(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(candidate));
      }),
      params(3000),
    );
  }, FUZZ_TIMEOUT);
});
