/**
 * The one error family of Keyward. Each error carries a stable `code`, the HTTP status it maps
 * to and a message that is safe to show a client. The HTTP layer turns them into problem+json.
 */
export type ErrorCode =
  | 'unauthenticated'
  | 'invalid_token'
  | 'invalid_request'
  | 'insufficient_scope'
  | 'forbidden'
  | 'not_found'
  | 'validation_failed'
  | 'token_limit_reached'
  | 'expiration_required'
  | 'expiration_too_long'
  | 'scope_not_allowed'
  | 'feature_not_enabled'
  | 'conflict'
  | 'rate_limited';

export class KeywardError extends Error {
  constructor(
    readonly code: ErrorCode,
    readonly status: number,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'KeywardError';
  }
}

/** No credentials at all: 401 with a bare `WWW-Authenticate: Bearer realm=…`. */
export class Unauthenticated extends KeywardError {
  constructor(message = 'Authentication is required.') {
    super('unauthenticated', 401, message);
  }
}

/** A credential was presented but is bad, unknown, expired, revoked or disabled. */
export class InvalidToken extends KeywardError {
  constructor(message = 'The access token is invalid.') {
    super('invalid_token', 401, message);
  }
}

/** A malformed authentication request (RFC 6750 `invalid_request`), e.g. two credentials. */
export class InvalidRequest extends KeywardError {
  constructor(message: string) {
    super('invalid_request', 400, message);
  }
}

/** The token is good but lacks a scope the operation needs (RFC 6750). */
export class InsufficientScope extends KeywardError {
  constructor(readonly scope: string) {
    super('insufficient_scope', 403, `This operation needs the scope ${scope}.`, { scope });
  }
}

export class Forbidden extends KeywardError {
  constructor(message = 'You are not allowed to do this.') {
    super('forbidden', 403, message);
  }
}

export class NotFound extends KeywardError {
  constructor(what = 'resource') {
    super('not_found', 404, `No such ${what}.`);
  }
}

export class ValidationFailed extends KeywardError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('validation_failed', 400, message, details);
  }
}

export type PolicyCode =
  | 'token_limit_reached'
  | 'expiration_required'
  | 'expiration_too_long'
  | 'scope_not_allowed'
  | 'feature_not_enabled'
  | 'validation_failed';

/** A request that is well formed but breaks an org or deployment policy: 422. */
export class PolicyViolation extends KeywardError {
  constructor(code: PolicyCode, message: string, details?: Record<string, unknown>) {
    super(code, 422, message, details);
  }
}

export class Conflict extends KeywardError {
  constructor(message: string) {
    super('conflict', 409, message);
  }
}

export class RateLimited extends KeywardError {
  constructor(readonly retryAfterSeconds: number, message = 'Too many attempts; try again later.') {
    super('rate_limited', 429, message, { retry_after_seconds: retryAfterSeconds });
  }
}
