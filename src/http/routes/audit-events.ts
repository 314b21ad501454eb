import { Readable } from 'node:stream';
import type { FastifyReply } from 'fastify';
import { Type } from 'typebox';
import { AuditEventSchema, AuditEventsQuery, OrgParams, Page, Ref, type AuditEventsRequest } from '../../contract/index.js';
import type { Caller } from '../../services/access.js';
import { exportAuditLog, listAuditLog, type AuditLogScope } from '../../services/audit-log.js';
import type { ServiceContext } from '../../services/context.js';
import { inOrg, siteAdminOnly } from '../authorize.js';
import { operation } from '../operation.js';
import { CONTENT_DISPOSITION } from '../responses.js';
import type { RoutePlugin } from '../route-plugin.js';

const auditPage = {
  description: 'A page of events, or the export file.',
  headers: CONTENT_DISPOSITION,
  content: {
    'application/json': { schema: Page(Ref(AuditEventSchema)) },
    'text/csv': { schema: Type.String({ description: 'A header row, then one row per event; details as JSON.' }) },
    'application/x-ndjson': { schema: Type.String({ description: 'One audit event object per line.' }) },
  },
};

const EXPORT_NOTE =
  'Exports stream up to 100 000 events and are themselves audited as audit.exported; CSV cells that a spreadsheet ' +
  'would run as a formula start with a quote.';

/** Both logs answer alike: a JSON page, or a streamed export file. */
async function answer(ctx: ServiceContext, caller: Caller, reply: FastifyReply, orgId: AuditLogScope, query: AuditEventsRequest) {
  const { format = 'json', limit, cursor, ...filters } = query;
  if (format === 'json') return listAuditLog(ctx, caller, orgId, { ...filters, cursor, limit });
  const file = await exportAuditLog(ctx, caller, orgId, filters, format);
  return reply
    .type(file.contentType)
    .header('content-disposition', `attachment; filename="${file.filename}"`)
    .header('cache-control', 'no-store')
    .send(Readable.from(file.chunks));
}

const auditEvents: RoutePlugin = async (app, { ctx }) => {
  app.get(
    '/orgs/:org/audit-events',
    operation({
      id: 'listOrgAuditEvents',
      authorize: inOrg('audit.read', 'read'),
      tag: 'audit',
      summary: "The org's audit log, newest first; filterable, paginated, exportable as CSV or NDJSON",
      description: `Needs the audit.read permission (tokens: keyward:audit:read). ${EXPORT_NOTE}`,
      // HEAD would run the export (and audit it) without sending a file.
      noHead: true,
      params: OrgParams,
      querystring: AuditEventsQuery,
      responses: { 200: auditPage },
    }),
    (request, reply) => answer(ctx, request.caller, reply, request.params.org, request.query),
  );

  app.get(
    '/audit-events',
    operation({
      id: 'listDeploymentAuditEvents',
      authorize: siteAdminOnly,
      tag: 'audit',
      summary: "The deployment's own audit log (sign-ins, users, verifiers): site admins only",
      description: `Events that belong to no org. A site admin's session only: no token reads it, whatever its scopes. ${EXPORT_NOTE}`,
      noHead: true,
      querystring: AuditEventsQuery,
      responses: { 200: auditPage },
    }),
    (request, reply) => answer(ctx, request.caller, reply, null, request.query),
  );
};

export default auditEvents;
