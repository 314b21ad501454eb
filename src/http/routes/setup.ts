import { Type } from 'typebox';
import { completeSetup, setupPending } from '../../services/bootstrap.js';
import { startSession } from '../../services/sessions.js';
import { requestMeta, setSessionCookies } from '../auth.js';
import { NewUserFields } from '../schemas/new-user.js';
import { userView } from '../schemas/user.js';
import type { RoutePlugin } from './index.js';

const SetupBody = Type.Object(
  { token: Type.String({ minLength: 1, maxLength: 128, description: 'The token of the one-time setup link.' }), ...NewUserFields },
  { additionalProperties: false },
);

/** First-run setup: the visitor with the one-time link printed at first start creates the site admin. */
const setup: RoutePlugin = async (app, { ctx }) => {
  app.get(
    '/setup',
    {
      schema: {
        tags: ['setup'],
        summary: 'Whether first-run setup is still open',
        response: { 200: Type.Object({ pending: Type.Boolean() }), 400: Type.Ref('Problem') },
      },
    },
    async () => ({ pending: await setupPending(ctx) }),
  );

  app.post(
    '/setup',
    {
      schema: {
        tags: ['setup'],
        summary: 'Create the first site admin with the one-time setup token, and sign in',
        description: 'An invalid or used token is 403.',
        body: SetupBody,
        response: { 201: Type.Ref('User'), 400: Type.Ref('Problem'), 403: Type.Ref('Problem'), 409: Type.Ref('Problem'), 429: Type.Ref('Problem') },
      },
    },
    async (request, reply) => {
      const meta = requestMeta(request);
      const user = await completeSetup(ctx, request.body, meta);
      setSessionCookies(ctx, reply, await startSession(ctx, user, meta));
      return reply.status(201).send(userView(user));
    },
  );
};

export default setup;
