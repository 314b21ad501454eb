import { readCredential as sdkRead } from '@keyward/sdk';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readCredential as serverRead } from '../../src/core/credentials.js';

/**
 * The SDK carries its own copy of the credential rules (it depends on no server code): for any
 * raw headers, it must read what Keyward reads — the same token, or the same refusal.
 */
const names = fc.constantFrom('authorization', 'Authorization', 'AUTHORIZATION', 'x-api-key', 'X-API-Key', 'accept', 'x-other');
const token = fc.constantFrom('kw_abc', 'kw_def', 'eyJ.a.b', '');
const values = fc.oneof(
  fc.tuple(fc.constantFrom('Bearer ', 'bearer ', 'BEARER  ', 'Basic ', 'Bearer', 'Token '), token, fc.constantFrom('', ' ', '  x', ',y')).map(([a, b, c]) => a + b + c),
  token,
  fc.string({ maxLength: 12 }),
);
const rawHeaders = fc.array(fc.tuple(names, values), { maxLength: 5 }).map((pairs) => pairs.flat());

function server(raw: string[]) {
  const read = serverRead(raw);
  if (read.kind === 'bearer' || read.kind === 'x-api-key') return { kind: 'token', token: read.token };
  return { kind: read.kind };
}

function sdk(raw: string[]) {
  const read = sdkRead(raw);
  return read.kind === 'token' ? { kind: 'token', token: read.token } : { kind: read.kind };
}

describe("the SDK's credential parser", () => {
  it('reads every set of headers as Keyward does', () => {
    fc.assert(
      fc.property(rawHeaders, (raw) => {
        expect(sdk(raw)).toEqual(server(raw));
      }),
      { numRuns: 5000 },
    );
  });

  it('refuses a query-string token beside a header, and ignores it alone', () => {
    expect(sdkRead(['authorization', 'Bearer kw_a'], { queryToken: true }).kind).toBe('invalid');
    expect(sdkRead([], { queryToken: true }).kind).toBe('none');
  });
});
