import { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type, type Static } from 'typebox';
import { exportAuditLog, listAuditLog, type AuditLogScope } from '../../services/audit-log.js';
import type { ServiceContext } from '../../services/context.js';
import { managementSecurity, OrgParams, Page, PageQuery } from '../schemas/common.js';
import type { RoutePlugin } from './index.js';

const instant = (bound: string) =>
  Type.String({
    maxLength: 40,
    description: `Only events ${bound} this time: an ISO 8601 date (UTC midnight) or date-time with a zone.`,
  });

const AuditEventsQuery = Type.Object({
  action: Type.Optional(
    Type.String({
      maxLength: 100,
      pattern: '^[a-z0-9_]+(\\.[a-z0-9_]+)*(\\.\\*)?$',
      description: 'An exact action (token.revoked) or a family (token.*).',
    }),
  ),
  actor: Type.Optional(Type.String({ maxLength: 64, description: 'The acting user, service account or token id.' })),
  token: Type.Optional(Type.String({ maxLength: 64, description: 'Events whose target is this token (tok_…).' })),
  since: Type.Optional(instant('at or after')),
  until: Type.Optional(instant('before')),
  format: Type.Optional(
    Type.Union([Type.Literal('json'), Type.Literal('csv'), Type.Literal('ndjson')], {
      default: 'json',
      description: 'json: one page. csv and ndjson: a download of every matching event (limit and cursor are ignored).',
    }),
  ),
  ...PageQuery,
});

const auditResponses = {
  200: {
    description: 'A page of events, or the export file.',
    content: {
      'application/json': { schema: Page(Type.Ref('AuditEvent')) },
      'text/csv': { schema: Type.String({ description: 'A header row, then one row per event; details as JSON.' }) },
      'application/x-ndjson': { schema: Type.String({ description: 'One audit event object per line.' }) },
    },
  },
  400: Type.Ref('Problem'),
  401: Type.Ref('Problem'),
  403: Type.Ref('Problem'),
  404: Type.Ref('Problem'),
};

const EXPORT_NOTE =
  'Exports stream up to 100 000 events and are themselves audited as audit.exported; CSV cells that a spreadsheet ' +
  'would run as a formula start with a quote.';

/** Both logs answer alike: a JSON page, or a streamed export file. */
async function answer(
  ctx: ServiceContext,
  request: FastifyRequest,
  reply: FastifyReply,
  orgId: AuditLogScope,
  query: Static<typeof AuditEventsQuery>,
) {
  const { format = 'json', limit = 50, cursor, ...filters } = query;
  if (format === 'json') {
    const page = await listAuditLog(ctx, request.caller, orgId, { ...filters, cursor, limit });
    return { data: page.items, next_cursor: page.nextCursor };
  }
  const file = await exportAuditLog(ctx, request.caller, orgId, filters, format);
  return reply
    .type(file.contentType)
    .header('content-disposition', `attachment; filename="${file.filename}"`)
    .header('cache-control', 'no-store')
    .send(Readable.from(file.chunks));
}

const auditEvents: RoutePlugin = async (app, { ctx }) => {
  app.get(
    '/orgs/:org/audit-events',
    {
      // HEAD would run the export (and audit it) without sending a file.
      exposeHeadRoute: false,
      config: { auth: 'caller' },
      schema: {
        tags: ['audit'],
        summary: "The org's audit log, newest first; filterable, paginated, exportable as CSV or NDJSON",
        description: `Needs the audit.read permission (tokens: keyward:audit:read). ${EXPORT_NOTE}`,
        security: managementSecurity,
        params: OrgParams,
        querystring: AuditEventsQuery,
        response: auditResponses,
      },
    },
    (request, reply) => answer(ctx, request, reply, request.params.org, request.query),
  );

  app.get(
    '/audit-events',
    {
      exposeHeadRoute: false,
      config: { auth: 'caller' },
      schema: {
        tags: ['audit'],
        summary: "The deployment's own audit log (sign-ins, users, verifiers): site admins only",
        description: `Events that belong to no org. Site admins only (tokens: keyward:admin). ${EXPORT_NOTE}`,
        security: managementSecurity,
        querystring: AuditEventsQuery,
        response: auditResponses,
      },
    },
    (request, reply) => answer(ctx, request, reply, null, request.query),
  );
};

export default auditEvents;
