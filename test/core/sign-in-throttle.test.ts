import { describe, expect, it } from 'vitest';
import { isRefusal, SignInThrottle, type SignInAttempt } from '../../src/core/sign-in-throttle.js';

const LIMITS = { perAddress: 3, perAccount: 5, windowMs: 1_000, familiarMs: 10_000 };

function reserved(throttle: SignInThrottle, account: string, ip: string, now = 0): SignInAttempt {
  const outcome = throttle.reserve(account, ip, now);
  if (isRefusal(outcome)) throw new Error(`refused for ${outcome.retryAfterMs} ms`);
  return outcome;
}

describe('SignInThrottle', () => {
  it('counts an attempt when it is reserved, before its outcome is known', () => {
    const throttle = new SignInThrottle(LIMITS);
    for (let i = 0; i < 3; i++) reserved(throttle, 'a@x', '192.0.2.1');
    expect(throttle.reserve('a@x', '192.0.2.1', 0)).toEqual({ retryAfterMs: 1_000 });
    expect(throttle.reserve('a@x', '192.0.2.1', 400)).toEqual({ retryAfterMs: 600 });
    expect(isRefusal(throttle.reserve('a@x', '192.0.2.1', 1_000))).toBe(false);
  });

  it('keeps (account, address) pairs apart: one address spends only its own budget', () => {
    const throttle = new SignInThrottle(LIMITS);
    for (let i = 0; i < 3; i++) reserved(throttle, 'a@x', '192.0.2.1');
    expect(isRefusal(throttle.reserve('a@x', '192.0.2.1', 0))).toBe(true);
    expect(isRefusal(throttle.reserve('a@x', '192.0.2.2', 0))).toBe(false);
    expect(isRefusal(throttle.reserve('b@x', '192.0.2.1', 0))).toBe(false);
  });

  it('counts an IPv6 client by its /64', () => {
    const throttle = new SignInThrottle(LIMITS);
    for (let i = 1; i <= 3; i++) reserved(throttle, 'a@x', `2001:db8::${i}`);
    expect(isRefusal(throttle.reserve('a@x', '2001:db8::ffff', 0))).toBe(true);
    expect(isRefusal(throttle.reserve('a@x', '2001:db8:0:1::1', 0))).toBe(false);
  });

  it('bounds an account over all addresses, except the addresses it signed in from', () => {
    const throttle = new SignInThrottle(LIMITS);
    const home = reserved(throttle, 'a@x', '198.51.100.1');
    throttle.succeeded(home, 0);
    for (let i = 0; i < 5; i++) reserved(throttle, 'a@x', `203.0.113.${i}`);
    expect(throttle.reserve('a@x', '203.0.113.99', 0)).toEqual({ retryAfterMs: 1_000 });
    expect(isRefusal(throttle.reserve('a@x', '198.51.100.1', 0))).toBe(false);
    // Known addresses are forgotten after familiarMs.
    for (let i = 0; i < 5; i++) reserved(throttle, 'a@x', `203.0.113.${i}`, 20_000);
    expect(isRefusal(throttle.reserve('a@x', '198.51.100.1', 20_000))).toBe(true);
  });

  it('gives a success its reservation back and clears its pair; an unchecked attempt counts for nothing', () => {
    const throttle = new SignInThrottle(LIMITS);
    reserved(throttle, 'a@x', '192.0.2.1');
    reserved(throttle, 'a@x', '192.0.2.1');
    throttle.succeeded(reserved(throttle, 'a@x', '192.0.2.1'), 0);
    for (let i = 0; i < 3; i++) reserved(throttle, 'a@x', '192.0.2.1');
    expect(isRefusal(throttle.reserve('a@x', '192.0.2.1', 0))).toBe(true);

    const other = new SignInThrottle(LIMITS);
    for (let i = 0; i < 10; i++) other.abandoned(reserved(other, 'b@x', '192.0.2.9'));
    expect(isRefusal(other.reserve('b@x', '192.0.2.9', 0))).toBe(false);
  });

  it('gives nothing back for a reservation whose window is over', () => {
    const throttle = new SignInThrottle(LIMITS);
    const old = reserved(throttle, 'a@x', '192.0.2.1', 0);
    for (let i = 0; i < 3; i++) reserved(throttle, 'a@x', '192.0.2.1', 1_500);
    throttle.abandoned(old);
    expect(isRefusal(throttle.reserve('a@x', '192.0.2.1', 1_500))).toBe(true);
  });
});
