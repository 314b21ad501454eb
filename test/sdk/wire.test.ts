import * as sdk from '@keyward/sdk';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type * as contract from '../../src/contract/index.js';
import { VERIFY_CODES } from '../../src/core/verify-codes.js';

/**
 * The SDK declares the wire shapes it reads itself (it depends on no server code); these checks
 * (run by the typecheck, and the codes at run time) keep them readable from the server's contract.
 */
describe('the SDK reads what the server writes', () => {
  it('knows every verify code', () => {
    for (const code of VERIFY_CODES) expect(sdk.VERIFY_CODES).toContain(code);
  });

  it('types every verify answer and feed event the server sends', () => {
    expectTypeOf<contract.VerifyAnswer>().toExtend<sdk.VerifyAnswer>();
    expectTypeOf<contract.VerifiedToken>().toExtend<sdk.VerifiedToken>();
    expectTypeOf<contract.FeedReady>().toExtend<sdk.FeedReady>();
    expectTypeOf<contract.FeedToken>().toExtend<sdk.FeedToken>();
    expectTypeOf<contract.FeedOwner>().toExtend<sdk.FeedOwner>();
    expectTypeOf<contract.FeedOrg>().toExtend<sdk.FeedOrg>();
    expectTypeOf<contract.FeedHeartbeat>().toExtend<sdk.FeedHeartbeat>();
    expectTypeOf<contract.Problem>().toExtend<sdk.Problem>();
  });
});
