import { Type, type Static } from 'typebox';
import { ERROR_CODES } from '../core/errors.js';
import { StringEnum } from './kit.js';

/** RFC 9457 problem details with Keyward's stable `code`. */
export const ProblemSchema = Type.Object(
  {
    type: Type.String({ description: 'A URI naming the problem type.' }),
    title: Type.String(),
    status: Type.Integer(),
    code: StringEnum(ERROR_CODES, { description: 'Stable machine-readable error code; one HTTP status per code.' }),
    detail: Type.String({ description: 'What went wrong, in a sentence that is safe to show.' }),
    instance: Type.Optional(Type.String({ description: 'The path of the request.' })),
    field: Type.Optional(Type.String({ description: 'The request field at fault, for validation and policy errors.' })),
  },
  { $id: 'Problem', additionalProperties: true },
);

export type Problem = Static<typeof ProblemSchema>;
