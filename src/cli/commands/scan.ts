import { open, readdir, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../../config.js';
import { MAX_LEAK_CANDIDATES, type LeakCandidate, type LeakReceipt } from '../../contract/index.js';
import { isValidPrefix, secretHint } from '../../core/token-format.js';
import { BINARY_SNIFF_BYTES, findApiKeys, looksBinary } from '../../core/token-scan.js';
import { addedLines, repositoryRoot } from '../git-history.js';
import { normalizeUrl } from '../login.js';
import { CliError, out } from '../output.js';

/** Directories never walked into: git's internals (history is `--git`'s business) and installed packages. */
const SKIPPED_DIRECTORIES = new Set(['.git', 'node_modules']);

/** Files larger than this are skipped (bundles, dumps, data), and said so. */
export const MAX_FILE_BYTES = 5 * 1024 * 1024;

/** What a report says found the tokens, and what it took them for. */
const REPORT_SOURCE = 'keyward-scan';
const REPORT_TYPE = 'keyward_api_key';

/** One token found: where (as printed), where for a report (absolute, for the server's admins), and the token. */
type Finding = { location: string; reportUrl: string; token: string };

type ScanOptions = { git?: boolean; showSecrets?: boolean; report?: string; prefix?: string };

type Tally = { files: number; skippedLarge: number; skippedBinary: number; unreadable: number };

/**
 * `keyward scan PATH…`: finds this deployment's API keys (valid checksum) in files, and with
 * `--git` in every commit of the repository. Prints `file:line: hint` (the whole token only with
 * `--show-secrets`) on stdout, one line per finding; exits 1 when it found any.
 */
export function registerScanCommand(program: Command): void {
  program
    .command('scan')
    .description('find Keyward API keys in files and directories (exit 1 when any is found); .git and node_modules are skipped')
    .argument('<paths...>', 'files and directories to scan')
    .option('--git', "scan the history of the paths' git repositories too: every commit reachable from any ref")
    .option('--show-secrets', 'print each whole token instead of its hint')
    .option('--report <url>', 'send the findings to the leaks endpoint of the Keyward server at this URL, which revokes them')
    .option('--prefix <prefix>', 'the token prefix to look for (default $KEYWARD_TOKEN_PREFIX or the configuration, else kw)')
    .action(async (paths: string[], options: ScanOptions) => {
      const prefix = options.prefix ?? loadConfig().tokenPrefix;
      if (!isValidPrefix(prefix)) throw new CliError(`--prefix: "${prefix}" is not a token prefix (1-16 lowercase letters or digits, starting with a letter).`, 2);
      const reportTo = options.report === undefined ? null : reportUrl(options.report);
      const roots = await Promise.all(paths.map(existing));
      // Usage errors before any output: every path's repository is known before the scan starts.
      const repositories = options.git ? new Set(roots.map((root) => repositoryRoot(root.isDirectory ? root.path : dirname(resolve(root.path))))) : new Set<string>();

      const findings: Finding[] = [];
      const found = (finding: Finding) => {
        findings.push(finding);
        out.result(`${finding.location}: ${options.showSecrets ? finding.token : secretHint(finding.token)}`);
      };
      const tally: Tally = { files: 0, skippedLarge: 0, skippedBinary: 0, unreadable: 0 };
      for (const root of roots) await scanPath(root.path, root.isDirectory, prefix, tally, found);
      for (const repository of repositories) await scanHistory(repository, prefix, found);

      out.info(summary(findings.length, tally, options.git === true));
      if (reportTo !== null && findings.length > 0) {
        const received = await report(reportTo, findings);
        out.info(`Reported ${findings.length} finding${findings.length === 1 ? '' : 's'} to ${reportTo}; it received ${received}.`);
      }
      if (findings.length > 0) process.exitCode = 1;
    });
}

/** A path given on the command line, which must exist (a usage error otherwise); followed if it is a link. */
async function existing(path: string): Promise<{ path: string; isDirectory: boolean }> {
  try {
    return { path, isDirectory: (await stat(path)).isDirectory() };
  } catch {
    throw new CliError(`${path}: no such file or directory.`, 2);
  }
}

function reportUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new CliError(`--report: "${value}" is not a URL; give the Keyward server's address, e.g. https://keyward.example.com.`, 2);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new CliError('--report: the URL must be http:// or https://.', 2);
  return normalizeUrl(value);
}

