import type { AuditEventView } from '../contract/index.js';
import type { ExportFormat } from '../core/audit-formats.js';
import { ValidationFailed } from '../core/errors.js';
import type { AuditRecord } from '../core/model.js';
import { isoRequired } from '../core/time.js';
import { listAuditEvents, type AuditFilter } from '../store/audit.js';
import { orgAccess, requirePermission, requireSiteAdmin, type Caller } from './access.js';
import { actorOf, recordAudit } from './audit.js';
import type { ServiceContext } from './context.js';
import { mapPage, pageOf, rowsToFetch, type Page, type PageRequest } from './pages.js';

export function auditEventView(event: AuditRecord): AuditEventView {
  return {
    id: event.id,
    action: event.action,
    actor: event.actor,
    ...(event.impersonatorId !== null ? { impersonator: { id: event.impersonatorId } } : {}),
    org_id: event.orgId,
    target: event.target,
    ip: event.ip,
    user_agent: event.userAgent,
    created_at: isoRequired(event.createdAt),
    details: event.details,
  };
}

/** The filters of `GET …/audit-events`, as the client sent them. */
export type AuditQuery = {
  /** An exact action (`token.revoked`) or a family (`token.*`). */
  action?: string | undefined;
  actor?: string | undefined;
  token?: string | undefined;
  /** ISO 8601; `since` is inclusive, `until` exclusive. */
  since?: string | undefined;
  until?: string | undefined;
};

/**
 * Which log: an org's, or with `null` the deployment's own (sign-ins, users, verifiers), which
 * only site admins read.
 */
export type AuditLogScope = string | null;

/** One page of an audit log, newest first. */
export async function listAuditLog(
  ctx: ServiceContext,
  caller: Caller,
  orgId: AuditLogScope,
  query: AuditQuery & PageRequest,
): Promise<Page<AuditEventView>> {
  const filter = filterOf(orgId, query);
  await readableLog(ctx, caller, orgId);
  const events = await listAuditEvents(ctx.db, { ...filter, cursor: query.cursor, limit: rowsToFetch(query) });
  return mapPage(pageOf(events, query, (event) => event.id), auditEventView);
}

export type AuditExport = {
  filename: string;
  contentType: string;
  /** The file's text, produced lazily a chunk of events at a time. */
  chunks: AsyncIterable<string>;
};

/** Exports stop here; a larger log is exported in date ranges (`since`/`until`). */
export const EXPORT_MAX_ROWS = 100_000;
const EXPORT_CHUNK_ROWS = 500;

export const CSV_COLUMNS = [
  'id',
  'created_at',
  'action',
  'actor_type',
  'actor_id',
  'impersonator_id',
  'target_type',
  'target_id',
  'ip',
  'user_agent',
  'details',
] as const;

/**
 * Every event matching the filters, as CSV or NDJSON. The export is itself audited
 * (`audit.exported`, recorded before the first row is read, so a full export lists itself);
 * reading a page of JSON is not.
 */
export async function exportAuditLog(
  ctx: ServiceContext,
  caller: Caller,
  orgId: AuditLogScope,
  query: AuditQuery,
  format: ExportFormat,
  options: { maxRows?: number } = {},
): Promise<AuditExport> {
  const filter = filterOf(orgId, query);
  const name = await readableLog(ctx, caller, orgId);
  const now = ctx.clock.now();
  await recordAudit(ctx.db, actorOf(caller), { orgId, action: 'audit.exported', details: { format, filters: { ...query } } }, now);
  const pages = matchingPages(ctx, filter, options.maxRows ?? EXPORT_MAX_ROWS);
  const date = new Date(now).toISOString().slice(0, 10);
  const basename = `audit-${name.replace(/[^A-Za-z0-9._-]/g, '-')}-${date}`;
  return format === 'csv'
    ? { filename: `${basename}.csv`, contentType: 'text/csv; charset=utf-8', chunks: csvChunks(pages) }
    : { filename: `${basename}.ndjson`, contentType: 'application/x-ndjson', chunks: ndjsonChunks(pages) };
}

