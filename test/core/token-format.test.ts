import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BASE62 } from '../../src/core/base62.js';
import {
  apiKeyPattern,
  checksumOf,
  generateApiKey,
  looksLikeJwt,
  parseApiKey,
  secretHint,
  verifierPrefix,
} from '../../src/core/token-format.js';

const prefixes = fc.stringMatching(/^[a-z][a-z0-9]{0,15}$/);
/** A generated token and one position in it with a different base62 character to put there. */
const substitution = fc
  .tuple(prefixes, fc.nat(), fc.integer({ min: 1, max: 61 }))
  .map(([prefix, at, shift]) => {
    const token = generateApiKey(prefix);
    const position = at % token.length;
    const current = BASE62.indexOf(token[position]!);
    // '_' is not base62: any base62 character replaces it; otherwise step to a different one.
    const replacement = current < 0 ? BASE62[shift]! : BASE62[(current + shift) % 62]!;
    return { prefix, token, changed: token.slice(0, position) + replacement + token.slice(position + 1) };
  });

describe('generateApiKey / parseApiKey', () => {
  it('every generated token parses with its prefix and passes its checksum', () => {
    fc.assert(
      fc.property(prefixes, (prefix) => {
        const token = generateApiKey(prefix);
        expect(token).toMatch(new RegExp(`^${prefix}_[0-9A-Za-z]{38}$`));
        const parsed = parseApiKey(token, prefix);
        expect(parsed).toEqual({ prefix, random: token.slice(prefix.length + 1, -6), checksum: token.slice(-6) });
        expect(checksumOf(token.slice(0, -6))).toBe(parsed!.checksum);
      }),
      { numRuns: 500 },
    );
  });

  it('every one-character substitution, at any position, fails', () => {
    fc.assert(
      fc.property(substitution, ({ prefix, changed }) => {
        expect(parseApiKey(changed, prefix)).toBeNull();
      }),
      { numRuns: 5000 },
    );
  });

  it('exhaustively: no single base62 substitution of a kw_ token parses', () => {
    for (let n = 0; n < 5; n++) {
      const token = generateApiKey('kw');
      for (let position = 0; position < token.length; position++) {
        for (const replacement of BASE62) {
          if (replacement === token[position]) continue;
          const changed = token.slice(0, position) + replacement + token.slice(position + 1);
          expect(parseApiKey(changed, 'kw'), `${position}:${replacement}`).toBeNull();
        }
      }
    }
  });

  it('rejects another prefix, a wrong length and non-base62 characters', () => {
    const token = generateApiKey('kw');
    expect(parseApiKey(token, 'arrow')).toBeNull();
    expect(parseApiKey(token.slice(0, -1), 'kw')).toBeNull();
    expect(parseApiKey(`${token}0`, 'kw')).toBeNull();
    expect(parseApiKey(`${token.slice(0, 10)}-${token.slice(11)}`, 'kw')).toBeNull();
    expect(parseApiKey(` ${token.slice(1)}`, 'kw')).toBeNull();
    expect(parseApiKey('', 'kw')).toBeNull();
  });

  it('draws every base62 character (no biased or missing digits)', () => {
    const seen = new Set(Array.from({ length: 200 }, () => generateApiKey('kw').slice(3, 35)).join(''));
    expect(seen.size).toBe(62);
  });
});

describe('verifier secrets', () => {
  it('never parse as access tokens, and access tokens never as verifier secrets', () => {
    fc.assert(
      fc.property(prefixes, (prefix) => {
        const verifier = generateApiKey(verifierPrefix(prefix));
        const token = generateApiKey(prefix);
        expect(parseApiKey(verifier, verifierPrefix(prefix))).not.toBeNull();
        expect(parseApiKey(verifier, prefix)).toBeNull();
        expect(parseApiKey(token, verifierPrefix(prefix))).toBeNull();
        expect(verifier.match(apiKeyPattern(prefix))).toBeNull();
      }),
      { numRuns: 300 },
    );
  });
});

describe('apiKeyPattern', () => {
  it('finds every generated token inside surrounding text', () => {
    fc.assert(
      fc.property(prefixes, fc.constantFrom(' ', '"', '\n', '=', ':'), (prefix, separator) => {
        const token = generateApiKey(prefix);
        const found = `key${separator}${token}${separator}more`.match(apiKeyPattern(prefix));
        expect(found).toEqual([token]);
      }),
    );
  });
});

describe('secretHint', () => {
  it('shows the prefix and four characters, then the last four', () => {
    const token = generateApiKey('kw');
    expect(secretHint(token)).toBe(`${token.slice(0, 7)}…${token.slice(-4)}`);
    fc.assert(
      fc.property(prefixes, (prefix) => {
        const secret = generateApiKey(prefix);
        const hint = secretHint(secret);
        expect(hint.startsWith(`${prefix}_`)).toBe(true);
        expect(hint.endsWith(secret.slice(-4))).toBe(true);
        // A hint never gives away more than 8 random characters.
        expect(hint.length).toBeLessThanOrEqual(prefix.length + 1 + 4 + 1 + 4);
      }),
    );
  });
});

describe('looksLikeJwt', () => {
  it('tells a compact JWS from an API key', () => {
    expect(looksLikeJwt('eyJh.eyJz.c2ln')).toBe(true);
    expect(looksLikeJwt(generateApiKey('kw'))).toBe(false);
    expect(looksLikeJwt('a.b.')).toBe(false);
    expect(looksLikeJwt('a.b.c.d')).toBe(false);
  });
});
