import { loadConfig } from '../config.js';
import { closeContext, createContext } from '../runtime.js';
import type { ServiceContext } from '../services/context.js';

/**
 * Operator tasks work on the data directory (or database) directly, with the same services the
 * server uses, and close it again so the command exits.
 */
export async function withContext<T>(task: (ctx: ServiceContext) => Promise<T>): Promise<T> {
  const ctx = await createContext(loadConfig());
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
