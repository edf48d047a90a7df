import { CompiledQuery } from 'kysely';
import type { Database } from '../store/database.js';
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
      const rows = [...unique.values()].map(inboxRow);
      inserted = await (this.#database.dialect === 'sqlite' ? this.#insertEach(rows) : this.#insertAll(rows));
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
   */
  async #insertEach(rows: InboxRow[]): Promise<Set<string>> {
    return this.#database.db.transaction().execute(async (trx) => {
      const inserted = new Set<string>();
      for (const row of rows) {
        const { numAffectedRows } = await trx.executeQuery(CompiledQuery.raw(INSERT_ONE, COLUMNS.map((c) => row[c])));
        if (numAffectedRows === 1n) inserted.add(row.svix_id);
      }
      return inserted;
    });
  }

  /** PostgreSQL: the whole batch in one statement, one round trip. */
  async #insertAll(rows: InboxRow[]): Promise<Set<string>> {
    const inserted = await this.#database.db
      .insertInto('clerk_webhook_events')
      .values(rows)
      .onConflict((oc) => oc.column('svix_id').doNothing())
      .returning('svix_id')
      .execute();
    return new Set(inserted.map((r) => r.svix_id));
  }
}

type InboxRow = ReturnType<typeof inboxRow>;

function inboxRow(r: InboxRecord) {
  return {
    svix_id: r.svixId,
    type: r.type,
    status: r.status,
    event_timestamp: r.eventTimestamp,
    instance_id: r.instanceId,
    entity_id: r.entityId,
    headers: JSON.stringify(r.headers),
    body: r.body,
    received_at: r.receivedAt,
    next_attempt_at: r.receivedAt,
  };
}

/** inboxRow's columns, in the order INSERT_ONE binds them. */
const COLUMNS: readonly (keyof InboxRow)[] = ['svix_id', 'type', 'status', 'event_timestamp', 'instance_id', 'entity_id', 'headers', 'body', 'received_at', 'next_attempt_at'];
const INSERT_ONE = `insert into clerk_webhook_events (${COLUMNS.join(', ')}) values (${COLUMNS.map(() => '?').join(', ')}) on conflict (svix_id) do nothing`;
