export { createVerifier, VerifierUnavailable, type Verifier, type VerifierOptions, type VerifyOptions } from './verifier.js';
export { readCredential, type Credential, type TokenFacts } from './middleware.js';
export type { FeedHeartbeat, FeedOrg, FeedOwner, FeedReady, FeedToken, Problem, RateLimitStatus, VerifiedToken, VerifyAnswer, VerifyCode } from './wire.js';
export { VERIFY_CODES } from './wire.js';
export { rateLimitHeaders } from './rate-limit-headers.js';
