export type * from './generated/types.js';
export { EVENT_TYPES, isKnownEventType } from './catalog.js';
export type {
  ClerkEventDataMap,
  ClerkEventOf,
  ClerkEventType,
  ClerkWebhookEnvelope,
  ClerkWebhookEvent,
  EventAttributes,
  UnknownClerkEvent,
} from './catalog.js';
export { EventParseError, parseEvent } from './parse.js';
export type { EventParseErrorCode, ParsedEvent } from './parse.js';
export { eventFixture, freshId, setPath } from './fixtures.js';
export type { FixtureOptions } from './fixtures.js';
