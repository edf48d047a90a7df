import type { ClerkSync } from '../clerk-sync.js';
import type { WebhookReceiver } from '../receiver/receiver.js';
import { errorResponse, type ReceiverResponse } from '../receiver/response.js';

/**
 * What every adapter takes: a ClerkSync, or a promise of one (a lazily created instance; requests
 * wait for it).
 */
export type ClerkSyncSource = Pick<ClerkSync, 'receiver'> | PromiseLike<Pick<ClerkSync, 'receiver'>>;

/** The receiver of a source, or the 500 answer to send when the instance could not be created. */
export async function receiverOf(source: ClerkSyncSource): Promise<WebhookReceiver | ReceiverResponse> {
  try {
    return (await source).receiver;
  } catch (error) {
    return notReady(error);
  }
}

export function notReady(error: unknown): ReceiverResponse {
  const detail = error instanceof Error && error.name === 'ConfigError' ? error.message : 'see the server log';
  return errorResponse(500, 'not_ready', `clerk-sync could not start, so the event was not accepted (Svix will retry it): ${detail}`);
}

/** The raw body was consumed by a body parser before the adapter ran: say which fix applies. */
export function bodyAlreadyParsed(fix: string): ReceiverResponse {
  return errorResponse(
    500,
    'body_already_parsed',
    `the request body was read and parsed before clerk-sync could verify its raw bytes, so the event was not accepted (Svix will retry it). ${fix}`,
  );
}

export const INTERNAL_ERROR = errorResponse(500, 'internal_error', 'unexpected error; see the server log');
