import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../config.js';
import { closeContext, createContext } from '../runtime.js';
import type { ServiceContext } from '../services/context.js';
import { CliError } from './output.js';

/**
 * Operator tasks work on the data directory (or database) directly, with the same services the
 * server uses, and close it again so the command exits. `existing`: the task only reads a
 * deployment, so a missing one is an error rather than a fresh data directory with new keys.
 */
export async function withContext<T>(task: (ctx: ServiceContext) => Promise<T>, options: { existing?: boolean } = {}): Promise<T> {
  const config = loadConfig();
  if (options.existing && config.databaseUrl === null && !existsSync(join(config.dataDir, 'keyward.db'))) {
    throw new CliError(`There is no Keyward deployment in ${config.dataDir}; set KEYWARD_DATA_DIR to its data directory.`);
  }
  const ctx = await createContext(config);
  try {
    return await task(ctx);
  } finally {
    await closeContext(ctx);
  }
}

/** Reads a password from stdin (one line), so it never appears in argv or shell history. */
export async function readStdinLine(): Promise<string> {
  let data = '';
  for await (const chunk of process.stdin) {
    data += String(chunk);
    if (data.includes('\n')) break;
  }
  return data.split('\n')[0]!.replace(/\r$/, '');
}