/** Checks the caller may read the log and returns its name for export files. */
async function readableLog(ctx: ServiceContext, caller: Caller, orgId: AuditLogScope): Promise<string> {
  if (orgId === null) {
    requireSiteAdmin(caller);
    return 'deployment';
  }
  const access = await orgAccess(ctx.db, caller, orgId);
  requirePermission(access, 'audit.read', 'read');
  return access.org.slug;
}

function filterOf(orgId: AuditLogScope, query: AuditQuery): Omit<AuditFilter, 'limit' | 'cursor'> {
  const since = parseInstant(query.since, 'since');
  const until = parseInstant(query.until, 'until');
  if (since !== undefined && until !== undefined && since > until) {
    throw new ValidationFailed('since must not be after until.', { field: 'since' });
  }
  return { orgId, action: query.action, actorId: query.actor, tokenId: query.token, since, until };
}

const ISO_INSTANT = /^(\d{4})-(\d{2})-(\d{2})(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2}))?$/;

/** A date (`2026-01-15`, UTC midnight) or a date-time with a zone; no local times, no Feb 30. */
function parseInstant(value: string | undefined, field: string): number | undefined {
  if (value === undefined) return undefined;
  const match = ISO_INSTANT.exec(value);
  if (match) {
    const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
    const ms = Date.parse(value);
    // Date.parse rolls 2026-02-30 over into March; only a real calendar day survives the round trip.
    const realDay = month >= 1 && month <= 12 && new Date(Date.UTC(year, month - 1, day)).getUTCDate() === day;
    if (realDay && !Number.isNaN(ms)) return ms;
  }
  throw new ValidationFailed(`${field} must be an ISO 8601 date or date-time with a zone, e.g. 2026-01-15T10:00:00Z.`, { field });
}

/** Pages through the store newest first until the filters or the row cap are exhausted. */
async function* matchingPages(
  ctx: ServiceContext,
  filter: Omit<AuditFilter, 'limit' | 'cursor'>,
  maxRows: number,
): AsyncGenerator<AuditRecord[]> {
  let cursor: string | undefined;
  let remaining = maxRows;
  while (remaining > 0) {
    const limit = Math.min(EXPORT_CHUNK_ROWS, remaining);
    const rows = await listAuditEvents(ctx.db, { ...filter, cursor, limit });
    if (rows.length > 0) yield rows;
    if (rows.length < limit) return;
    remaining -= rows.length;
    cursor = rows[rows.length - 1]!.id;
  }
}

async function* csvChunks(pages: AsyncIterable<AuditRecord[]>): AsyncGenerator<string> {
  yield csvRecord(CSV_COLUMNS);
  for await (const rows of pages) {
    yield rows
      .map((row) =>
        csvRecord([
          row.id,
          isoRequired(row.createdAt),
          row.action,
          row.actor.type,
          row.actor.id,
          row.impersonatorId,
          row.target?.type ?? null,
          row.target?.id ?? null,
          row.ip,
          row.userAgent,
          JSON.stringify(row.details),
        ]),
      )
      .join('');
  }
}

async function* ndjsonChunks(pages: AsyncIterable<AuditRecord[]>): AsyncGenerator<string> {
  for await (const rows of pages) yield rows.map((row) => `${JSON.stringify(auditEventView(row))}\n`).join('');
}

/** One RFC 4180 record, CRLF-terminated. */
export function csvRecord(cells: readonly (string | null)[]): string {
  return `${cells.map(csvCell).join(',')}\r\n`;
}

/**
 * A CSV field that a spreadsheet shows as text: a leading = + - @ tab or CR would start a formula
 * (CSV injection), so it gets a single quote in front; quotes, commas and line breaks are quoted.
 */
export function csvCell(value: string | null): string {
  if (value === null) return '';
  const inert = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(inert) ? `"${inert.replace(/"/g, '""')}"` : inert;
}
