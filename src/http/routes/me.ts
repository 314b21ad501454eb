import { Type } from 'typebox';
import { PERMISSIONS } from '../../core/permissions.js';
import { describeCaller } from '../../services/me.js';
import { toTokenView } from '../../services/token-view.js';
import { managementSecurity } from '../schemas/common.js';
import { userView } from '../schemas/user.js';
import type { RoutePlugin } from './index.js';

const MeSchema = Type.Object({
  user: Type.Ref('User'),
  token: Type.Union([Type.Ref('Token'), Type.Null()]),
  orgs: Type.Array(
    Type.Object({
      id: Type.String(),
      name: Type.String(),
      slug: Type.String(),
      role: Type.String({ description: 'A built-in role name or a custom role id.' }),
      permissions: Type.Array(Type.Union(PERMISSIONS.map((p) => Type.Literal(p)))),
    }),
  ),
});

const me: RoutePlugin = async (app, { ctx }) => {
  app.get(
    '/me',
    {
      config: { auth: 'caller' },
      schema: {
        tags: ['session'],
        summary: 'Who am I: the user, the token used (if any), my orgs and permissions',
        security: managementSecurity,
        response: { 200: MeSchema, 400: Type.Ref('Problem'), 401: Type.Ref('Problem') },
      },
    },
    async (request) => {
      const described = await describeCaller(ctx, request.caller);
      const now = ctx.clock.now();
      return {
        user: userView(described.user),
        token: described.token
          ? toTokenView(described.token, {
              nowMs: now,
              warningWindowDays: described.warningWindowDays,
              ownerType: request.caller.user.type,
              pendingUsage: ctx.usage.peek(described.token.id),
            })
          : null,
        orgs: described.orgs,
      };
    },
  );
};

export default me;
