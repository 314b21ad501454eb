import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { apiKeyPattern, isApiKey, isValidPrefix, looksLikeJwt } from '../src/core/token-format.js';

/**
 * The suite-wide secret check (issue 9), a global setup of both projects. While the run goes, the
 * test apps of every worker append what Keyward writes down (log lines, audit rows, outbox and
 * delivery rows, webhook requests) and every secret the tests were handed or handed over to files
 * in one directory (test/secret-capture.ts). At the end this searches all of it for every one of
 * those secrets and for anything shaped like a token; any hit fails the run.
 */

declare module 'vitest' {
  export interface ProvidedContext {
    /** The run's capture directory. */
    secretCaptureDir: string;
  }
}

/** A worker's captured records: `<where>\t<text>` lines, each run of them after a FILE_MARK line. */
export const CAPTURE_EXT = '.capture';
/** A worker's secrets: one JSON SecretRecord a line. */
export const SECRETS_EXT = '.secrets';
/** Names the test file whose records follow. */
export const FILE_MARK = '#file\t';

export type SecretKind = 'token' | 'verifier secret' | 'webhook secret' | 'JWT' | 'session cookie' | 'presented credential' | 'password' | 'pepper';
export type SecretRecord = { kind: SecretKind; value: string; file: string };

export default function setup(project: TestProject): () => void {
  const dir = mkdtempSync(join(tmpdir(), `keyward-capture-${project.name}-`));
  project.provide('secretCaptureDir', dir);
  return () => check(project.name, dir);
}

function check(projectName: string, dir: string): void {
  const files = readdirSync(dir);
  const secrets = files.filter((f) => f.endsWith(SECRETS_EXT)).flatMap((f) => lines(join(dir, f)).map((line) => JSON.parse(line) as SecretRecord));
  const patterns = tokenPatterns(secrets);
  // A test file's apps are its own (their databases, their logs): only its secrets can reach them.
  const keptIn = new Map<string, SecretRecord[]>();
  for (const secret of secrets) {
    const kept = keptIn.get(secret.file);
    if (kept) kept.push(secret);
    else keptIn.set(secret.file, [secret]);
  }
  const searches = new Map([...keptIn].map(([testFile, kept]) => [testFile, new Search(kept, patterns)]));
  const shapesOnly = new Search([], patterns);
  const testFiles = new Set<string>();
  const hits = new Set<string>();
  let records = 0;
  let bytes = 0;
  for (const name of files.filter((f) => f.endsWith(CAPTURE_EXT))) {
    let testFile = '?';
    for (const line of lines(join(dir, name))) {
      if (line.startsWith(FILE_MARK)) {
        testFile = line.slice(FILE_MARK.length);
        testFiles.add(testFile);
        continue;
      }
      records += 1;
      bytes += line.length;
      const where = line.slice(0, line.indexOf('\t'));
      for (const finding of (searches.get(testFile) ?? shapesOnly).in(line)) hits.add(`${testFile}, ${where}: ${finding}`);
    }
  }
  if (hits.size === 0) {
    console.log(`secret capture (${projectName}): ${records} records (${(bytes / 1e6).toFixed(1)} MB) of ${testFiles.size} test files hold none of ${secrets.length} secrets and nothing token-shaped`);
    rmSync(dir, { recursive: true, force: true });
    return;
  }
  const shown = [...hits].slice(0, 40);
  const more = hits.size > shown.length ? `\n  … and ${hits.size - shown.length} more` : '';
  // A teardown's error is printed but does not fail the run by itself.
  process.exitCode = 1;
  throw new Error(`secret capture (${projectName}): ${hits.size} hits of secrets in what Keyward wrote down (the capture is kept in ${dir}):\n  ${shown.join('\n  ')}${more}`);
}

function lines(path: string): string[] {
  return readFileSync(path, 'utf8').split('\n').filter((line) => line.length > 0);
}

/** Enough of a secret to name it in a report, and no more. */
function shortened(value: string): string {
  const word = WORD_PREFIX.exec(value);
  return `${value.slice(0, (word?.[0].length ?? 0) + 4)}…`;
}

