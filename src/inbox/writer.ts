import type { Statement } from 'better-sqlite3';
import { CompiledQuery } from 'kysely';
import type { Database } from '../store/database.js';
import { sqlDialect } from '../store/dialect.js';
import { isContentError, isLockConflict, isUnreachable } from '../store/errors.js';
import type { InboxRecord } from './record.js';
import { SqlWriter } from '../store/sql-writer.js';
import { InboxTally, MINUTE } from './rollups.js';

export interface WriteResult {
  /** The svix-id was already in the inbox (a Svix retry or a replay): nothing changed. */
  duplicate: boolean;
  /** A duplicate whose body differs from the stored one's: the first stays, this one is dropped. */
  conflicting?: boolean;
}

/**
 * The database refused this event's row while it stored others of the same commit, or refused a
 * value in it: something in this event, which a retry will not change.
 */
export class RowRefusedError extends Error {
  constructor(override readonly cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause));
    this.name = 'RowRefusedError';
  }
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
  /** SQLite: INSERT_ONE, prepared on the first commit. */
  #insertOne: Statement | null = null;

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
    const rows = [...unique.values()].map(inboxRow);
    let inserted: Set<string>;
    const refused = new Map<string, unknown>();
    try {
      inserted = await this.#insertRows(rows);
    } catch (error) {
      if (rows.length === 1 || isUnreachable(error)) {
        for (const w of batch) w.reject(error);
        return;
      }
      // One row may be at fault: store the rows one by one, so only its deliveries are refused.
      ({ inserted } = await this.#insertOneByOne(rows, refused));
    }
    let stored: Map<string, string> | null = null;
    const claimed = new Set<string>();
    const fresh: InboxRecord[] = [];
    for (const w of batch) {
      const { svixId } = w.record;
      const failure = refused.get(svixId);
      if (failure !== undefined) {
        w.reject(failure);
        continue;
      }
      const isNew = inserted.has(svixId) && !claimed.has(svixId);
      if (isNew) {
        claimed.add(svixId);
        fresh.push(w.record);
        w.resolve({ duplicate: false });
        continue;
      }
      // A duplicate: Svix sends the same body under one svix-id, so a different one is worth a word.
      const first = unique.get(svixId)!;
      let body: string | undefined = claimed.has(svixId) ? first.body : undefined;
      if (body === undefined) body = (stored ??= await this.#storedBodies(batch.filter((b) => !inserted.has(b.record.svixId)).map((b) => b.record.svixId))).get(svixId);
      w.resolve({ duplicate: true, conflicting: body !== undefined && body !== w.record.body });
    }
    if (fresh.length > 0) this.#onCommitted(fresh);
  }

  /** A lock conflict (a deadlock PostgreSQL broke, another's fault as much as ours) is tried again, twice. */
  async #insertRows(rows: InboxRow[]): Promise<Set<string>> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await (sqlDialect(this.#database.dialect).multiRowInserts ? this.#insertAll(rows) : this.#insertEach(rows));
      } catch (error) {
        if (attempt >= 3 || !isLockConflict(error)) throw error;
      }
    }
  }

  /**
   * After a failed group commit: each row in a commit of its own. A row refused while others go
   * through is this row's doing (RowRefusedError); refused all alike, it is the database's.
   */
  async #insertOneByOne(rows: InboxRow[], refused: Map<string, unknown>): Promise<{ inserted: Set<string> }> {
    const inserted = new Set<string>();
    const errors = new Map<string, unknown>();
    for (const row of rows) {
      try {
        for (const id of await this.#insertRows([row])) inserted.add(id);
      } catch (error) {
        errors.set(row.svix_id, error);
      }
    }
    const alone = errors.size < rows.length;
    for (const [id, error] of errors) refused.set(id, alone || isContentError(error) ? new RowRefusedError(error) : error);
    return { inserted };
  }

  /** The stored bodies of these svix-ids (duplicates: to tell a retry from a different event under a reused id). */
  async #storedBodies(svixIds: string[]): Promise<Map<string, string>> {
    if (svixIds.length === 0) return new Map();
    try {
      const rows = await this.#database.db.selectFrom('clerk_webhook_events').select(['svix_id', 'body']).where('svix_id', 'in', [...new Set(svixIds)]).execute();
      return new Map(rows.map((r) => [r.svix_id, r.body]));
    } catch {
      return new Map(); // the duplicate is answered as one all the same; only the comparison is lost
    }
  }

  /**
   * SQLite: one short statement per row in one transaction, prepared once, run in process and
   * synchronously: the whole commit is one call into SQLite instead of a promise per statement
   * (about 4 µs less per event, measured). Kysely's connection() keeps every other transaction
   * (a worker's batch) off the connection meanwhile. The counters (rollups.ts) follow in the same
   * transaction.
   */
  async #insertEach(rows: InboxRow[]): Promise<Set<string>> {
    const dialect = sqlDialect(this.#database.dialect);
    const raw = this.#database.sqlite!;
    const turn = this.#database.writeTurn();
    if (turn) await turn;
    return this.#database.db.connection().execute(async (connection) => {
      const inserted = new Set<string>();
      const tally = new InboxTally();
      raw.exec('begin immediate');
      try {
        const insert = (this.#insertOne ??= raw.prepare(INSERT_ONE));
        for (const row of rows) {
          if (insert.run(COLUMNS.map((c) => row[c])).changes !== 1) continue;
          inserted.add(row.svix_id);
          tally.received(row.status, row.received_at);
        }
        await tally.write(new SqlWriter(connection, dialect));
        raw.exec('commit');
      } catch (error) {
        // SQLite ends the transaction itself on some errors (a full disk, an I/O error).
        if (raw.inTransaction) raw.exec('rollback');
        throw error;
      }
      return inserted;
    });
  }

  /**
   * PostgreSQL: the whole batch in one statement, one round trip, counters included: the rows
   * actually inserted (not the duplicates) add to the counts and to the minute's activity.
   */
  async #insertAll(rows: InboxRow[]): Promise<Set<string>> {
    const shard = sqlDialect(this.#database.dialect).counterShard;
    const values: unknown[] = [];
    const tuples = rows.map((row) => `(${COLUMNS.map((c) => (values.push(row[c]), `$${values.length}`)).join(', ')})`);
    const { rows: inserted } = await this.#database.db.executeQuery<{ svix_id: string }>(
      CompiledQuery.raw(
        `with inserted as (
           insert into clerk_webhook_events (${COLUMNS.join(', ')}) values ${tuples.join(', ')}
           on conflict (svix_id) do nothing returning svix_id, status, received_at),
         counts as (
           insert into clerk_webhook_event_counts (status, shard, n)
           select status, ${shard}, count(*) from inserted group by status order by status
           on conflict (status, shard) do update set n = clerk_webhook_event_counts.n + excluded.n
           returning status),
         activity as (
           insert into clerk_webhook_event_activity (minute, shard, received, queued)
           select (received_at / ${MINUTE}) * ${MINUTE}, ${shard}, count(*), sum(case when status = 'pending' then 1 else 0 end)
             -- After the counts (which this reads first), as every writer takes them: never the
             -- other way round, which could deadlock with a worker writing the same shard's rows.
             from inserted where (select count(*) from counts) >= 0 group by 1 order by 1
           on conflict (minute, shard) do update set received = clerk_webhook_event_activity.received + excluded.received,
             queued = clerk_webhook_event_activity.queued + excluded.queued)
         select svix_id from inserted`,
        values,
      ),
    );
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
