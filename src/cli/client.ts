import { loadLogin, normalizeUrl } from './login.js';
import { CliError } from './output.js';

/** A thin client for the management API, authenticated by a Keyward token (KEYWARD_TOKEN, or `keyward login`'s). */
export class ApiClient {
  constructor(
    private readonly baseUrl: string,
    private readonly token: string,
  ) {}

  /**
   * KEYWARD_TOKEN wins; otherwise the stored login, and only for the server it was stored for: a
   * token is never sent to another URL than the one it was given for.
   */
  static fromOptions(options: { url?: string }): ApiClient {
    const asked = options.url || process.env.KEYWARD_URL || undefined;
    const token = process.env.KEYWARD_TOKEN;
    if (token) return new ApiClient(normalizeUrl(asked ?? 'http://127.0.0.1:8080'), token);
    const login = loadLogin();
    if (login && (asked === undefined || normalizeUrl(asked) === login.url)) return new ApiClient(login.url, login.token);
    const other = login ? ` (the stored login is for ${login.url})` : '';
    throw new CliError(`Run keyward login --url <server>, or set KEYWARD_TOKEN to a token with keyward:tokens:* scopes${other}.`, 2);
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    let response: Response;
    try {
      response = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${this.token}`,
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (error) {
      throw new CliError(`Cannot reach Keyward at ${this.baseUrl}: ${(error as Error).message}`);
    }
    const text = await response.text();
    const parsed: unknown = text ? safeJson(text) : null;
    if (!response.ok) {
      const problem = parsed as { code?: string; detail?: string } | null;
      throw new CliError(`${response.status} ${problem?.code ?? 'error'}: ${problem?.detail ?? text.slice(0, 200)}`);
    }
    return parsed as T;
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
