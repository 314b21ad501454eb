import { Ref, SignInBody, UserSchema } from '../../contract/index.js';
import { signIn, signOut } from '../../services/sessions.js';
import { userView } from '../../services/users.js';
import { clearSessionCookies, requestMeta, sessionCookie, setSessionCookies } from '../auth.js';
import { operation } from '../operation.js';
import { noContent, SET_COOKIE, success } from '../responses.js';
import type { RoutePlugin } from '../route-plugin.js';
import { noStore } from './secrets.js';

const session: RoutePlugin = async (app, { ctx }) => {
  app.post(
    '/session',
    operation({
      id: 'signIn',
      tag: 'session',
      summary: 'Sign in with email and password',
      description:
        'Sets an HttpOnly session cookie and a kw_csrf cookie whose value state-changing requests send as X-CSRF-Token (named __Host-kw_session and __Host-kw_csrf behind TLS). ' +
        'A session cookie sent along ends that session. Failed attempts are limited per account and client address; an address that guessed too often gets 429.',
      auth: 'public',
      body: SignInBody,
      responses: { 200: success('Signed in; the cookies are set.', Ref(UserSchema), SET_COOKIE) },
      problems: [401, 429],
    }),
    async (request, reply) => {
      // A cookie the browser still holds names the session this sign-in replaces.
      const signedIn = await signIn(ctx, request.body, requestMeta(request), sessionCookie(ctx, request));
      setSessionCookies(ctx, noStore(reply), signedIn);
      return userView(signedIn.user);
    },
  );

  app.delete(
    '/session',
    operation({
      id: 'signOut',
      tag: 'session',
      summary: 'Sign out',
      security: [{ sessionCookie: [] }],
      responses: { 204: noContent('Signed out; the cookies are cleared.') },
    }),
    async (request, reply) => {
      const secret = sessionCookie(ctx, request);
      if (secret) await signOut(ctx, secret);
      clearSessionCookies(ctx, reply);
      return reply.status(204).send(null);
    },
  );
};

export default session;
