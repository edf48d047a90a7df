import { randomUUID } from 'node:crypto';
import { svixSignature } from './hmac.js';
import { parseSecrets } from './secret.js';
import type { WebhookPayload } from './types.js';

export interface SignedWebhook {
  id: string;
  timestamp: number;
  /** `v1,<base64>`; one space-separated entry per secret when several are given (rotation). */
  signature: string;
  headers: { 'svix-id': string; 'svix-timestamp': string; 'svix-signature': string };
}

/** Signs a payload the way Svix does, for tests and local replays. */
export function signWebhook(
  payload: WebhookPayload,
  secret: string,
  options: { id?: string; timestamp?: number } = {},
): SignedWebhook {
  const id = options.id ?? `msg_${randomUUID().replaceAll('-', '')}`;
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) {
    throw new RangeError(`timestamp must be Unix seconds as a non-negative integer, got ${timestamp}`);
  }
  const signature = parseSecrets(secret)
    .map((key) => `v1,${svixSignature(key, id, timestamp, payload)}`)
    .join(' ');
  return {
    id,
    timestamp,
    signature,
    headers: { 'svix-id': id, 'svix-timestamp': String(timestamp), 'svix-signature': signature },
  };
}
