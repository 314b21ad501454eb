import { addressKey } from './client-address.js';
import { RateLimiter } from './rate-limit.js';

export type SignInThrottleLimits = {
  /** Failed sign-ins one client address (an IPv6 /64) may spend on one account per window. */
  perAddress: number;
  /**
   * Failed sign-ins one account takes from every address together per window; past it, the
   * account refuses addresses it does not know (see `SignInThrottle`).
   */
  perAccount: number;
  windowMs: number;
  /** How long a successful sign-in keeps its address known to the account. */
  familiarMs: number;
};

export const DEFAULT_SIGN_IN_LIMITS: SignInThrottleLimits = {
  perAddress: 10,
  perAccount: 100,
  windowMs: 15 * 60_000,
  familiarMs: 30 * 86_400_000,
};

/** One sign-in attempt, counted as a failure until it is known to be something else. */
export type SignInAttempt = { readonly account: string; readonly pair: string; readonly pairWindow: number; readonly accountWindow: number };

/** The throttle's refusal: when the attempt may be made again. */
export type SignInRefusal = { readonly retryAfterMs: number };

/**
 * How password guessing is slowed down without handing anyone a way to lock an account:
 *
 * - Each (account, client address) pair has its own budget of failures. A guesser at one address
 *   spends only its own; the owner, elsewhere, is not refused because of it.
 * - Each account also has a ceiling over all addresses, so a guesser spread over many addresses
 *   is bounded too (at most `perAccount` guesses a window). Past the ceiling the account refuses
 *   only addresses it does not know: an address the account signed in from successfully within
 *   `familiarMs` keeps its own budget, so a distributed guesser cannot lock the owner out of the
 *   places they sign in from.
 * - An attempt is reserved, counted as a failure, before its password is checked, so guesses sent
 *   in parallel cannot all be evaluated before the first failure is counted. A success gives its
 *   reservation back (and clears its pair's failures); an attempt whose password was never
 *   checked (the hasher was busy, the store failed) gives it back too.
 *
 * Accounts are keyed by the email as typed (normalized), known or not, so the answers do not
 * tell which emails have accounts. Counters are per process; in a cluster the sign-in service adds
 * each failure to counts the processes share and raises these to the totals (`raise`).
 */
export class SignInThrottle {
  private readonly pairs: RateLimiter;
  private readonly accounts: RateLimiter;
  /** `pair` → until when the address is known to the account; in least-recently-used order. */
  private readonly familiar = new Map<string, number>();

  constructor(
    readonly limits: SignInThrottleLimits = DEFAULT_SIGN_IN_LIMITS,
    private readonly maxKeys = 50_000,
  ) {
    this.pairs = new RateLimiter(limits.perAddress, limits.windowMs, maxKeys);
    this.accounts = new RateLimiter(limits.perAccount, limits.windowMs, maxKeys);
  }

  get perAddress(): number {
    return this.limits.perAddress;
  }

  get perAccount(): number {
    return this.limits.perAccount;
  }

  get windowMs(): number {
    return this.limits.windowMs;
  }

  /** Reserves an attempt at `account` from `ip`, or says how long to wait. */
  reserve(account: string, ip: string | null, nowMs: number): SignInAttempt | SignInRefusal {
    const pair = `${account}\n${addressKey(ip)}`;
    const pairWait = this.pairs.blockedFor(pair, nowMs);
    const accountWait = this.isFamiliar(pair, nowMs) ? 0 : this.accounts.blockedFor(account, nowMs);
    const wait = Math.max(pairWait, accountWait);
    if (wait > 0) return { retryAfterMs: wait };
    return { account, pair, pairWindow: this.pairs.hit(pair, nowMs), accountWindow: this.accounts.hit(account, nowMs) };
  }

  /** The password was right: the attempt was no failure, and the address is now known to the account. */
  succeeded(attempt: SignInAttempt, nowMs: number): void {
    this.accounts.release(attempt.account, attempt.accountWindow);
    this.pairs.reset(attempt.pair);
    this.familiar.delete(attempt.pair);
    this.familiar.set(attempt.pair, nowMs + this.limits.familiarMs);
    if (this.familiar.size > this.maxKeys) {
      const oldest = this.familiar.keys().next().value;
      if (oldest !== undefined) this.familiar.delete(oldest);
    }
  }

  /**
   * A failed attempt's pair and account as the whole cluster counted them: this process refuses
   * them as soon as the cluster's totals reach the limits.
   */
  raise(attempt: SignInAttempt, totals: { pair?: number; account?: number }, nowMs: number): void {
    if (totals.pair !== undefined) this.pairs.raise(attempt.pair, totals.pair, nowMs);
    if (totals.account !== undefined) this.accounts.raise(attempt.account, totals.account, nowMs);
  }

  /** The password was never checked: the attempt counts for nothing. */
  abandoned(attempt: SignInAttempt): void {
    this.pairs.release(attempt.pair, attempt.pairWindow);
    this.accounts.release(attempt.account, attempt.accountWindow);
  }

  private isFamiliar(pair: string, nowMs: number): boolean {
    const until = this.familiar.get(pair);
    if (until === undefined) return false;
    if (until > nowMs) return true;
    this.familiar.delete(pair);
    return false;
  }
}

export function isRefusal(outcome: SignInAttempt | SignInRefusal): outcome is SignInRefusal {
  return 'retryAfterMs' in outcome;
}
