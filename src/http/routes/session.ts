import { Type } from 'typebox';
import { clearSessionCookies, requestMeta, SESSION_COOKIE, setSessionCookies } from '../auth.js';
import { signIn, signOut } from '../../services/sessions.js';
import { userView } from '../schemas/user.js';
import type { RoutePlugin } from './index.js';

const SignInBody = Type.Object(
  {
    email: Type.String({ minLength: 3, maxLength: 254 }),
    password: Type.String({ minLength: 1, maxLength: 1024 }),
  },
  { additionalProperties: false },
);

const session: RoutePlugin = async (app, { ctx }) => {
  app.post(
    '/session',
    {
      schema: {
        tags: ['session'],
        summary: 'Sign in with email and password',
        description: 'Sets an HttpOnly session cookie and a kw_csrf cookie whose value state-changing requests send as X-CSRF-Token.',
        body: SignInBody,
        response: { 200: Type.Ref('User'), 400: Type.Ref('Problem'), 401: Type.Ref('Problem'), 429: Type.Ref('Problem') },
      },
    },
    async (request, reply) => {
      const signedIn = await signIn(ctx, request.body, requestMeta(request));
      setSessionCookies(ctx, reply, signedIn);
      return userView(signedIn.user);
    },
  );

  app.delete(
    '/session',
    {
      config: { auth: 'caller' },
      schema: {
        tags: ['session'],
        summary: 'Sign out',
        security: [{ sessionCookie: [] }],
        response: { 204: Type.Null(), 401: Type.Ref('Problem'), 403: Type.Ref('Problem') },
      },
    },
    async (request, reply) => {
      const secret = request.cookies[SESSION_COOKIE];
      if (secret) await signOut(ctx, secret);
      clearSessionCookies(reply);
      return reply.status(204).send(null);
    },
  );
};

export default session;
