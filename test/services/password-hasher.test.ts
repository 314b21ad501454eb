import { describe, expect, it } from 'vitest';
import { RateLimited } from '../../src/core/errors.js';
import { hashPassword } from '../../src/core/password.js';
import { PasswordHasher } from '../../src/services/password-hasher.js';

/** The hasher's bound, with checks that finish when the test says (a cheap scrypt stands for the slow one). */
describe('PasswordHasher', () => {
  const stored = hashPassword('correct horse battery staple', 2 ** 10);

  it('runs at most `concurrency` checks at once, lets `queue` wait their turn and refuses the rest with 429', async () => {
    const hasher = new PasswordHasher({ concurrency: 2, queue: 3, maxWaitMs: 60_000 });
    const hash = await stored;
    const outcomes = await Promise.allSettled(Array.from({ length: 8 }, () => hasher.verify('correct horse battery staple', hash)));
    expect(outcomes.filter((o) => o.status === 'fulfilled' && o.value === true)).toHaveLength(5);
    const refused = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    expect(refused).toHaveLength(3);
    for (const { reason } of refused) {
      expect(reason).toBeInstanceOf(RateLimited);
      expect((reason as RateLimited).retryAfterSeconds).toBe(1);
    }
    // Every turn was handed back: the next checks run.
    expect(await hasher.verify('wrong', hash)).toBe(false);
  });

  it('refuses a check that waited longer than maxWaitMs, and keeps running the others', async () => {
    const hasher = new PasswordHasher({ concurrency: 1, queue: 5, maxWaitMs: 5 });
    const hash = await stored;
    // The first check holds the only turn far longer than the second may wait (some 100 ms against 5).
    const slow = await hashPassword('slow', 2 ** 16);
    const [first, second] = await Promise.allSettled([hasher.verify('x', slow), hasher.verify('y', hash)]);
    expect(first.status).toBe('fulfilled');
    expect(second.status).toBe('rejected');
    expect(await hasher.verify('correct horse battery staple', hash)).toBe(true);
  });

  it('hands its turn back when a check throws', async () => {
    const hasher = new PasswordHasher({ concurrency: 1, queue: 0, maxWaitMs: 0 });
    await expect(hasher.verify('x', 'scrypt$notanumber$8$1$AAAA$AAAA')).rejects.toThrow();
    expect(await hasher.verify('correct horse battery staple', await stored)).toBe(true);
  });
});
