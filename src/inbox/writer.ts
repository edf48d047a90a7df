import { CompiledQuery, sql, type Insertable } from 'kysely';
import type { Database } from '../store/database.js';
import type { ClerkSyncDatabase } from '../store/schema.js';
import type { InboxRecord } from './record.js';

export interface WriteResult {
  /** The svix-id was already in the inbox (a Svix retry or a replay): nothing changed. */
  duplicate: boolean;
}

interface Waiter {
  record: InboxRecord;
  resolve: (r: WriteResult) => void;
  reject: (e: unknown) => void;
}

const MAX_BATCH = 500;

/**
 * Writes verified deliveries to the inbox with group commit: requests that arrive while a
 * commit is in flight are written together in the next one. Each caller's promise settles only
 * once its row is committed, so an answer is never sent for an event that is not stored, and a
 * burst of N requests costs a handful of commits instead of N.
 */
export class InboxWriter {
  readonly #database: Database;
  readonly #onCommitted: (records: InboxRecord[]) => void;
  readonly #maxBatch: number;
  #queue: Waiter[] = [];
  #flushing = false;

  /** `maxBatch`: most rows per commit (500); 1 turns group commit off, for benchmarks that show what it buys. */
  constructor(database: Database, onCommitted: (records: InboxRecord[]) => void = () => {}, options: { maxBatch?: number } = {}) {
    this.#database = database;
    this.#onCommitted = onCommitted;
    this.#maxBatch = options.maxBatch ?? MAX_BATCH;
  }

  write(record: InboxRecord): Promise<WriteResult> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ record, resolve, reject });
      if (!this.#flushing) {
        // Wait for the rest of this event-loop turn: every request whose body completed in the
        // same I/O phase joins this commit.
        this.#flushing = true;
        setImmediate(() => void this.#flush());
      }
    });
  }

  async #flush(): Promise<void> {
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue.splice(0, this.#maxBatch);
        await this.#commit(batch);
      }
    } finally {
      this.#flushing = false;
    }
  }

  async #commit(batch: Waiter[]): Promise<void> {
    // The same svix-id twice in one batch: the first is the write, the rest are duplicates.
    const unique = new Map<string, InboxRecord>();
    for (const { record } of batch) if (!unique.has(record.svixId)) unique.set(record.svixId, record);
    let inserted: Set<string>;
    try {
      inserted = await (this.#database.dialect === 'sqlite' ? this.#insertEach([...unique.values()]) : this.#insertAll([...unique.values()]));
    } catch (error) {
      for (const w of batch) w.reject(error);
      return;
    }
    const claimed = new Set<string>();
    const fresh: InboxRecord[] = [];
    for (const w of batch) {
      const isNew = inserted.has(w.record.svixId) && !claimed.has(w.record.svixId);
      if (isNew) {
        claimed.add(w.record.svixId);
        fresh.push(w.record);
      }
      w.resolve({ duplicate: !isNew });
    }
    if (fresh.length > 0) this.#onCommitted(fresh);
  }

  /**
   * SQLite: one short statement per row in one transaction. It is prepared once and runs in
   * process, which is cheaper than compiling a multi-row statement of a different size per batch.
   * (Not Kysely's transaction(): its failed rollback would hide the error that caused it.)
   */
  async #insertEach(records: InboxRecord[]): Promise<Set<string>> {
    return this.#database.db.connection().execute(async (conn) => {
      await sql`begin`.execute(conn);
      try {
        const inserted = new Set<string>();
        for (const r of records) {
          const { numAffectedRows } = await conn.executeQuery(CompiledQuery.raw(INSERT_ONE, columnValues(r)));
          if (numAffectedRows === 1n) inserted.add(r.svixId);
        }
        await sql`commit`.execute(conn);
        return inserted;
      } catch (error) {
        // SQLite may have rolled back by itself (a full disk, an I/O error): then this rollback
        // fails, and it is the first error that says what happened.
        await sql`rollback`.execute(conn).catch(() => {});
        throw error;
      }
    });
  }

  /** PostgreSQL: the whole batch in one statement, one round trip. */
  async #insertAll(records: InboxRecord[]): Promise<Set<string>> {
    const rows = await this.#database.db
      .insertInto('clerk_webhook_events')
      .values(records.map(columnObject))
      .onConflict((oc) => oc.column('svix_id').doNothing())
      .returning('svix_id')
      .execute();
    return new Set(rows.map((r) => r.svix_id));
  }
}

const COLUMNS = ['svix_id', 'type', 'status', 'event_timestamp', 'instance_id', 'entity_id', 'headers', 'body', 'received_at', 'next_attempt_at'] as const;
const INSERT_ONE = `insert into clerk_webhook_events (${COLUMNS.join(', ')}) values (${COLUMNS.map(() => '?').join(', ')}) on conflict (svix_id) do nothing`;

function columnObject(r: InboxRecord): Insertable<ClerkSyncDatabase['clerk_webhook_events']> {
  const values = columnValues(r);
  return Object.fromEntries(COLUMNS.map((c, i) => [c, values[i]])) as unknown as Insertable<ClerkSyncDatabase['clerk_webhook_events']>;
}

/** A record's values in COLUMNS order. */
function columnValues(r: InboxRecord): unknown[] {
  return [r.svixId, r.type, r.status, r.eventTimestamp, r.instanceId, r.entityId, JSON.stringify(r.headers), r.body, r.receivedAt, r.receivedAt];
}
