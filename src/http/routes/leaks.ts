import { LEAK_REPORT_BODY_LIMIT, LeakReceiptSchema, LeakReportBody, MAX_LEAK_CANDIDATES } from '../../contract/index.js';
import { admitLeakReport, receiveLeakReport } from '../../services/tokens/leaks.js';
import { requestMeta } from '../auth.js';
import { operation } from '../operation.js';
import { success } from '../responses.js';
import type { RoutePlugin } from '../route-plugin.js';

/** Reporting leaked tokens: GitHub's secret-scanning partner endpoint, and `keyward scan --report`. */
const leaks: RoutePlugin = async (app, { ctx }) => {
  app.post(
    '/leaks',
    {
      ...operation({
        id: 'reportLeakedTokens',
        tag: 'tokens',
        summary: 'Report leaked tokens (GitHub secret-scanning partner format)',
        description:
          `Anyone may report: no credential is needed, and one sent is ignored. The body is a JSON array of 1 to ${MAX_LEAK_CANDIDATES} ` +
          '`{"token", "type"?, "url"?, "source"?}`. Each candidate that is a token of this deployment and could still work (active or ' +
          'disabled) is revoked, with the audit events `token.leaked` (the url, source and type, and the token\'s SHA-256) and ' +
          '`token.revoked`. The answer is 202 `{"received": n}` whatever the candidates were, and it is sent before they are looked at, ' +
          'so it tells nothing about them; revocation follows within moments. Limited per client address.',
        auth: 'public',
        body: LeakReportBody,
        responses: { 202: success('The report was taken; its candidates are processed after this answer.', LeakReceiptSchema) },
        problems: [429],
      }),
      bodyLimit: LEAK_REPORT_BODY_LIMIT,
      // Before the body is read: a reporter over the limit costs no parsing.
      onRequest: async (request) => admitLeakReport(ctx, requestMeta(request)),
    },
    async (request, reply) => reply.status(202).send(receiveLeakReport(ctx, request.body, requestMeta(request))),
  );
};

export default leaks;
