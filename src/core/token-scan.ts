import { apiKeyPattern, isApiKey } from './token-format.js';

/**
 * Finding this deployment's API keys in text, for `keyward scan`: the published pattern, then the
 * checksum, so a lookalike (a typo, an example with made-up characters) is not reported. Pure:
 * reading files and git history is the CLI's business.
 */

/** One API key found in a text: the key, and where it starts (1-based line and column). */
export type ApiKeyMatch = { token: string; line: number; column: number };

/** Every API key of `prefix` with a valid checksum in `text`, in order of appearance. */
export function findApiKeys(text: string, prefix: string): ApiKeyMatch[] {
  const found: ApiKeyMatch[] = [];
  let line = 1;
  let lineStart = 0;
  for (const match of text.matchAll(apiKeyPattern(prefix))) {
    const token = match[0];
    if (!isApiKey(token, prefix)) continue;
    // Newlines between the previous match's line and this one; a key never spans lines.
    for (let newline = text.indexOf('\n', lineStart); newline !== -1 && newline < match.index; newline = text.indexOf('\n', newline + 1)) {
      line += 1;
      lineStart = newline + 1;
    }
    found.push({ token, line, column: match.index - lineStart + 1 });
  }
  return found;
}

/** How much of a file the binary test looks at: what git looks at to call a file binary. */
export const BINARY_SNIFF_BYTES = 8000;

/** A NUL byte near the start: git's test for a binary file, which holds no key worth reporting. */
export function looksBinary(bytes: Uint8Array): boolean {
  return bytes.subarray(0, BINARY_SNIFF_BYTES).includes(0);
}
