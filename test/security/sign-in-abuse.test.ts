import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PasswordHasher } from '../../src/services/password-hasher.js';
import { makeUser, PASSWORD } from '../factories.js';
import { json, startTestApp, type TestApp } from '../harness.js';

/**
 * Guessing passwords at `POST /api/v1/session` (issue 9, findings 3 and 4): every guess is counted
 * before its password is checked, a stranger's guesses cannot lock the owner out, a distributed
 * guesser is still bounded per account, and password hashing cannot be flooded.
 */
let t: TestApp;
beforeEach(async () => {
  t = await startTestApp();
});
afterEach(() => t.close());

const signIn = (email: string | null, password: string, remoteAddress: string) =>
  t.app.inject({ method: 'POST', url: '/api/v1/session', payload: { email, password }, remoteAddress });

const statuses = (responses: { statusCode: number }[]) => {
  const counts: Record<number, number> = {};
  for (const { statusCode } of responses) counts[statusCode] = (counts[statusCode] ?? 0) + 1;
  return counts;
};

const failedSignIns = async () =>
  (await t.ctx.db.selectFrom('audit_events').select('id').where('action', '=', 'session.failed').execute()).length;

describe('guesses sent in parallel', () => {
  // Room for every guess at once, so what refuses them here is the throttle, not the hasher's bound.
  beforeEach(() => {
    t.ctx.limits.passwordHasher = new PasswordHasher({ concurrency: 4, queue: 1_000, maxWaitMs: 60_000 });
  });

  it('are counted before the password check: 30 at once from one address get 10 evaluations, and the right one 20th does not get in', async () => {
    const user = await makeUser(t.ctx);
    const guesses = Array.from({ length: 30 }, (_, i) => (i === 19 ? PASSWORD : `guess number ${i}`));
    const responses = await Promise.all(guesses.map((password) => signIn(user.email, password, '203.0.113.7')));
    expect(statuses(responses)).toEqual({ 401: 10, 429: 20 });
    expect(responses[19]!.statusCode).toBe(429);
    for (const limited of responses.filter((r) => r.statusCode === 429)) {
      expect(json(limited).code).toBe('rate_limited');
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    }
    expect(await failedSignIns()).toBe(10);
  });

  it('from many addresses at once stop at the account ceiling', async () => {
    const user = await makeUser(t.ctx);
    const ceiling = t.ctx.limits.signIn.perAccount;
    const responses = await Promise.all(
      Array.from({ length: ceiling + 20 }, (_, i) => signIn(user.email, `guess number ${i}`, `198.18.${i >> 8}.${i & 255}`)),
    );
    expect(statuses(responses)).toEqual({ 401: ceiling, 429: 20 });
  });

  it('give a right password back its reservation: a success does not count as a failure', async () => {
    const user = await makeUser(t.ctx);
    const responses = await Promise.all([
      ...Array.from({ length: 9 }, (_, i) => signIn(user.email, `guess number ${i}`, '203.0.113.7')),
      signIn(user.email, PASSWORD, '203.0.113.7'),
    ]);
    expect(statuses(responses)).toEqual({ 200: 1, 401: 9 });
    // The success cleared the address's failures for the account: the owner is not one typo from 429.
    expect((await signIn(user.email, 'one more typo', '203.0.113.7')).statusCode).toBe(401);
    expect((await signIn(user.email, PASSWORD, '203.0.113.7')).statusCode).toBe(200);
  });
});

describe("a stranger's wrong passwords", () => {
  it('do not lock the owner out: after 10 from one address, the owner signs in from theirs', async () => {
    const user = await makeUser(t.ctx);
    for (let i = 0; i < 10; i++) expect((await signIn(user.email, `guess number ${i}`, '203.0.113.7')).statusCode).toBe(401);
    expect((await signIn(user.email, PASSWORD, '198.51.100.20')).statusCode).toBe(200);
    // The guesser's own address is refused, even with the right password.
    const blocked = await signIn(user.email, PASSWORD, '203.0.113.7');
    expect(blocked.statusCode).toBe(429);
    expect(json(blocked).code).toBe('rate_limited');
    t.clock.advance(15 * 60_000);
    expect((await signIn(user.email, PASSWORD, '203.0.113.7')).statusCode).toBe(200);
  });

  it('count per IPv6 /64: a guesser does not get a fresh allowance from each address of its network', async () => {
    const user = await makeUser(t.ctx);
    for (let i = 1; i <= 10; i++) expect((await signIn(user.email, `guess number ${i}`, `2001:db8:1:2::${i.toString(16)}`)).statusCode).toBe(401);
    expect((await signIn(user.email, PASSWORD, '2001:db8:1:2:ffff:ffff:ffff:ffff')).statusCode).toBe(429);
    expect((await signIn(user.email, PASSWORD, '2001:0db8:0001:0002:0:0:0:abcd')).statusCode).toBe(429);
    expect((await signIn(user.email, PASSWORD, '2001:db8:1:3::1')).statusCode).toBe(200);
  });

  it('from many addresses are bounded per account, while the address the owner signed in from still gets in', async () => {
    const user = await makeUser(t.ctx);
    expect((await signIn(user.email, PASSWORD, '198.51.100.20')).statusCode).toBe(200);
    const ceiling = t.ctx.limits.signIn.perAccount;
    for (let i = 0; i < ceiling; i++) expect((await signIn(user.email, `guess number ${i}`, `198.18.${i >> 8}.${i & 255}`)).statusCode).toBe(401);
    // A new address is refused, right password or not: the distributed guesser has spent the account's budget.
    const stranger = await signIn(user.email, PASSWORD, '192.0.2.99');
    expect(stranger.statusCode).toBe(429);
    expect(Number(stranger.headers['retry-after'])).toBeGreaterThan(0);
    expect((await signIn(user.email, 'and another', '192.0.2.98')).statusCode).toBe(429);
    // The owner's address is not charged for the strangers' guesses.
    expect((await signIn(user.email, PASSWORD, '198.51.100.20')).statusCode).toBe(200);
    t.clock.advance(t.ctx.limits.signIn.windowMs);
    expect((await signIn(user.email, PASSWORD, '192.0.2.99')).statusCode).toBe(200);
  });
});

describe('password hashing under a flood', () => {
  it('runs a bounded number of checks at once and refuses the excess with 429 and Retry-After, not counting it as a guess', async () => {
    t.ctx.limits.passwordHasher = new PasswordHasher({ concurrency: 1, queue: 0, maxWaitMs: 0 });
    const users = await Promise.all(Array.from({ length: 6 }, () => makeUser(t.ctx)));
    const responses = await Promise.all(users.map((user, i) => signIn(user.email, PASSWORD, `203.0.113.${i + 1}`)));
    const refused = responses.filter((r) => r.statusCode === 429);
    expect(refused.length).toBeGreaterThan(0);
    expect(responses.filter((r) => r.statusCode === 200).length).toBeGreaterThan(0);
    for (const response of refused) {
      expect(json(response).code).toBe('rate_limited');
      expect(response.headers['retry-after']).toBe('1');
    }
    expect(await failedSignIns()).toBe(0);
    // Nothing was held back: each refused user signs in once the flood has passed.
    for (const [i, user] of users.entries()) {
      if (responses[i]!.statusCode === 429) expect((await signIn(user.email, PASSWORD, `203.0.113.${i + 1}`)).statusCode).toBe(200);
    }
  });
});
