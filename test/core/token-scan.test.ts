import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BASE62 } from '../../src/core/base62.js';
import { generateApiKey } from '../../src/core/token-format.js';
import { findApiKeys, looksBinary } from '../../src/core/token-scan.js';

const prefixes = fc.stringMatching(/^[a-z][a-z0-9]{0,15}$/);
/** Text that holds no key of its own: words, punctuation and newlines. */
const filler = fc.array(fc.constantFrom('a', 'Z', '9', ' ', '\n', '=', '"', ':', '.', '\t', 'é'), { maxLength: 40 }).map((c) => c.join(''));

/** A key with one checksum character changed: the shape of a key, not a key. */
function lookalike(prefix: string): string {
  const token = generateApiKey(prefix);
  const last = BASE62.indexOf(token.at(-1)!);
  return token.slice(0, -1) + BASE62[(last + 1) % 62];
}

describe('findApiKeys', () => {
  it('finds every key between separators, at its line and column, and no lookalike', () => {
    fc.assert(
      fc.property(prefixes, fc.array(fc.tuple(filler, fc.boolean()), { minLength: 1, maxLength: 6 }), (prefix, parts) => {
        let text = '';
        const expected: { token: string; line: number; column: number }[] = [];
        for (const [before, real] of parts) {
          text += `${before} `;
          const token = real ? generateApiKey(prefix) : lookalike(prefix);
          const lines = text.split('\n');
          if (real) expected.push({ token, line: lines.length, column: lines.at(-1)!.length + 1 });
          text += `${token} `;
        }
        expect(findApiKeys(text, prefix)).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('ignores keys of another prefix and keys glued to more base62 characters', () => {
    const key = generateApiKey('kw');
    expect(findApiKeys(`${generateApiKey('arrow')} x${key} ${key}A`, 'kw')).toEqual([]);
    expect(findApiKeys(`TOKEN=${key}\r\n`, 'kw')).toEqual([{ token: key, line: 1, column: 7 }]);
  });
});

describe('looksBinary', () => {
  it('calls a file with a NUL byte near its start binary', () => {
    expect(looksBinary(Buffer.from('plain text\n'))).toBe(false);
    expect(looksBinary(Buffer.from('GIF89a\0\0'))).toBe(true);
    expect(looksBinary(Buffer.concat([Buffer.alloc(9000, 'a'), Buffer.from([0])]))).toBe(false);
  });
});
