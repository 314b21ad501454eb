import { Type, type Static } from 'typebox';

/** At most this many candidates in one report (GitHub's secret-scanning partner batches are smaller). */
export const MAX_LEAK_CANDIDATES = 1000;

/** The largest report body taken (bytes); a larger one is 413. Room for 1,000 JWTs with their URLs. */
export const LEAK_REPORT_BODY_LIMIT = 2 * 1024 * 1024;

/** One candidate of a leak report, in GitHub's secret-scanning partner format. */
export const LeakCandidateSchema = Type.Object(
  {
    token: Type.String({ minLength: 1, maxLength: 4096, description: 'The string found; it may or may not be a token of this deployment.' }),
    type: Type.Optional(Type.String({ maxLength: 256, description: 'What the reporter took it for, e.g. keyward_api_key.' })),
    url: Type.Optional(Type.String({ maxLength: 2048, description: 'Where it was found (a public URL, or a file location).' })),
    source: Type.Optional(Type.String({ maxLength: 256, description: 'Who or what found it, e.g. content, commit, keyward-scan.' })),
  },
  // Fields a reporter adds later are ignored rather than refused: a report is never lost to a new field.
  { additionalProperties: true },
);

/** `POST /api/v1/leaks`: a JSON array of candidates, as GitHub's secret scanning sends it. */
export const LeakReportBody = Type.Array(LeakCandidateSchema, {
  minItems: 1,
  maxItems: MAX_LEAK_CANDIDATES,
  description: `1 to ${MAX_LEAK_CANDIDATES} candidates.`,
});

/** The answer to every accepted report, whatever its candidates were. */
export const LeakReceiptSchema = Type.Object({
  received: Type.Integer({ minimum: 0, description: 'How many candidates the report held (duplicates included).' }),
});

export type LeakCandidate = Static<typeof LeakCandidateSchema>;
export type LeakReport = Static<typeof LeakReportBody>;
export type LeakReceipt = Static<typeof LeakReceiptSchema>;
