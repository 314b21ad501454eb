import type { Page } from 'playwright-core';

/** A signed-in client of the management API, the way the portal itself calls it: for seeding data. */
export type ApiClient = <T>(method: string, path: string, body?: unknown) => Promise<T>;

/** Signs in over `POST /api/v1/session` and returns a client that sends the cookies and the CSRF header. */
export async function apiSession(baseUrl: string, email: string, password: string): Promise<ApiClient> {
  const signIn = await fetch(`${baseUrl}/api/v1/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  if (signIn.status !== 200) throw new Error(`signing in as ${email}: ${signIn.status} ${await signIn.text()}`);
  const cookies = signIn.headers.getSetCookie().map((c) => c.split(';')[0] as string);
  const csrf = cookies.find((c) => c.startsWith('kw_csrf='))?.slice('kw_csrf='.length) ?? '';
  return async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${baseUrl}/api/v1${path}`, {
      method,
      headers: { cookie: cookies.join('; '), 'x-csrf-token': csrf, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
    return (response.status === 204 ? undefined : await response.json()) as T;
  };
}

/** Signs in through the portal's form and waits for the first page (My tokens). */
export async function signInPage(page: Page, baseUrl: string, who: { email: string; password: string }): Promise<void> {
  await page.goto(baseUrl);
  await page.getByLabel('Email').fill(who.email);
  await page.getByLabel('Password').fill(who.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'My tokens' }).waitFor();
}
