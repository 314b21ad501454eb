import { PolicyViolation, ValidationFailed } from './errors.js';
import { assertWithinBound, checkRateLimits, type RateLimit } from './usage-limits.js';

export const TOKEN_KINDS = ['api_key', 'jwt'] as const;
export type TokenKind = (typeof TOKEN_KINDS)[number];

/** An org's token policy (DESIGN §4 `token_policy`), always within the deployment's bounds. */
export type TokenPolicy = {
  expiration_presets_days: number[];
  allow_custom_expiration: boolean;
  max_lifetime_days: number;
  expiration_required: boolean;
  max_tokens_per_user: number;
  self_service: boolean;
  warning_window_days: number;
  allowed_kinds: TokenKind[];
  accept_x_api_key: boolean;
  /** The rate limits a token gets when its create request names none. */
  default_rate_limits: RateLimit[];
};

/** What the deployment allows orgs to choose; set in configuration. */
export type PolicyBounds = {
  max_lifetime_days: number;
  max_tokens_per_user: number;
  allowed_kinds: TokenKind[];
  /** Whether an org may let tokens never expire. */
  allow_no_expiration: boolean;
  /** The most uses any one rate limit may allow per window. */
  max_rate_limit: number;
};

export const DEFAULT_BOUNDS: PolicyBounds = {
  max_lifetime_days: 365,
  max_tokens_per_user: 100,
  allowed_kinds: ['api_key', 'jwt'],
  allow_no_expiration: false,
  max_rate_limit: 100_000_000,
};

export const DEFAULT_POLICY: TokenPolicy = {
  expiration_presets_days: [30, 90, 180, 365],
  allow_custom_expiration: true,
  max_lifetime_days: 365,
  expiration_required: true,
  max_tokens_per_user: 10,
  self_service: true,
  warning_window_days: 14,
  allowed_kinds: ['api_key', 'jwt'],
  accept_x_api_key: true,
  default_rate_limits: [],
};

export const DAY_MS = 86_400_000;

/** A rotated-away token stays valid at most this long (7 days). */
export const MAX_GRACE_PERIOD_SECONDS = 604_800;
/** A pipeline rotating itself usually needs a moment to store the new secret: an hour by default. */
export const DEFAULT_SELF_GRACE_SECONDS = 3600;

/** The default policy clipped to the deployment's bounds. */
export function defaultPolicy(bounds: PolicyBounds): TokenPolicy {
  return mergePolicy(clip(DEFAULT_POLICY, bounds), {}, bounds);
}

function clip(policy: TokenPolicy, bounds: PolicyBounds): TokenPolicy {
  const max = Math.min(policy.max_lifetime_days, bounds.max_lifetime_days);
  const presets = policy.expiration_presets_days.filter((d) => d <= max);
  return {
    ...policy,
    max_lifetime_days: max,
    expiration_presets_days: presets.length > 0 ? presets : [max],
    max_tokens_per_user: Math.min(policy.max_tokens_per_user, bounds.max_tokens_per_user),
    allowed_kinds: policy.allowed_kinds.filter((k) => bounds.allowed_kinds.includes(k)),
    expiration_required: bounds.allow_no_expiration ? policy.expiration_required : true,
  };
}

/**
 * Applies a change to a policy and checks the result against the deployment's bounds. Breaking a
 * bound is a policy violation (422); an inconsistent policy is a validation failure.
 */
