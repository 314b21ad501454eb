import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { CliError } from './output.js';

/**
 * A repository's history as `keyward scan --git` reads it: every line any commit reachable from any
 * ref added, with the commit, the file and the line number in that commit's version of the file.
 * `git log --all -p` streamed and parsed, so nothing is held in memory but the current line.
 */

/** One line a commit added. */
export type AddedLine = { commit: string; path: string; line: number; text: string };

/** Settings that would change what `git log -p` prints, pinned whatever the user's configuration says. */
const PINNED_CONFIG = ['-c', 'core.quotePath=false', '-c', 'log.showSignature=false', '-c', 'diff.noprefix=false', '-c', 'color.ui=never'];

function git(cwd: string, args: string[]): { ok: boolean; stdout: string; stderr: string } {
  const run = spawnSync('git', ['-C', cwd, ...args], { encoding: 'utf8' });
  if (run.error) throw new CliError(`cannot run git: ${run.error.message}`);
  return { ok: run.status === 0, stdout: run.stdout.trim(), stderr: run.stderr.trim() };
}

/** The top directory of the working tree that holds `dir`; a usage error when it is in none. */
export function repositoryRoot(dir: string): string {
  const root = git(dir, ['rev-parse', '--show-toplevel']);
  if (!root.ok || root.stdout === '') throw new CliError(`--git: ${dir} is not inside a git repository.`, 2);
  return root.stdout;
}

/** Every line added by every commit reachable from any ref of the repository at `root`, newest commit first. */
export async function* addedLines(root: string): AsyncGenerator<AddedLine> {
  const child = spawn(
    'git',
    [...PINNED_CONFIG, '-C', root, 'log', '--all', '-p', '-M', '-U0', '--no-color', '--no-ext-diff', '--no-textconv', '--no-prefix', '--format=commit %H'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const exited = new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve(code));
  });
  try {
    yield* parseLog(createInterface({ input: child.stdout, crlfDelay: Infinity }));
  } finally {
    if (child.exitCode === null) child.kill();
  }
  const code = await exited.catch((error: Error) => {
    throw new CliError(`cannot run git: ${error.message}`);
  });
  if (code !== 0) throw new CliError(`git log failed in ${root}: ${stderr.trim() || `exit code ${code}`}`);
}

/**
 * The added lines of `git log -p -U0 --no-prefix --format='commit %H'` output. Inside a hunk the
 * line counts of its header say where it ends, so an added line that happens to read like a
 * header (`+++ x`, `commit …`) is never taken for one.
 */
export async function* parseLog(lines: AsyncIterable<string>): AsyncGenerator<AddedLine> {
  let commit = '';
  let path: string | null = null;
  let oldLeft = 0;
  let newLeft = 0;
  let newLine = 0;
  for await (const line of lines) {
    if (oldLeft > 0 || newLeft > 0) {
      const marker = line[0];
      if (marker === '+') {
        if (path !== null) yield { commit, path, line: newLine, text: line.slice(1) };
        newLine += 1;
        newLeft -= 1;
        continue;
      }
      if (marker === '-') {
        oldLeft -= 1;
        continue;
      }
      if (marker === ' ') {
        newLine += 1;
        newLeft -= 1;
        oldLeft -= 1;
        continue;
      }
      if (marker === '\\') continue;
      // Anything else ends the hunk early (it should not happen); read it as a header.
      oldLeft = 0;
      newLeft = 0;
    }
    if (line.startsWith('commit ')) {
      commit = line.slice('commit '.length).trim();
      path = null;
    } else if (line.startsWith('diff ')) {
      path = null;
    } else if (line.startsWith('+++ ')) {
      path = diffPath(line.slice(4));
    } else {
      const hunk = parseHunkHeader(line);
      if (hunk) {
        ({ oldLines: oldLeft, newLines: newLeft, newStart: newLine } = hunk);
      }
    }
  }
}

/** The new-side path of a `+++ ` header: null for a deleted file. Git adds a tab after names with a space. */
function diffPath(raw: string): string | null {
  const name = raw.endsWith('\t') ? raw.slice(0, -1) : raw;
  return name === '/dev/null' ? null : unquoteGitPath(name);
}

/** A unified diff hunk header, `@@ -a[,b] +c[,d] @@`: where the new side starts and each side's line count. */
export function parseHunkHeader(line: string): { oldLines: number; newStart: number; newLines: number } | null {
  const header = /^@@ -\d+(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/.exec(line);
  if (!header) return null;
  return {
    oldLines: header[1] === undefined ? 1 : Number(header[1]),
    newStart: Number(header[2]),
    newLines: header[3] === undefined ? 1 : Number(header[3]),
  };
}

const C_ESCAPES: Record<string, number> = { a: 7, b: 8, t: 9, n: 10, v: 11, f: 12, r: 13, '"': 34, '\\': 92 };

/** A path as git prints it: as is, or C-quoted (`"na\"me"`, octal escapes for the bytes of other characters). */
export function unquoteGitPath(path: string): string {
  if (path.length < 2 || !path.startsWith('"') || !path.endsWith('"')) return path;
  const body = path.slice(1, -1);
  const bytes: number[] = [];
  for (let i = 0; i < body.length; i++) {
    if (body[i] !== '\\') {
      const char = String.fromCodePoint(body.codePointAt(i)!);
      bytes.push(...Buffer.from(char, 'utf8'));
      i += char.length - 1;
      continue;
    }
    const octal = /^[0-7]{3}/.exec(body.slice(i + 1));
    if (octal) {
      bytes.push(parseInt(octal[0], 8));
      i += 3;
    } else {
      const next = body[i + 1] ?? '\\';
      bytes.push(C_ESCAPES[next] ?? next.charCodeAt(0));
      i += 1;
    }
  }
  return Buffer.from(bytes).toString('utf8');
}
