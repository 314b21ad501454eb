/** What one invalidation tells a process to drop (and what LISTEN/NOTIFY carries between them). */
export type InvalidationMessage =
  | { kind: 'token' | 'owner' | 'org' | 'verifier'; id: string }
  | { kind: 'created'; digest: string }
  | { kind: 'signing_keys' };
