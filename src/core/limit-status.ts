/** One rate limit after a verify, as the RateLimit header tells it (kept apart: errors and usage limits both name it). */
export type LimitStatus = { name: string; limit: number; window_seconds: number; remaining: number; reset_seconds: number };
