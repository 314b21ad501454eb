import { VerifyAnswerSchema, VerifyBody } from '../../contract/index.js';
import { VERIFY_CODES } from '../../core/verify-codes.js';
import { verifyAnswer } from '../../services/verification.js';
import { verifyPresentedToken } from '../../services/verifiers.js';
import { requestMeta } from '../auth.js';
import { operation, summarized } from '../operation.js';
import { success } from '../responses.js';
import type { RoutePlugin } from '../route-plugin.js';

const verify: RoutePlugin = async (app, { ctx }) => {
  app.post(
    '/verify',
    summarized(
      operation({
        id: 'verifyToken',
        tag: 'verify',
        summary: 'Verify a token for a resource server',
        description: `Authenticated by a verifier credential. Always 200 with a code: ${VERIFY_CODES.join(', ')}.`,
        auth: 'verifier',
        body: VerifyBody,
        responses: { 200: success('The answer about the token.', VerifyAnswerSchema) },
      }),
    ),
    async (request) => verifyAnswer(await verifyPresentedToken(ctx, request.body, requestMeta(request))),
  );
};

export default verify;
