import { Type, type TSchema } from 'typebox';
import { ProblemSchema, Ref } from '../contract/index.js';

/**
 * The responses of the API document, each declared once: every error is RFC 9457
 * `application/problem+json` with the Problem schema and the headers it carries.
 */

export const PROBLEM_MEDIA_TYPE = 'application/problem+json';

const header = (description: string) => ({ type: 'string', description });

const WWW_AUTHENTICATE = header('The RFC 6750 challenge: Bearer realm="keyward", with error and error_description when a token was refused.');
const RETRY_AFTER = header('Seconds to wait before trying again.');

const PROBLEMS = {
  400: { description: 'The request is malformed: a field is missing, too long or of the wrong type, or two credentials were sent.' },
  401: { description: 'No credentials, or credentials that are unknown, expired, revoked or disabled.', headers: { 'www-authenticate': WWW_AUTHENTICATE } },
  403: {
    description: 'Authenticated, but not allowed: a missing permission or token scope, or a missing CSRF header.',
    headers: { 'www-authenticate': header('For a token lacking a scope: Bearer realm="keyward", error="insufficient_scope", scope="…".') },
  },
  404: { description: 'No such object, or one of another organization.' },
  409: { description: 'The object is not in a state that allows this, or the name is taken.' },
  413: { description: 'The request body is too large.' },
  415: { description: 'The request body is not JSON.' },
  422: { description: 'Well formed, but refused by the organization\'s or the deployment\'s policy; the code says which rule.' },
  429: { description: 'Too many attempts.', headers: { 'retry-after': RETRY_AFTER } },
  500: { description: 'Something went wrong on the server; no detail is given.' },
} as const;

export type ProblemStatus = keyof typeof PROBLEMS;

const problemContent = { [PROBLEM_MEDIA_TYPE]: { schema: Ref(ProblemSchema) } };

/** The response objects for the given error statuses. */
export function problems(statuses: readonly ProblemStatus[]): Record<number, object> {
  return Object.fromEntries(statuses.map((status) => [status, { ...PROBLEMS[status], content: problemContent }]));
}

/** A success response: its schema, with the description the document shows and optional headers. */
export function success<T extends TSchema>(description: string, schema: T, headers?: Record<string, object>): T {
  return { ...schema, description, ...(headers ? { headers } : {}) } as T;
}

/** A response without a body. */
export function noContent(description: string) {
  return success(description, Type.Null());
}

export const SET_COOKIE = { 'set-cookie': header('The HttpOnly session cookie and the kw_csrf cookie.') };
export const CONTENT_DISPOSITION = { 'content-disposition': header('attachment; filename="…" for an export.') };
