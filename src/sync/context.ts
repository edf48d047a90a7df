import type { SqlWriter } from '../store/sql-writer.js';

/** What the sync of one event writes through, and the event's place in time. */
export interface SyncContext {
  /**
   * The transaction's statements, in its dialect. When it defers (a worker's batch on
   * PostgreSQL), a statement's effects are seen only by statements that read (exec), which flush first.
   */
  sql: SqlWriter;
  /** Envelope timestamp (ms), or the time we received the event when Clerk did not send one. */
  eventTime: number;
  instanceId: string | null;
}
