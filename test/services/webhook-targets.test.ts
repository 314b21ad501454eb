import { describe, expect, it } from 'vitest';
import { KeywardError } from '../../src/core/errors.js';
import { assertPublicName, guardedLookup, type ResolveAll } from '../../src/services/webhooks/targets.js';

const resolvesTo = (...addresses: string[]): ResolveAll => async () => addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));

/** The answer a `lookup` hook gives node:http, as a promise. */
function lookUp(lookup: ReturnType<typeof guardedLookup>, options: { all?: boolean; family?: number } = {}) {
  return new Promise<{ error: Error | null; address: unknown; family?: number }>((resolve) =>
    lookup('hooks.example.test', options, (error, address, family) => resolve({ error, address, family })),
  );
}

describe('guardedLookup', () => {
  it('hands over public addresses, one or all as asked', async () => {
    expect(await lookUp(guardedLookup(false, resolvesTo('203.0.113.7', '2001:db8::7')))).toEqual({ error: null, address: '203.0.113.7', family: 4 });
    expect((await lookUp(guardedLookup(false, resolvesTo('203.0.113.7', '2001:db8::7')), { all: true })).address).toHaveLength(2);
    expect((await lookUp(guardedLookup(false, resolvesTo('203.0.113.7', '2001:db8::7')), { family: 6 })).address).toBe('2001:db8::7');
  });

  it('refuses a name with any private address among its answers', async () => {
    for (const answers of [['127.0.0.1'], ['203.0.113.7', '10.0.0.1'], ['::ffff:169.254.169.254'], ['fd00::1']]) {
      const { error } = await lookUp(guardedLookup(false, resolvesTo(...answers)));
      expect(error?.message, answers.join()).toMatch(/^hooks\.example\.test resolves to /);
    }
    expect((await lookUp(guardedLookup(true, resolvesTo('127.0.0.1')))).error).toBeNull();
  });
});

describe('assertPublicName', () => {
  it('refuses with 422 a name that resolves to a private address when the webhook is created', async () => {
    const error = await assertPublicName('internal.example.test', false, resolvesTo('192.168.1.10')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KeywardError);
    expect(error).toMatchObject({ status: 422, code: 'url_not_allowed', details: { field: 'url' } });
  });

  it('accepts a public name, one that does not resolve yet, and anything where private targets are allowed', async () => {
    await expect(assertPublicName('hooks.example.test', false, resolvesTo('203.0.113.7'))).resolves.toBeUndefined();
    await expect(assertPublicName('new.example.test', false, () => Promise.reject(new Error('ENOTFOUND')))).resolves.toBeUndefined();
    await expect(assertPublicName('internal.example.test', true, resolvesTo('10.0.0.1'))).resolves.toBeUndefined();
  });
});
