import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import type { Database } from '../store/database.js';
import type { ClerkSyncDatabase, WebhookEventsTable } from '../store/schema.js';

export type EventRow = Selectable<WebhookEventsTable>;

/** Thrown inside a processing transaction when another worker took the event over: rolls it back. */
export class LeaseLostError extends Error {
  constructor(svixId: string) {
    super(`event ${svixId} was reclaimed by another worker after its lease expired; this attempt was rolled back`);
    this.name = 'LeaseLostError';
  }
}

/**
 * The inbox seen as a queue. The database does the hard parts: claiming is one UPDATE (with
 * SKIP LOCKED on PostgreSQL), and completing is conditional on still holding the claim, inside
 * the same transaction as the sync writes, so an event's effects commit exactly once.
 */
export class InboxQueue {
  readonly #database: Database;

  constructor(database: Database) {
    this.#database = database;
  }

  get #db(): Kysely<ClerkSyncDatabase> {
    return this.#database.db;
  }

  /** Claims up to `limit` due events for `workerId`. */
  async claim(workerId: string, limit: number, now = Date.now()): Promise<EventRow[]> {
    const skipLocked = this.#database.dialect === 'postgres' ? sql`for update skip locked` : sql``;
    const result = await sql<EventRow>`
      update clerk_webhook_events
         set status = 'processing', locked_by = ${workerId}, locked_at = ${now}
       where svix_id in (
         select svix_id from clerk_webhook_events
          where status in ('pending', 'failed') and next_attempt_at <= ${now}
          order by next_attempt_at, svix_id
          limit ${limit}
          ${skipLocked})
      returning *`.execute(this.#db);
    return result.rows.sort((a, b) => a.next_attempt_at - b.next_attempt_at || a.received_at - b.received_at);
  }

  /** Returns claims whose worker died (lease older than `leaseMs`) to the queue. */
  async releaseExpiredClaims(leaseMs: number, now = Date.now()): Promise<number> {
    const r = await this.#db
      .updateTable('clerk_webhook_events')
      .set({ status: 'pending', locked_by: null, locked_at: null })
      .where('status', '=', 'processing')
      .where('locked_at', '<', now - leaseMs)
      .executeTakeFirst();
    return Number(r.numUpdatedRows);
  }

  /** Releases every claim held by `workerId`, e.g. on shutdown or start-up of a single SQLite worker. */
  async releaseClaimsOf(workerId: string | null): Promise<number> {
    let q = this.#db.updateTable('clerk_webhook_events').set({ status: 'pending', locked_by: null, locked_at: null }).where('status', '=', 'processing');
    if (workerId !== null) q = q.where('locked_by', '=', workerId);
    return Number((await q.executeTakeFirst()).numUpdatedRows);
  }

  /** Marks a claimed event finished, in the caller's transaction; throws LeaseLostError if the claim is gone. */
  async finish(trx: Transaction<ClerkSyncDatabase>, row: EventRow, workerId: string, outcome: 'done' | 'skipped', startedAt: number, now = Date.now()): Promise<void> {
    const r = await trx
      .updateTable('clerk_webhook_events')
      .set({ status: outcome, attempts: row.attempts + 1, processed_at: now, locked_by: null, locked_at: null, last_error: null })
      .where('svix_id', '=', row.svix_id)
      .where('status', '=', 'processing')
      .where('locked_by', '=', workerId)
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) !== 1) throw new LeaseLostError(row.svix_id);
    await this.#recordAttempt(trx, row, outcome, startedAt, now, null);
  }

  /** Records a failed attempt: back to the queue at `retryAt`, or `dead` when `retryAt` is null. */
  async fail(row: EventRow, workerId: string, error: string, retryAt: number | null, startedAt: number, now = Date.now()): Promise<'failed' | 'dead'> {
    const outcome = retryAt === null ? 'dead' : 'failed';
    await this.#db.transaction().execute(async (trx) => {
      const r = await trx
        .updateTable('clerk_webhook_events')
        .set({ status: outcome, attempts: row.attempts + 1, next_attempt_at: retryAt ?? now, locked_by: null, locked_at: null, last_error: error })
        .where('svix_id', '=', row.svix_id)
        .where('status', '=', 'processing')
        .where('locked_by', '=', workerId)
        .executeTakeFirst();
      if (Number(r.numUpdatedRows) === 1) await this.#recordAttempt(trx, row, outcome, startedAt, now, error);
    });
    return outcome;
  }

  /** Queues stored events to be processed again (replay): fresh attempt budget, due now. */
  async requeue(svixIds: readonly string[], now = Date.now()): Promise<number> {
    if (svixIds.length === 0) return 0;
    const r = await this.#db
      .updateTable('clerk_webhook_events')
      .set({ status: 'pending', attempts: 0, next_attempt_at: now, locked_by: null, locked_at: null })
      .where('svix_id', 'in', svixIds)
      .where('status', '!=', 'processing')
      .executeTakeFirst();
    return Number(r.numUpdatedRows);
  }

  /** When the next not-yet-due event becomes due (ms), or null when nothing waits. */
  async nextDueAt(): Promise<number | null> {
    const row = await this.#db
      .selectFrom('clerk_webhook_events')
      .select((eb) => eb.fn.min('next_attempt_at').as('at'))
      .where('status', 'in', ['pending', 'failed'])
      .executeTakeFirst();
    return row?.at == null ? null : Number(row.at);
  }

  /** Attempt numbers count from the last replay; the log itself is append-only. */
  async #recordAttempt(trx: Transaction<ClerkSyncDatabase>, row: EventRow, outcome: 'done' | 'skipped' | 'failed' | 'dead', startedAt: number, now: number, error: string | null): Promise<void> {
    await trx
      .insertInto('clerk_webhook_attempts')
      .values({ svix_id: row.svix_id, attempt: row.attempts + 1, started_at: startedAt, duration_ms: now - startedAt, outcome, error })
      .execute();
  }
}
