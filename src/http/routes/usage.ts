import { OrgParams, OrgUsageSchema, TokenParams, TokenUsageSchema, UsageQuery } from '../../contract/index.js';
import { orgUsage, tokenUsage } from '../../services/usage-analytics.js';
import { inOrg, mayReadToken } from '../authorize.js';
import { operation } from '../operation.js';
import { success } from '../responses.js';
import type { RoutePlugin } from '../route-plugin.js';

const RANGE =
  'Buckets (UTC hours or days) that start in [since, until), oldest first, every one of them: a bucket without ' +
  'verifications has empty codes. A range spans at most 90 days of hours or 730 days of days (hours are kept 90 days, ' +
  'days two years). Verifications of the last seconds are included though not yet written.';

const usage: RoutePlugin = async (app, { ctx }) => {
  app.get(
    '/orgs/:org/tokens/:id/usage',
    operation({
      id: 'getTokenUsage',
      authorize: mayReadToken,
      tag: 'usage',
      summary: "A token's verifications per hour or day, by outcome",
      description: `Visible to whoever may see the token (GET …/tokens/{id}). ${RANGE}`,
      params: TokenParams,
      querystring: UsageQuery,
      responses: { 200: success('The buckets of the range.', TokenUsageSchema) },
    }),
    async (request) => tokenUsage(ctx, request.caller, request.params.org, request.params.id, request.query),
  );

  app.get(
    '/orgs/:org/usage',
    operation({
      id: 'getOrgUsage',
      authorize: inOrg('tokens.manage', 'read'),
      tag: 'usage',
      summary: "The organization's verifications per hour or day, by outcome, and its busiest tokens",
      description: `Needs tokens.manage (tokens: keyward:tokens:read). Impersonation tokens count only for holders of tokens.impersonate. ${RANGE}`,
      params: OrgParams,
      querystring: UsageQuery,
      responses: { 200: success('The buckets of the range and the busiest tokens.', OrgUsageSchema) },
    }),
    async (request) => orgUsage(ctx, request.caller, request.params.org, request.query),
  );
};

export default usage;
