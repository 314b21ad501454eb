import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

/** What `keyward login` stores: the server and a token for it, in a file only its owner can read. */
export type StoredLogin = { url: string; token: string };

/** `$XDG_CONFIG_HOME/keyward/login.json` (default `~/.config`). */
export function loginFile(): string {
  return join(process.env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'keyward', 'login.json');
}

export function saveLogin(login: StoredLogin): string {
  const file = loginFile();
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, `${JSON.stringify(login)}\n`, { mode: 0o600 });
  // A file that existed keeps its old mode through writeFileSync: narrowed either way.
  chmodSync(file, 0o600);
  return file;
}

export function loadLogin(): StoredLogin | null {
  const file = loginFile();
  if (!existsSync(file)) return null;
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<StoredLogin>;
  return typeof parsed.url === 'string' && typeof parsed.token === 'string' ? { url: parsed.url, token: parsed.token } : null;
}

export function removeLogin(): boolean {
  const file = loginFile();
  if (!existsSync(file)) return false;
  rmSync(file);
  return true;
}

/** The URL as stored and compared: no trailing slash. */
export function normalizeUrl(url: string): string {
  return url.replace(/\/+$/, '');
}
