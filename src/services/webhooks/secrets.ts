import { seal, sealingKey, unseal } from '../../core/sealing.js';

/**
 * Webhook signing secrets, unlike token secrets, must be recoverable: the server signs every
 * delivery with them. They are sealed with a key derived from the pepper (which never enters the
 * database), like the JWT signing keys, and bound to their webhook's id, so a sealed secret
 * copied onto another row does not open.
 */
const PURPOSE = 'webhook-secrets';

export function webhookSealingKey(pepper: Buffer): Buffer {
  return sealingKey(pepper, PURPOSE);
}

export function sealWebhookSecret(key: Buffer, webhookId: string, secret: string): string {
  return seal(key, secret, `${PURPOSE}:${webhookId}`);
}

export function openWebhookSecret(key: Buffer, webhookId: string, sealed: string): string {
  return unseal(key, sealed, `${PURPOSE}:${webhookId}`);
}
