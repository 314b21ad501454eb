/** How an audit log is read: a JSON page, or a download of every matching event. */
export const AUDIT_FORMATS = ['json', 'csv', 'ndjson'] as const;
export type AuditFormat = (typeof AUDIT_FORMATS)[number];
export type ExportFormat = Exclude<AuditFormat, 'json'>;
