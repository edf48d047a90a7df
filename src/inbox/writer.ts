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
      const rows = await this.#database.db
        .insertInto('clerk_webhook_events')
        .values(
          [...unique.values()].map((r) => ({
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
          })),
        )
        .onConflict((oc) => oc.column('svix_id').doNothing())
        .returning('svix_id')
        .execute();
      inserted = new Set(rows.map((r) => r.svix_id));
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
}
