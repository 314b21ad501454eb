import type { LimitStatus } from './limit-status.js';

/**
 * Every error code Keyward answers with and its one HTTP status (DESIGN §4): shape errors are 400,
 * policy refusals 422 each under a code of its own, another org's object 404.
 */
export const ERROR_STATUS = {
  invalid_request: 400,
  validation_failed: 400,
  unauthenticated: 401,
  invalid_token: 401,
  invalid_client: 401,
  insufficient_scope: 403,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  token_limit_reached: 422,
  expiration_required: 422,
  expiration_too_long: 422,
  expiration_not_allowed: 422,
  scope_not_allowed: 422,
  kind_not_allowed: 422,
  feature_not_enabled: 422,
  bound_exceeded: 422,
  unknown_user: 422,
  unknown_role: 422,
  user_deactivated: 422,
  role_not_allowed: 422,
  impersonation_not_allowed: 422,
  url_not_allowed: 422,
  rate_limited: 429,
  usage_exceeded: 429,
  internal_error: 500,
  service_unavailable: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;
export const ERROR_CODES = Object.keys(ERROR_STATUS) as ErrorCode[];

/** The codes a policy refusal (422) may carry. */
export type PolicyCode = { [C in ErrorCode]: (typeof ERROR_STATUS)[C] extends 422 ? C : never }[ErrorCode];

/**
 * The one error family of Keyward. Each error carries a stable `code`, the HTTP status that code
 * always maps to and a message that is safe to show a client. The HTTP layer turns them into
 * problem+json.
 */
export class KeywardError extends Error {
  readonly status: number;

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'KeywardError';
    this.status = ERROR_STATUS[code];
  }
}

/** No credentials at all: 401 with a bare `WWW-Authenticate: Bearer realm=…`. */
export class Unauthenticated extends KeywardError {
  constructor(message = 'Authentication is required.') {
    super('unauthenticated', message);
  }
}

/** A credential was presented but is bad, unknown, expired, revoked or disabled. */
export class InvalidToken extends KeywardError {
  constructor(message = 'The access token is invalid.') {
    super('invalid_token', message);
  }
}

/** The client of an OAuth endpoint (a verifier, by HTTP Basic) is missing or unknown (RFC 6749 §5.2). */
export class InvalidClient extends KeywardError {
  constructor(message = 'Authenticate with HTTP Basic: your verifier id and secret.') {
    super('invalid_client', message);
  }
}

/** A malformed authentication request (RFC 6750 `invalid_request`), e.g. two credentials. */
export class InvalidRequest extends KeywardError {
  constructor(message: string) {
    super('invalid_request', message);
  }
}

/** The token is good but lacks a scope the operation needs (RFC 6750). */
export class InsufficientScope extends KeywardError {
  constructor(readonly scope: string) {
    super('insufficient_scope', `This operation needs the scope ${scope}.`, { scope });
  }
}

export class Forbidden extends KeywardError {
  constructor(message = 'You are not allowed to do this.') {
    super('forbidden', message);
  }
}

export class NotFound extends KeywardError {
  constructor(what = 'resource') {
    super('not_found', `No such ${what}.`);
  }
}

/** The request's shape is wrong (a field missing, too long, not a date): 400. */
export class ValidationFailed extends KeywardError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('validation_failed', message, details);
  }
}

/** A request that is well formed but breaks an org or deployment policy: 422. */
export class PolicyViolation extends KeywardError {
  constructor(code: PolicyCode, message: string, details?: Record<string, unknown>) {
    super(code, message, details);
  }
}

export class Conflict extends KeywardError {
  constructor(message: string) {
    super('conflict', message);
  }
}

export class RateLimited extends KeywardError {
  constructor(
    readonly retryAfterSeconds: number,
    message = 'Too many attempts; try again later.',
    /** A token's own limits, for the RateLimit headers. */
    readonly limits: readonly LimitStatus[] = [],
  ) {
    super('rate_limited', message, { retry_after_seconds: retryAfterSeconds });
  }
}

/** A token in force with no usage credits left: 429 until its refill (no Retry-After without one). */
export class UsageExceeded extends KeywardError {
  constructor(
    readonly retryAfterSeconds: number | null,
    readonly limits: readonly LimitStatus[] = [],
  ) {
    super('usage_exceeded', 'The token has no usage credits left.', retryAfterSeconds === null ? {} : { retry_after_seconds: retryAfterSeconds });
  }
}

/** The process is overloaded (event loop or memory past its threshold): 503, try again later. */
export class ServiceUnavailable extends KeywardError {
  constructor(readonly retryAfterSeconds: number, message = 'The server is overloaded; try again later.') {
    super('service_unavailable', message, { retry_after_seconds: retryAfterSeconds });
  }
}