/** `kw_`, `kwv_`, `whsec_`: the part of a secret that says what it is, not the secret. */
const WORD_PREFIX = /^[a-z][a-z0-9]{1,15}_/;
const WEBHOOK_SECRET = /whsec_[A-Za-z0-9+/]{32}/g;
const JWT = /eyJ[\w-]+\.eyJ[\w-]+\.[\w-]{20,}/g;

type TokenPattern = { what: string; pattern: RegExp };

/** The published pattern of every prefix the run's keys had (tests choose their own), and the other secrets' shapes. */
function tokenPatterns(secrets: SecretRecord[]): TokenPattern[] {
  const prefixes = new Set<string>();
  for (const { value } of secrets) {
    const prefix = value.slice(0, Math.max(value.indexOf('_'), 0));
    if (isValidPrefix(prefix) && isApiKey(value, prefix)) prefixes.add(prefix);
  }
  return [
    ...[...prefixes].map((prefix) => ({ what: `${prefix}_ key`, pattern: apiKeyPattern(prefix) })),
    { what: 'webhook secret', pattern: WEBHOOK_SECRET },
    { what: 'JWT', pattern: JWT },
  ];
}

/** The characters of a secret searched for: at most this many, from where its random part begins. */
const NEEDLE_LENGTH = 24;
/** The window of the rolling hash: no needle is shorter (passwords are kept from 8 characters). */
const WINDOW = 8;
const BASE = 31;
/** What the character leaving the window weighs: BASE^(WINDOW-1), exact as a double, taken modulo 2^32. */
const DROP = BASE ** (WINDOW - 1) | 0;

/**
 * Tens of thousands of secrets against tens of megabytes of records: one pass over each line with
 * a rolling hash of its last WINDOW characters, looked up among the hashes of the needles' first
 * WINDOW characters, instead of one search per secret.
 */
class Search {
  private readonly byHash = new Map<number, { needle: string; record: SecretRecord }[]>();

  constructor(
    secrets: SecretRecord[],
    private readonly patterns: TokenPattern[],
  ) {
    for (const record of secrets) {
      const needle = needleOf(record.value);
      const hash = windowHash(needle);
      const sharing = this.byHash.get(hash);
      if (sharing) sharing.push({ needle, record });
      else this.byHash.set(hash, [{ needle, record }]);
    }
  }

  /** What of the secrets, and of anything shaped like one, the text holds. */
  *in(text: string): Generator<string> {
    let hash = 0;
    for (let i = 0; i < text.length; i++) {
      if (i >= WINDOW) hash = (hash - Math.imul(text.charCodeAt(i - WINDOW), DROP)) | 0;
      hash = (Math.imul(hash, BASE) + text.charCodeAt(i)) | 0;
      const candidates = i >= WINDOW - 1 ? this.byHash.get(hash) : undefined;
      for (const { needle, record } of candidates ?? []) {
        if (text.startsWith(needle, i - WINDOW + 1)) yield `${record.kind} ${shortened(record.value)} (kept in ${record.file})`;
      }
    }
    for (const { what, pattern } of this.patterns) for (const [match] of text.matchAll(pattern)) yield `something shaped like a ${what}, ${shortened(match)}`;
  }
}

/**
 * The part of a secret whose presence is a leak: a JWT's signature, a key's random part without
 * its prefix (a log that strips the prefix leaks it all the same), else the secret's start.
 */
function needleOf(secret: string): string {
  if (looksLikeJwt(secret)) return secret.slice(secret.lastIndexOf('.') + 1).slice(0, NEEDLE_LENGTH);
  const word = WORD_PREFIX.exec(secret);
  const random = word ? secret.slice(word[0].length) : secret;
  return (random.length >= 16 ? random : secret).slice(0, NEEDLE_LENGTH);
}

/** The rolling hash of a needle's first WINDOW characters, as `Search.in` computes it. */
function windowHash(needle: string): number {
  let hash = 0;
  for (let i = 0; i < WINDOW; i++) hash = (Math.imul(hash, BASE) + needle.charCodeAt(i)) | 0;
  return hash;
}
