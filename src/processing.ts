import type { Transaction } from 'kysely';
import type { ClerkWebhookEvent } from './events/catalog.js';
import type { EventRow } from './inbox/queue.js';
import type { ClerkSyncDatabase } from './store/schema.js';
import type { SqlWriter } from './store/sql-writer.js';

/**
 * The contract between the worker and what it runs for each event (the table sync, the typed
 * handlers, a custom processor): the processor's shape, how it says an event can never succeed,
 * and what the worker reports of each attempt.
 */

/** Throw this from processing code to send an event straight to `dead`, without retries. */
export class PermanentError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'PermanentError';
  }
}

/**
 * Applies one event inside the transaction that also records its outcome. `sql` writes through
 * that transaction in its dialect, and may defer its statements (see SqlWriter): code that reads
 * through `trx` directly calls `sql.flush()` first.
 */
export type EventProcessor = (trx: Transaction<ClerkSyncDatabase>, event: ClerkWebhookEvent, row: EventRow, sql: SqlWriter) => Promise<void>;

export type Outcome = 'done' | 'skipped' | 'failed' | 'dead';

export interface ProcessedInfo {
  svixId: string;
  type: string;
  outcome: Outcome;
  attempt: number;
  durationMs: number;
  error?: string;
}
