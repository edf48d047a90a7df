import { isKnownEventType } from './catalog.js';
import type { ClerkWebhookEvent, UnknownClerkEvent } from './catalog.js';

export type ParsedEvent = { known: true; event: ClerkWebhookEvent } | { known: false; event: UnknownClerkEvent };

export type EventParseErrorCode = 'invalid_json' | 'invalid_event';

export class EventParseError extends Error {
  override readonly name = 'EventParseError';

  constructor(
    readonly code: EventParseErrorCode,
    message: string,
  ) {
    super(message);
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const REWRITTEN = 'Clerk always sends a JSON object; check that nothing between Clerk and this endpoint rewrote the body';

function kind(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return 'an array';
  return /^[aeiou]/.test(typeof value) ? `an ${typeof value}` : `a ${typeof value}`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Parses a webhook body leniently: only `type` (string) and `data` (object) are checked, every other field
 * is kept as sent. Throws EventParseError, and nothing else, for any input.
 */
export function parseEvent(body: string | Uint8Array): ParsedEvent {
  let text: string;
  if (typeof body === 'string') {
    text = body;
  } else if (ArrayBuffer.isView(body)) {
    try {
      text = utf8.decode(body);
    } catch {
      throw new EventParseError('invalid_json', `body is not valid UTF-8 — ${REWRITTEN}`);
    }
  } else {
    throw new EventParseError('invalid_json', `body is ${kind(body)}, not a string or bytes — pass the raw request body`);
  }

  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    // SyntaxError, or RangeError where an engine's parser runs out of stack or memory (Node 20's does not).
    const message = err instanceof Error ? err.message : String(err);
    const why = err instanceof RangeError ? `it is too deeply nested or too large to parse (${message})` : message;
    throw new EventParseError('invalid_json', `body is not valid JSON: ${why} — ${REWRITTEN}`);
  }

  if (!isObject(value)) throw new EventParseError('invalid_event', `event is ${kind(value)}, not a JSON object — ${REWRITTEN}`);
  if (typeof value.type !== 'string') {
    const got = 'type' in value ? ` (it is ${kind(value.type)})` : '';
    throw new EventParseError('invalid_event', `event has no string \`type\`${got}`);
  }
  if (value.type.trim() === '') {
    throw new EventParseError('invalid_event', 'event `type` is empty');
  }
  if (!isObject(value.data)) {
    const got = 'data' in value ? `it is ${kind(value.data)}` : 'it is missing';
    throw new EventParseError('invalid_event', `event has no \`data\` object (${got})`);
  }

  return isKnownEventType(value.type)
    ? { known: true, event: value as unknown as ClerkWebhookEvent }
    : { known: false, event: value as UnknownClerkEvent };
}
