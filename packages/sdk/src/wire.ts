/**
 * What Keyward sends on the wire, as this package reads it (DESIGN §4). The SDK depends on no
 * server code; the server's test suite checks these types against its contract module, so the
 * two cannot drift apart.
 */

export const VERIFY_CODES = [
  'VALID',
  'MALFORMED',
  'NOT_FOUND',
  'EXPIRED',
  'REVOKED',
  'DISABLED',
  'IP_NOT_ALLOWED',
  'INSUFFICIENT_SCOPE',
  'RATE_LIMITED',
  'USAGE_EXCEEDED',
] as const;
export type VerifyCode = (typeof VERIFY_CODES)[number];

export type VerifiedToken = {
  id: string;
  org_id: string;
  owner: { type: 'user' | 'service_account'; id: string };
  scopes: string[];
  kind: 'api_key' | 'jwt';
  expires_at: string | null;
  impersonation: boolean;
  created_by: { id: string };
  /** Has rate limits or credits: every use must be asked, never answered from a cache. */
  limited: boolean;
};

/** One of a limited token's rate limits after a verify. */
export type RateLimitStatus = { name: string; limit: number; window_seconds: number; remaining: number; reset_seconds: number };

/** The answer of `POST /api/v1/verify`. */
export type VerifyAnswer = {
  valid: boolean;
  code: VerifyCode;
  token?: VerifiedToken;
  missing_scopes?: string[];
  rate_limits?: RateLimitStatus[];
  usage_remaining?: number;
  retry_after_seconds?: number;
};

/** The revocation feed's events (`GET /api/v1/revocations/stream`). */
export type FeedState = 'local' | 'live' | 'degraded';
export type FeedReady = { heartbeat_ms: number; state: FeedState; online_jwt_ids: string[] };
export type FeedToken = { token_id: string; org_id: string; digest_prefix: string };
export type FeedOwner = { user_id: string };
export type FeedOrg = { org_id: string };
export type FeedHeartbeat = { state: FeedState };

/** RFC 9457 problem details, as Keyward and this SDK's middleware answer them. */
export type Problem = {
  type: string;
  title: string;
  status: number;
  code: string;
  detail: string;
  instance?: string;
};
