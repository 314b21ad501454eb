import { Type, type TSchema } from 'typebox';

/** RFC 9457 problem details with Keyward's stable `code`. */
export const ProblemSchema = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    code: Type.String({ description: 'Stable machine-readable error code.' }),
    detail: Type.String(),
    instance: Type.Optional(Type.String()),
    field: Type.Optional(Type.String()),
  },
  { $id: 'Problem', additionalProperties: true },
);

/** A list page: `{data, next_cursor}` (DESIGN §4). */
export function Page<T extends TSchema>(item: T) {
  return Type.Object({ data: Type.Array(item), next_cursor: Type.Union([Type.String(), Type.Null()]) });
}

export const PageQuery = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 50 })),
  cursor: Type.Optional(Type.String({ maxLength: 64 })),
};

export const OrgParams = Type.Object({ org: Type.String({ maxLength: 64, description: 'The org id (org_…).' }) });

export const Timestamp = Type.String({ format: 'date-time' });
export const NullableTimestamp = Type.Union([Type.String({ format: 'date-time' }), Type.Null()]);
export const NullableString = Type.Union([Type.String(), Type.Null()]);

/** Problem responses every authenticated route may give. */
export const problemResponses = {
  400: Type.Ref('Problem'),
  401: Type.Ref('Problem'),
  403: Type.Ref('Problem'),
  404: Type.Ref('Problem'),
  422: Type.Ref('Problem'),
} as const;

/** The security requirement for routes a session or a `keyward:*` token may call. */
export const managementSecurity: { [scheme: string]: string[] }[] = [{ bearerAuth: [] }, { apiKeyHeader: [] }, { sessionCookie: [] }];