export function mergePolicy(current: TokenPolicy, change: Partial<TokenPolicy>, bounds: PolicyBounds): TokenPolicy {
  const next: TokenPolicy = { ...current, ...change };
  if (next.max_lifetime_days > bounds.max_lifetime_days) {
    throw new PolicyViolation(
      'expiration_too_long',
      `The maximum lifetime cannot exceed the deployment's ${bounds.max_lifetime_days} days.`,
      { field: 'max_lifetime_days', max: bounds.max_lifetime_days },
    );
  }
  if (next.max_tokens_per_user > bounds.max_tokens_per_user) {
    throw new PolicyViolation('bound_exceeded', `At most ${bounds.max_tokens_per_user} tokens per user are allowed.`, {
      field: 'max_tokens_per_user',
    });
  }
  const forbiddenKind = next.allowed_kinds.find((k) => !bounds.allowed_kinds.includes(k));
  if (forbiddenKind) {
    throw new PolicyViolation('kind_not_allowed', `The deployment does not allow ${forbiddenKind} tokens.`, {
      field: 'allowed_kinds',
    });
  }
  if (!next.expiration_required && !bounds.allow_no_expiration) {
    throw new PolicyViolation('expiration_required', 'The deployment requires every token to expire.', {
      field: 'expiration_required',
    });
  }
  next.default_rate_limits = checkRateLimits(next.default_rate_limits, 'default_rate_limits');
  assertWithinBound(next.default_rate_limits, bounds.max_rate_limit, 'default_rate_limits');
  if (next.allowed_kinds.length === 0) {
    throw new ValidationFailed('At least one token kind must be allowed.', { field: 'allowed_kinds' });
  }
  const longPreset = next.expiration_presets_days.find((d) => d > next.max_lifetime_days);
  if (longPreset !== undefined) {
    throw new PolicyViolation('expiration_too_long', `The preset of ${longPreset} days exceeds the maximum lifetime.`, {
      field: 'expiration_presets_days',
    });
  }
  if (next.expiration_presets_days.length === 0 && !next.allow_custom_expiration && next.expiration_required) {
    throw new ValidationFailed('With no presets and no custom dates, no token could be created.', {
      field: 'expiration_presets_days',
    });
  }
  next.expiration_presets_days = [...new Set(next.expiration_presets_days)].sort((a, b) => a - b);
  next.allowed_kinds = [...new Set(next.allowed_kinds)];
  return next;
}

export type ExpirationRequest = { expiresInDays?: number | undefined; expiresAt?: string | undefined };

/** Resolves a create request's expiration under a policy; null means the token never expires. */
export function resolveExpiration(request: ExpirationRequest, policy: TokenPolicy, nowMs: number): number | null {
  const { expiresInDays, expiresAt } = request;
  if (expiresInDays !== undefined && expiresAt !== undefined) {
    throw new ValidationFailed('Give either expires_in_days or expires_at, not both.', { field: 'expires_at' });
  }
  const maxMs = nowMs + policy.max_lifetime_days * DAY_MS;
  if (expiresInDays !== undefined) {
    if (expiresInDays > policy.max_lifetime_days) {
      throw new PolicyViolation('expiration_too_long', `Tokens may live at most ${policy.max_lifetime_days} days.`, {
        field: 'expires_in_days',
        max_lifetime_days: policy.max_lifetime_days,
      });
    }
    if (!policy.expiration_presets_days.includes(expiresInDays)) {
      throw new PolicyViolation(
        'expiration_not_allowed',
        `Choose one of the presets: ${policy.expiration_presets_days.join(', ')} days.`,
        { field: 'expires_in_days', presets: policy.expiration_presets_days },
      );
    }
    return nowMs + expiresInDays * DAY_MS;
  }
  if (expiresAt !== undefined) {
    const at = Date.parse(expiresAt);
    if (Number.isNaN(at)) throw new ValidationFailed('expires_at is not a valid date.', { field: 'expires_at' });
    if (!policy.allow_custom_expiration) {
      throw new PolicyViolation('expiration_not_allowed', 'This organization does not allow custom expiration dates.', {
        field: 'expires_at',
      });
    }
    if (at <= nowMs) throw new ValidationFailed('expires_at must be in the future.', { field: 'expires_at' });
    if (at > maxMs) {
      throw new PolicyViolation('expiration_too_long', `Tokens may live at most ${policy.max_lifetime_days} days.`, {
        field: 'expires_at',
        max_lifetime_days: policy.max_lifetime_days,
      });
    }
    return at;
  }
  if (policy.expiration_required) {
    throw new PolicyViolation('expiration_required', 'This organization requires tokens to expire.', {
      field: 'expires_in_days',
    });
  }
  return null;
}
