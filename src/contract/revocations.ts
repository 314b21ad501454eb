import { Type, type Static } from 'typebox';
import { StringEnum } from './kit.js';

/**
 * The revocation feed, `GET /api/v1/revocations/stream` (server-sent events, verifier credential):
 * what a resource server's cache must drop, never a secret. Each SSE `event:` name below carries
 * the JSON `data:` of its schema.
 */

/** How often the feed proves it is alive; a client that hears nothing for a few beats is offline. */
export const FEED_HEARTBEAT_MS = 250;

/** `live`: changes reach this feed; `local`: one process; `degraded`: changes may be lost, trust no cache. */
const FeedState = StringEnum(['local', 'live', 'degraded'] as const);

/** First event of a connection. JWTs verify offline; these must be asked about online instead. */
export const FeedReadySchema = Type.Object({
  heartbeat_ms: Type.Integer(),
  state: FeedState,
  online_jwt_ids: Type.Array(Type.String(), {
    description: 'Unexpired JWTs that were revoked, disabled or rotated: verify them online, not from their signature.',
  }),
});

/** One token stopped (or may have stopped) working as it did: revoked, disabled, rotated, its grace ended. */
export const FeedTokenSchema = Type.Object({
  token_id: Type.String(),
  org_id: Type.String(),
  digest_prefix: Type.String({ description: "The first 16 hex characters of the token's stored digest." }),
});

/** Every token a user owns or created may have lost power (deactivated, removed, role changed). */
export const FeedOwnerSchema = Type.Object({ user_id: Type.String() });

/** Every token of an org may have lost power (plan, features, policy or roles changed). */
export const FeedOrgSchema = Type.Object({ org_id: Type.String() });

export const FeedHeartbeatSchema = Type.Object({ state: FeedState });

export const FEED_EVENTS = ['ready', 'token', 'owner', 'org', 'heartbeat'] as const;

export type FeedState = Static<typeof FeedState>;
export type FeedReady = Static<typeof FeedReadySchema>;
export type FeedToken = Static<typeof FeedTokenSchema>;
export type FeedOwner = Static<typeof FeedOwnerSchema>;
export type FeedOrg = Static<typeof FeedOrgSchema>;
export type FeedHeartbeat = Static<typeof FeedHeartbeatSchema>;

/** One message of the feed: its SSE event name and its data. */
export type FeedMessage =
  | { event: 'ready'; data: FeedReady }
  | { event: 'token'; data: FeedToken }
  | { event: 'owner'; data: FeedOwner }
  | { event: 'org'; data: FeedOrg }
  | { event: 'heartbeat'; data: FeedHeartbeat };
