import { rateLimitHeaders as sdkHeaders } from '@keyward/sdk';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RATE_LIMIT_NAME_PATTERN } from '../../src/core/usage-limits.js';
import { rateLimitHeaders as serverHeaders } from '../../src/http/rate-limit-headers.js';

/** The SDK's RateLimit fields are a copy of the server's (it may not import server code): they must agree. */
describe('the RateLimit headers', () => {
  const status = fc.record({
    name: fc.stringMatching(new RegExp(RATE_LIMIT_NAME_PATTERN)),
    limit: fc.integer({ min: 1, max: 1_000_000_000 }),
    window_seconds: fc.integer({ min: 1, max: 86_400 }),
    remaining: fc.integer({ min: 0, max: 1_000_000_000 }),
    reset_seconds: fc.integer({ min: 0, max: 86_400 }),
  });

  it('are written alike by the SDK and the server, for every list of limits', () => {
    fc.assert(fc.property(fc.array(status, { maxLength: 5 }), (limits) => {
        expect(sdkHeaders(limits)).toEqual(serverHeaders(limits));
      }));
  });

  it('follow the IETF draft: quoted names, q and w for the policy, r and t for what is left', () => {
    const limits = [
      { name: 'burst', limit: 100, window_seconds: 60, remaining: 42, reset_seconds: 17 },
      { name: 'day', limit: 5000, window_seconds: 86_400, remaining: 4000, reset_seconds: 3600 },
    ];
    expect(serverHeaders(limits)).toEqual({
      'ratelimit-policy': '"burst";q=100;w=60, "day";q=5000;w=86400',
      ratelimit: '"burst";r=42;t=17, "day";r=4000;t=3600',
    });
    expect(serverHeaders([])).toEqual({});
  });
});
