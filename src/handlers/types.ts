import type { Transaction } from 'kysely';
import type { ClerkEventOf, ClerkEventType, ClerkWebhookEvent } from '../events/catalog.js';
import type { Logger } from '../log.js';
import type { ClerkSyncDatabase } from '../store/schema.js';

/**
 * What a handler gets besides the event. `AppDatabase` is the Kysely interface of your own tables,
 * so `trx` is typed for ours and yours: `createClerkSync<MyTables>({ ... })`.
 */
export interface HandlerContext<AppDatabase = {}> {
  /** The Svix message id: stable across Svix's retries and ours, so use it as an idempotency key. */
  readonly svixId: string;
  /** 1 on the first try, 2 on the first retry, ... */
  readonly attempt: number;
  /** The clerk-sync logger, with `svix_id` and `type` on every line. */
  readonly logger: Logger;
  /**
   * The transaction in which clerk-sync writes the synced tables and records this event's outcome:
   * write your own tables here and they commit (or roll back) atomically with ours.
   */
  readonly trx: Transaction<ClerkSyncDatabase & AppDatabase>;
  /** Aborted when the handler timeout elapses; pass it to fetch() and other cancellable work. */
  readonly signal: AbortSignal;
}

/** The event for type(s) T, as a union that narrows on `type` when T is several types. */
export type EventOfType<T extends ClerkEventType> = T extends ClerkEventType ? ClerkEventOf<T> : never;

export type EventHandler<E extends ClerkWebhookEvent = ClerkWebhookEvent, AppDatabase = {}> = (event: E, ctx: HandlerContext<AppDatabase>) => Promise<void> | void;

/** `{ 'user.created': (event, ctx) => ..., '*': (event, ctx) => ... }`: `event` is narrowed per key; `'*'` gets every event. */
export type HandlerMap<AppDatabase = {}> = {
  [K in ClerkEventType]?: EventHandler<EventOfType<K>, AppDatabase>;
} & {
  '*'?: EventHandler<ClerkWebhookEvent, AppDatabase>;
};
