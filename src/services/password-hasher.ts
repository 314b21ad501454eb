import { RateLimited } from '../core/errors.js';
import { verifyPassword } from '../core/password.js';

export type PasswordHasherOptions = {
  /** Password checks run at once. */
  concurrency: number;
  /** Checks that may wait for a turn; one more is refused at once. */
  queue: number;
  /** How long a check waits for its turn before it is refused. */
  maxWaitMs: number;
};

/**
 * Each scrypt run takes a libuv thread for about a third of a second and 128 MiB of memory: 2 at
 * a time leave the rest of the thread pool (file and DNS work) and the memory to the server, and
 * a handful waiting clears within the wait.
 */
export const DEFAULT_PASSWORD_HASHING: PasswordHasherOptions = { concurrency: 2, queue: 8, maxWaitMs: 2_000 };

const BUSY_RETRY_SECONDS = 1;

/**
 * Bounds the password checks anyone can trigger (sign-in; first-run setup hashes only after its
 * one-time token matched), so a flood of sign-ins cannot take every thread and all the memory: a
 * few run at once, a few more wait briefly, and the rest are refused with 429 and `Retry-After`
 * rather than queued without bound.
 * The wait is real time, not the injected clock: it measures the machine's work, not the domain's.
 */
export class PasswordHasher {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly options: PasswordHasherOptions = DEFAULT_PASSWORD_HASHING) {}

  verify(password: string, stored: string): Promise<boolean> {
    return this.run(() => verifyPassword(password, stored));
  }

  private async run<T>(task: () => Promise<T>): Promise<T> {
    await this.turn();
    try {
      return await task();
    } finally {
      this.done();
    }
  }

  private turn(): Promise<void> {
    if (this.running < this.options.concurrency) {
      this.running += 1;
      return Promise.resolve();
    }
    if (this.waiting.length >= this.options.queue) return Promise.reject(busy());
    return new Promise((resolve, reject) => {
      const granted = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        const index = this.waiting.indexOf(granted);
        if (index !== -1) this.waiting.splice(index, 1);
        reject(busy());
      }, this.options.maxWaitMs);
      this.waiting.push(granted);
    });
  }

  /** A finished check hands its turn to the next in line, or frees it. */
  private done(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.running -= 1;
  }
}

function busy(): RateLimited {
  return new RateLimited(BUSY_RETRY_SECONDS, 'Too many passwords are being checked at once; try again in a moment.');
}
