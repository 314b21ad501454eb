import { randomBytes } from 'node:crypto';

/**
 * A webhook signing secret in the Standard Webhooks form, `whsec_<base64 key>`, which every
 * Standard Webhooks library takes as it is. 24 random bytes (192 bits) make 32 base64 characters
 * without padding.
 */
export const WEBHOOK_SECRET_PREFIX = 'whsec_';

export function generateWebhookSecret(): string {
  return `${WEBHOOK_SECRET_PREFIX}${randomBytes(24).toString('base64')}`;
}
