import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bodyCarriesToken, queryCarriesToken, readCredential } from '../../src/core/credentials.js';

/** Printable ASCII without spaces: what a token may be made of (RFC 6750 b64token and more). */
const tokens = fc.string({ unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)), minLength: 1, maxLength: 80 });
const anyCase = (word: string) =>
  fc.array(fc.boolean(), { minLength: word.length, maxLength: word.length }).map((upper) =>
    [...word].map((ch, i) => (upper[i] ? ch.toUpperCase() : ch)).join(''),
  );

describe('readCredential', () => {
  it('reads Bearer with any case of the scheme and of the header name', () => {
    fc.assert(
      fc.property(anyCase('bearer'), anyCase('authorization'), tokens, fc.integer({ min: 1, max: 3 }), (scheme, name, token, spaces) => {
        expect(readCredential([name, `${scheme}${' '.repeat(spaces)}${token}`])).toEqual({ kind: 'bearer', token });
      }),
    );
  });

  it('reads X-API-Key with any case of the header name, trimmed', () => {
    fc.assert(
      fc.property(anyCase('x-api-key'), tokens, (name, token) => {
        expect(readCredential([name, ` ${token} `])).toEqual({ kind: 'x-api-key', token });
      }),
    );
  });

  it('calls two Authorization headers invalid, whatever they hold', () => {
    fc.assert(
      fc.property(anyCase('authorization'), anyCase('authorization'), fc.string(), fc.string(), (n1, n2, v1, v2) => {
        expect(readCredential([n1, v1, 'accept', '*/*', n2, v2]).kind).toBe('invalid');
      }),
    );
  });

  it('calls two X-API-Key headers invalid, even equal ones', () => {
    fc.assert(
      fc.property(tokens, (token) => {
        expect(readCredential(['x-api-key', token, 'X-Api-Key', token]).kind).toBe('invalid');
      }),
    );
  });

  it('accepts Bearer and X-API-Key together only when they carry the same token', () => {
    fc.assert(
      fc.property(tokens, tokens, (a, b) => {
        const result = readCredential(['authorization', `Bearer ${a}`, 'x-api-key', b]);
        expect(result).toEqual(a === b ? { kind: 'bearer', token: a } : expect.objectContaining({ kind: 'invalid' }));
      }),
    );
  });

  it('calls a Bearer header without exactly one token invalid', () => {
    for (const header of ['Bearer', 'Bearer ', 'bearer    ', 'Bearer a b', 'Bearer\ta', 'Bearer tök']) {
      expect(readCredential(['authorization', header]).kind, header).toBe('invalid');
    }
  });

  it('treats another scheme as no credential (RFC 6750 §3.1), but still reads X-API-Key', () => {
    fc.assert(
      fc.property(fc.constantFrom('Basic', 'Digest', 'Token', 'Bearerx', 'DPoP'), tokens, (scheme, token) => {
        expect(readCredential(['Authorization', `${scheme} ${token}`])).toEqual({ kind: 'none' });
        expect(readCredential(['Authorization', `${scheme} ${token}`, 'X-API-Key', 'k'])).toEqual({ kind: 'x-api-key', token: 'k' });
      }),
    );
  });

  it('calls an empty X-API-Key invalid', () => {
    expect(readCredential(['x-api-key', '  ']).kind).toBe('invalid');
  });

  it('finds nothing among unrelated headers', () => {
    const names = fc.stringMatching(/^[a-z][a-z-]{0,20}$/).filter((n) => n !== 'authorization' && n !== 'x-api-key');
    fc.assert(
      fc.property(fc.array(fc.tuple(names, fc.string()), { maxLength: 10 }), (headers) => {
        expect(readCredential(headers.flat())).toEqual({ kind: 'none' });
      }),
    );
  });
});

describe('queryCarriesToken', () => {
  it('finds access_token in a query string however its name is encoded, and nothing elsewhere', () => {
    for (const target of ['/x?access_token=a', '/x?a=1&access_token=', '/x?access%5Ftoken=a', '/x?access%5ftoken=a&b=2', '/x?b=1&access_token']) {
      expect(queryCarriesToken(target), target).toBe(true);
    }
    for (const target of ['/x', '/x?', '/access_token', '/x?token=a', '/x?access_tokens=a', '/x?xaccess_token=a', '/x?b=access_token']) {
      expect(queryCarriesToken(target), target).toBe(false);
    }
    expect(queryCarriesToken('/oauth/revoke?token=a', ['token', 'access_token'])).toBe(true);
  });
});

describe('bodyCarriesToken', () => {
  it('finds access_token at the top of an object body only', () => {
    expect(bodyCarriesToken({ access_token: 'a' })).toBe(true);
    expect(bodyCarriesToken({ access_token: undefined })).toBe(true);
    for (const body of [undefined, null, '', 'access_token', [{ access_token: 'a' }], { token: 'a' }, { nested: { access_token: 'a' } }, Object.create({ access_token: 'a' })]) {
      expect(bodyCarriesToken(body)).toBe(false);
    }
  });
});
