import { Type, type Static } from 'typebox';
import { ACTOR_TYPES } from '../core/model.js';
import { DESCRIPTION_MAX } from '../core/names.js';
import { DELIVERY_STATUSES, WEBHOOK_EVENTS } from '../core/webhooks.js';
import { Id, Nullable, NullableString, NullableTimestamp, OrgParams, PageQuery, Ref, StringEnum, Timestamp } from './kit.js';
import { TokenSchema } from './tokens.js';

/** The longest webhook URL accepted (what browsers and proxies reliably carry). */
export const WEBHOOK_URL_MAX = 2048;

const Events = Type.Array(StringEnum(WEBHOOK_EVENTS), { minItems: 1, maxItems: WEBHOOK_EVENTS.length, uniqueItems: true });

/** A webhook endpoint of an org (DESIGN §1 "Webhooks"): never its secret, which is shown once. */
export const WebhookSchema = Type.Object(
  {
    id: Type.String({ description: 'whk_…' }),
    org_id: Type.String(),
    url: Type.String(),
    events: Type.Unsafe<Static<typeof Events> | null>({ ...Events, type: ['array', 'null'], description: 'The events it receives; null: every event.' }),
    description: NullableString,
    created_at: Timestamp,
  },
  { $id: 'Webhook' },
);

/** The only webhook response that carries the signing secret: the create response. */
export const WebhookWithSecretSchema = Type.Object({
  webhook: Ref(WebhookSchema),
  secret: Type.String({ description: 'whsec_…, the Standard Webhooks signing secret: shown in this response only.' }),
});

export const CreateWebhookBody = Type.Object(
  {
    url: Type.String({ minLength: 1, maxLength: WEBHOOK_URL_MAX, description: 'An http or https URL of a public address.' }),
    events: Type.Optional({ ...Events, description: 'The events to receive; left out: every event.' }),
    description: Type.Optional(Nullable(Type.String({ maxLength: DESCRIPTION_MAX }))),
  },
  { additionalProperties: false },
);

export const WebhookParams = Type.Object({ ...OrgParams.properties, id: Id('whk_…') });

/** One attempt to deliver one event to one endpoint, as the delivery log shows it. */
export const WebhookDeliverySchema = Type.Object({
  id: Type.String({ description: 'dlv_…' }),
  webhook_id: Type.String(),
  event_id: Type.String({ description: 'evt_…, the webhook-id header: the same on every attempt of the event.' }),
  type: StringEnum(WEBHOOK_EVENTS),
  attempt: Type.Integer({ minimum: 1, description: 'The attempt number, from 1.' }),
  status: StringEnum(DELIVERY_STATUSES, { description: 'pending while the request is under way.' }),
  response_status: Nullable(Type.Integer({ description: 'The HTTP status the endpoint answered, if it answered.' })),
  error: Nullable(Type.String({ description: 'Why the attempt failed without an answer (timeout, refused connection, …).' })),
  created_at: Timestamp,
  finished_at: NullableTimestamp,
  next_attempt_at: Type.Unsafe<string | null>({ ...NullableTimestamp, description: 'When the event is tried again after this failed attempt; null if not.' }),
});

export const WebhookDeliveriesQuery = Type.Object(PageQuery);

/** Who caused the event: a person, a service account, a token, or Keyward itself (`system`). */
export const WebhookActorSchema = Type.Object({
  type: StringEnum(ACTOR_TYPES),
  id: NullableString,
  impersonator: Type.Union([Type.Object({ id: Type.String() }), Type.Null()]),
});

/**
 * The body of every delivery, the Standard Webhooks shape: the event type, when it happened and
 * the token as the API shows it. Never a secret.
 */
export const WebhookPayloadSchema = Type.Object({
  type: StringEnum(WEBHOOK_EVENTS),
  timestamp: Timestamp,
  data: Type.Object({ token: Ref(TokenSchema), actor: WebhookActorSchema }),
});

export type WebhookView = Static<typeof WebhookSchema>;
export type WebhookWithSecret = Static<typeof WebhookWithSecretSchema>;
export type CreateWebhookRequest = Static<typeof CreateWebhookBody>;
export type WebhookDeliveryView = Static<typeof WebhookDeliverySchema>;
export type WebhookPayload = Static<typeof WebhookPayloadSchema>;
