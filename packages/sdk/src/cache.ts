import { scopeAnswer } from './scopes.js';
import type { VerifiedToken, VerifyAnswer } from './wire.js';

type Entry = { token: VerifiedToken; until: number };

/**
 * Answers about tokens in force, for at most `ttlMs` and never past a token's end. Only trusted
 * while the revocation feed is live; a `ticket` taken before asking Keyward keeps an answer that a
 * feed event overtook from being stored.
 */
export class AnswerCache {
  private readonly entries = new Map<string, Entry>();
  private trusted = false;
  private epoch = 0;

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries: number,
  ) {}

  trust(): void {
    this.trusted = true;
    this.epoch++;
  }

  distrust(): void {
    this.trusted = false;
    this.epoch++;
    this.entries.clear();
  }

  drop(matches: (token: VerifiedToken) => boolean): void {
    this.epoch++;
    for (const [key, entry] of this.entries) if (matches(entry.token)) this.entries.delete(key);
  }

  /** The answer for these scopes from a cached token, or undefined. */
  answer(key: string, scopes: readonly string[]): VerifyAnswer | undefined {
    if (!this.trusted) return undefined;
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.until <= Date.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return scopeAnswer(entry.token, scopes);
  }

  ticket(): number {
    return this.trusted ? this.epoch : -1;
  }

  /** Keeps an answer that describes a token in force, unless the feed said anything since `ticket`. */
  keep(key: string, answer: VerifyAnswer, ticket: number): void {
    if (!this.trusted || ticket !== this.epoch || !answer.token) return;
    if (answer.code !== 'VALID' && answer.code !== 'INSUFFICIENT_SCOPE') return;
    // Keyward counts every use of a limited token: an answer from here would be a use it never saw.
    if (answer.token.limited) return;
    const end = answer.token.expires_at === null ? Infinity : Date.parse(answer.token.expires_at);
    const until = Math.min(Date.now() + this.ttlMs, end);
    if (until <= Date.now()) return;
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(key, { token: answer.token, until });
  }
}