/** A file, or a directory walked in name order; links met on the way are not followed (no loops, nothing outside). */
async function scanPath(path: string, isDirectory: boolean, prefix: string, tally: Tally, found: (finding: Finding) => void): Promise<void> {
  if (!isDirectory) return scanFile(path, prefix, tally, found);
  let entries;
  try {
    entries = await readdir(path, { withFileTypes: true });
  } catch (error) {
    tally.unreadable += 1;
    out.info(`keyward scan: cannot read ${path}: ${(error as Error).message}`);
    return;
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const child = join(path, entry.name);
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRECTORIES.has(entry.name)) await scanPath(child, true, prefix, tally, found);
    } else if (entry.isFile()) {
      await scanFile(child, prefix, tally, found);
    }
  }
}

async function scanFile(path: string, prefix: string, tally: Tally, found: (finding: Finding) => void): Promise<void> {
  let text: string;
  try {
    const file = await open(path, 'r');
    try {
      const { size } = await file.stat();
      if (size > MAX_FILE_BYTES) {
        tally.skippedLarge += 1;
        return;
      }
      const bytes = await file.readFile();
      if (looksBinary(bytes.subarray(0, BINARY_SNIFF_BYTES))) {
        tally.skippedBinary += 1;
        return;
      }
      text = bytes.toString('utf8');
    } finally {
      await file.close();
    }
  } catch (error) {
    tally.unreadable += 1;
    out.info(`keyward scan: cannot read ${path}: ${(error as Error).message}`);
    return;
  }
  tally.files += 1;
  for (const match of findApiKeys(text, prefix)) {
    found({ location: `${path}:${match.line}`, reportUrl: `${resolve(path)}:${match.line}`, token: match.token });
  }
}

/** Every line any commit added, as `<commit>:<file>:<line>`; a line still in the working tree is found there as well. */
async function scanHistory(repository: string, prefix: string, found: (finding: Finding) => void): Promise<void> {
  const needle = `${prefix}_`;
  for await (const added of addedLines(repository)) {
    if (!added.text.includes(needle)) continue;
    for (const match of findApiKeys(added.text, prefix)) {
      const location = `${added.commit}:${added.path}:${added.line}`;
      found({ location, reportUrl: location, token: match.token });
    }
  }
}

function summary(count: number, tally: Tally, history: boolean): string {
  const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;
  const where = `${plural(tally.files, 'file')}${history ? ' and the git history' : ''}`;
  const skipped = [
    tally.skippedLarge > 0 ? `${plural(tally.skippedLarge, 'file')} over ${MAX_FILE_BYTES / 1024 / 1024} MiB` : null,
    tally.skippedBinary > 0 ? `${plural(tally.skippedBinary, 'binary file')}` : null,
    tally.unreadable > 0 ? `${plural(tally.unreadable, 'unreadable path')}` : null,
  ].filter((s) => s !== null);
  const skippedText = skipped.length > 0 ? ` (skipped ${skipped.join(', ')})` : '';
  return count === 0 ? `No Keyward tokens found in ${where}${skippedText}.` : `Found ${plural(count, 'Keyward token')} in ${where}${skippedText}.`;
}

/** POSTs the findings to `<url>/api/v1/leaks`, at most 1,000 a request; answers how many the server said it received. */
async function report(baseUrl: string, findings: readonly Finding[]): Promise<number> {
  let received = 0;
  for (let start = 0; start < findings.length; start += MAX_LEAK_CANDIDATES) {
    const batch: LeakCandidate[] = findings
      .slice(start, start + MAX_LEAK_CANDIDATES)
      .map((f) => ({ token: f.token, type: REPORT_TYPE, url: f.reportUrl, source: REPORT_SOURCE }));
    let response: Response;
    try {
      response = await fetch(`${baseUrl}/api/v1/leaks`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify(batch),
        signal: AbortSignal.timeout(30_000),
      });
    } catch (error) {
      throw new CliError(`Cannot reach Keyward at ${baseUrl}: ${(error as Error).message}`);
    }
    const text = await response.text();
    if (response.status !== 202) {
      const problem = safeJson(text) as { code?: string; detail?: string } | null;
      throw new CliError(`${baseUrl} refused the report: ${response.status} ${problem?.code ?? 'error'}: ${problem?.detail ?? text.slice(0, 200)}`);
    }
    received += (safeJson(text) as LeakReceipt | null)?.received ?? 0;
  }
  return received;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
