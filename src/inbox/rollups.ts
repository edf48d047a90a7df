import type { SqlDialect } from '../store/dialect.js';
import type { EventStatus } from '../store/schema.js';
import type { SqlWriter } from '../store/sql-writer.js';
import { Fragment, join, q, raw } from '../store/sql.js';

/** The activity of one minute, as clerk_webhook_event_activity counts it. */
export interface Activity {
  received: number;
  /** Received in the catalog (pending), or replayed: what a worker must take. */
  queued: number;
  /** Finished `done` or `skipped` by a worker. */
  processed: number;
  /** Failed attempts, to be retried. */
  failed: number;
  /** Events that went dead. */
  dead: number;
  lag_sum_ms: number;
  lag_count: number;
  lag_max_ms: number;
}

export const ACTIVITY_COLUMNS = ['received', 'queued', 'processed', 'failed', 'dead', 'lag_sum_ms', 'lag_count', 'lag_max_ms'] as const satisfies readonly (keyof Activity)[];

/** The counters' grain (ms): activity is kept per minute. */
export const MINUTE = 60_000;

const none = (): Activity => ({ received: 0, queued: 0, processed: 0, failed: 0, dead: 0, lag_sum_ms: 0, lag_count: 0, lag_max_ms: 0 });

/**
 * What one transaction did to the inbox, counted as it goes: how many events each status gained
 * or lost, and the activity per minute. Written once, by `write()`, as the transaction's last
 * writes: each counter row is then locked for the shortest time, and always in the same order (no
 * two transactions can deadlock on them). Everything that changes an event's status tallies it
 * here: the receiver, the worker, a replay, a purge.
 */
export class InboxTally {
  readonly #counts = new Map<EventStatus, number>();
  readonly #activity = new Map<number, Activity>();

  #status(status: EventStatus, delta: number): void {
    this.#counts.set(status, (this.#counts.get(status) ?? 0) + delta);
  }

  #minute(at: number): Activity {
    const minute = Math.floor(at / MINUTE) * MINUTE;
    let a = this.#activity.get(minute);
    if (!a) this.#activity.set(minute, (a = none()));
    return a;
  }

  /** Adds what `other` counted (a savepoint's part, once it holds). */
  add(other: InboxTally): void {
    for (const [status, n] of other.#counts) this.#status(status, n);
    for (const [minute, b] of other.#activity) {
      const a = this.#minute(minute);
      for (const c of ACTIVITY_COLUMNS) a[c] = c === 'lag_max_ms' ? Math.max(a[c], b[c]) : a[c] + b[c];
    }
  }

  /** A new event stored, `pending` (catalog) or `skipped` (any other type). */
  received(status: 'pending' | 'skipped', at: number): void {
    this.#status(status, 1);
    const a = this.#minute(at);
    a.received++;
    if (status === 'pending') a.queued++;
  }

  /**
   * A worker's attempt: the event left `from` for `outcome`. `lagMs`: receipt to the end of the
   * attempt, for an event's first attempt only (a replay's is not processing lag).
   */
  attempted(from: EventStatus, outcome: 'done' | 'skipped' | 'failed' | 'dead', at: number, lagMs: number | null): void {
    this.#status(from, -1);
    this.#status(outcome, 1);
    const a = this.#minute(at);
    if (outcome === 'done' || outcome === 'skipped') a.processed++;
    else a[outcome]++;
    if (lagMs !== null) {
      const lag = Math.max(0, Math.round(lagMs));
      a.lag_sum_ms += lag;
      a.lag_count++;
      a.lag_max_ms = Math.max(a.lag_max_ms, lag);
    }
  }

  /** A stored event queued again (replay), from `from`. */
  requeued(from: EventStatus, at: number): void {
    if (from === 'pending') return;
    this.#status(from, -1);
    this.#status('pending', 1);
    this.#minute(at).queued++;
  }

  /** Stored events deleted (retention, purge): they leave the counts; the activity stays history. */
  purged(status: EventStatus, n: number): void {
    this.#status(status, -n);
  }

  /** Writes what was counted, as the last statements of the transaction `sql` writes in. */
  async write(sql: SqlWriter): Promise<void> {
    for (const statement of this.#statements(sql.dialect)) await sql.run(statement);
  }

  /** The counter upserts, in a fixed order (counts by status, then activity by minute); none when nothing changed. */
  #statements(dialect: SqlDialect): Fragment[] {
    const shard = raw(dialect.counterShard);
    const out: Fragment[] = [];
    const counts = [...this.#counts].filter(([, n]) => n !== 0).sort(([a], [b]) => (a < b ? -1 : 1));
    if (counts.length > 0) {
      out.push(q`insert into clerk_webhook_event_counts (status, shard, n) values ${join(counts.map(([status, n]) => q`(${status}, ${shard}, ${n})`))}
        on conflict (status, shard) do update set n = clerk_webhook_event_counts.n + excluded.n`);
    }
    const minutes = [...this.#activity].sort(([a], [b]) => a - b);
    if (minutes.length > 0) {
      const set = ACTIVITY_COLUMNS.map((c) =>
        c === 'lag_max_ms'
          ? `${c} = case when excluded.${c} > clerk_webhook_event_activity.${c} then excluded.${c} else clerk_webhook_event_activity.${c} end`
          : `${c} = clerk_webhook_event_activity.${c} + excluded.${c}`,
      );
      const rows = minutes.map(([minute, a]) => q`(${minute}, ${shard}, ${join(ACTIVITY_COLUMNS.map((c) => q`${a[c]}`))})`);
      out.push(q`insert into clerk_webhook_event_activity (minute, shard, ${raw(ACTIVITY_COLUMNS.join(', '))}) values ${join(rows)}
        on conflict (minute, shard) do update set ${raw(set.join(', '))}`);
    }
    return out;
  }
}
