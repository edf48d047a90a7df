import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import type { Database } from '../store/database.js';
import { SqlWriter } from '../store/sql-writer.js';
import type { ClerkSyncDatabase, EventStatus, WebhookEventsTable } from '../store/schema.js';
import { sqlDialect } from '../store/dialect.js';
import { InboxTally } from './rollups.js';

export type EventRow = Selectable<WebhookEventsTable>;
type Trx = Transaction<ClerkSyncDatabase>;

/**
 * The inbox seen as a queue. A claim lives inside the worker's transaction: it takes the rows'
 * locks (PostgreSQL: row locks, FOR UPDATE SKIP LOCKED so other workers pass them by; SQLite: the
 * single write lock, which the transaction holds from its start), the sync writes and the final status
 * follow, and the commit publishes all of it at once. A worker that dies mid-way holds nothing:
 * its transaction rolls back and the events are simply still pending. No event can be applied twice.
 */
export class InboxQueue {
  readonly #database: Database;

  constructor(database: Database) {
    this.#database = database;
  }

  get #db(): Kysely<ClerkSyncDatabase> {
    return this.#database.db;
  }

  /** SQLite's planner, without statistics, prefers the status index and sorts every runnable row. */
  get #runnableIndex() {
    return this.#database.dialect === 'sqlite' ? sql`indexed by clerk_webhook_events_runnable` : sql``;
  }

  /** Claims up to `limit` due events inside `trx`, in due order. */
  async claim(trx: Trx, limit: number, now = Date.now()): Promise<EventRow[]> {
    const due = sql`status in ('pending', 'failed') and next_attempt_at <= ${now} order by next_attempt_at limit ${limit}`;
    // The claim writes nothing. PostgreSQL: the row locks are the claim (writing the rows too would
    // cost each event a new row version, with an entry in every index of the inbox). SQLite: the
    // transaction began immediate, so it holds the only write lock until it commits the outcomes;
    // stamping the rows here cost a rewrite of each one, invisible to every reader.
    const result =
      this.#database.dialect === 'postgres'
        ? await sql<EventRow>`select * from clerk_webhook_events where ${due} for update skip locked`.execute(trx)
        : await sql<EventRow>`select * from clerk_webhook_events ${this.#runnableIndex} where ${due}`.execute(trx);
    return result.rows.sort((a, b) => a.next_attempt_at - b.next_attempt_at || a.received_at - b.received_at);
  }

  /**
   * Marks claimed events finished (`done`, or `skipped` for types outside the catalog) and logs
   * their attempts: two statements for a whole batch, in the caller's transaction (deferred with
   * its other writes, when it defers them). `tally` counts them, for the caller to write last.
   */
  async finish(sql: SqlWriter, workerId: string, finished: ReadonlyArray<{ row: EventRow; outcome: 'done' | 'skipped'; startedAt: number; durationMs: number }>, tally: InboxTally, now = Date.now()): Promise<void> {
    const trx = sql.db as Trx;
    if (finished.length === 0) return;
    for (const outcome of ['done', 'skipped'] as const) {
      const ids = finished.filter((f) => f.outcome === outcome).map((f) => f.row.svix_id);
      if (ids.length === 0) continue;
      await sql.run(trx
        .updateTable('clerk_webhook_events')
        .set((eb) => ({ status: outcome, attempts: eb('attempts', '+', 1), processed_at: now, processed_by: workerId, last_error: null }))
        .where('svix_id', 'in', ids)
        .compile());
    }
    await sql.run(trx
      .insertInto('clerk_webhook_attempts')
      .values(finished.map((f) => ({ svix_id: f.row.svix_id, attempt: f.row.attempts + 1, started_at: f.startedAt, duration_ms: f.durationMs, outcome: f.outcome, error: null })))
      .compile());
    for (const f of finished) tally.attempted(f.row.status, f.outcome, now, firstAttemptLag(f.row, f.startedAt + f.durationMs));
  }

  /** Records a failed attempt: back to the queue at `retryAt`, or `dead` when `retryAt` is null. */
  async fail(trx: Trx, workerId: string, row: EventRow, error: string, retryAt: number | null, startedAt: number, tally: InboxTally, now = Date.now()): Promise<'failed' | 'dead'> {
    const outcome = retryAt === null ? 'dead' : 'failed';
    await trx
      .updateTable('clerk_webhook_events')
      .set({ status: outcome, attempts: row.attempts + 1, next_attempt_at: retryAt ?? now, processed_at: now, processed_by: workerId, last_error: error })
      .where('svix_id', '=', row.svix_id)
      .execute();
    await trx
      .insertInto('clerk_webhook_attempts')
      .values({ svix_id: row.svix_id, attempt: row.attempts + 1, started_at: startedAt, duration_ms: now - startedAt, outcome, error })
      .execute();
    tally.attempted(row.status, outcome, now, firstAttemptLag(row, now));
    return outcome;
  }

  /** Marks an event dead without logging an attempt: when recording the attempt itself is refused. */
  async markDead(trx: Trx, workerId: string, row: EventRow, error: string, tally: InboxTally, now = Date.now()): Promise<void> {
    await trx
      .updateTable('clerk_webhook_events')
      .set({ status: 'dead', attempts: row.attempts + 1, next_attempt_at: now, processed_at: now, processed_by: workerId, last_error: error })
      .where('svix_id', '=', row.svix_id)
      .execute();
    tally.attempted(row.status, 'dead', now, firstAttemptLag(row, now));
  }

  /** Queues stored events to be processed again (replay): fresh attempt budget, due now. */
  async requeue(svixIds: readonly string[], now = Date.now()): Promise<number> {
    if (svixIds.length === 0) return 0;
    const dialect = sqlDialect(this.#database.dialect);
    return this.#db.transaction().execute(async (trx) => {
      // The statuses they leave, locked until the counts say so (SQLite's transaction holds the write lock).
      const lock = dialect.name === 'postgres' ? sql` for update` : sql``;
      const { rows } = await sql<{ svix_id: string; status: EventStatus }>`select svix_id, status from clerk_webhook_events where svix_id in (${sql.join([...svixIds])})${lock}`.execute(trx);
      if (rows.length === 0) return 0;
      const r = await trx
        .updateTable('clerk_webhook_events')
        .set({ status: 'pending', attempts: 0, next_attempt_at: now })
        .where('svix_id', 'in', rows.map((row) => row.svix_id))
        .executeTakeFirst();
      const tally = new InboxTally();
      for (const row of rows) tally.requeued(row.status, now);
      await tally.write(new SqlWriter(trx, dialect));
      return Number(r.numUpdatedRows);
    });
  }

  /** When the next runnable event is due (ms), or null when nothing waits. */
  async nextDueAt(): Promise<number | null> {
    const { rows } = await sql<{ next_attempt_at: number }>`
      select next_attempt_at from clerk_webhook_events ${this.#runnableIndex}
       where status in ('pending', 'failed') order by next_attempt_at limit 1`.execute(this.#db);
    return rows.length === 0 ? null : Number(rows[0]!.next_attempt_at);
  }

}

/** Receipt to the end of this attempt, when it is the event's first (never processed before, not a replay's). */
function firstAttemptLag(row: EventRow, endedAt: number): number | null {
  return row.processed_at === null ? endedAt - Number(row.received_at) : null;
}
