import { CliError } from './output.js';

/** A thin client for the management API, authenticated by a Keyward token (KEYWARD_TOKEN). */
export class ApiClient {
  constructor(
    private readonly baseUrl: string,
    private readonly token: string,
  ) {}

  static fromOptions(options: { url?: string }): ApiClient {
    const url = options.url ?? process.env.KEYWARD_URL ?? 'http://127.0.0.1:8080';
    const token = process.env.KEYWARD_TOKEN;
    if (!token) throw new CliError('Set KEYWARD_TOKEN to a token with keyward:tokens:* scopes.', 2);
    return new ApiClient(url.replace(/\/+$/, ''), token);
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
