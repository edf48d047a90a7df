import { sql, type Kysely } from 'kysely';
import type { Database } from '../store/database.js';
import type { EventStatus } from '../store/schema.js';
import { BrowseInputError, EVENT_STATUSES } from './browse.js';
import { ACTIVITY_COLUMNS, MINUTE } from './rollups.js';

/** The overview's numbers (dashboard, admin API, /metrics), aggregated in SQL. */

export interface StatsOptions {
  /** Start of the window (epoch ms); default 24 hours ago. */
  since?: number;
  /** Bucket width in ms; default: the window split into about 48 buckets. */
  bucket?: number;
  now?: number;
}

export interface StatsBucket {
  /** Bucket start (epoch ms). */
  start: number;
  /** Events stored. */
  received: number;
  /** Events finished in this bucket as `done` or `skipped` (each event once, however many attempts it took; replays count again). */
  processed: number;
  /** Attempts that failed and will be retried. */
  failed: number;
  /** Attempts that gave up (the event went `dead`). */
  dead: number;
  /** Receipt to end of first attempt, over events first attempted in this bucket (ms); null if none. */
  lag_avg_ms: number | null;
  lag_max_ms: number | null;
  /** Events received but not yet done/skipped/dead at the end of this bucket. */
  backlog: number;
}

export interface EventStats {
  now: number;
  since: number;
  bucket_ms: number;
  /** All events by status (whole inbox). */
  by_status: Record<EventStatus, number>;
  total: number;
  /** Events waiting for a worker: pending + failed (retry scheduled) + processing. */
  backlog: number;
  /** Age of the oldest waiting event (ms), 0 when none waits. */
  oldest_pending_age_ms: number;
  /** Receipt to end of first attempt, over the whole window (ms). */
  lag_avg_ms: number | null;
  buckets: StatsBucket[];
}

/** Statuses of events still waiting for a worker. */
export const WAITING_STATUSES = ['pending', 'failed'] as const;
const WAITING = WAITING_STATUSES;

/** Backlog size and oldest waiting age: two index reads, cheap enough for every /metrics scrape. */
export async function backlogNow(database: Database, now = Date.now()): Promise<{ backlog: number; oldestPendingAgeMs: number }> {
  const row = await database.db
    .selectFrom('clerk_webhook_events')
    .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.min('received_at').as('oldest')])
    .where('status', 'in', [...WAITING])
    .executeTakeFirstOrThrow();
  const oldest = row.oldest === null ? null : Number(row.oldest);
  return { backlog: Number(row.n), oldestPendingAgeMs: oldest === null ? 0 : Math.max(0, now - oldest) };
}

/** Events per status, as the counters (rollups.ts) say: every status, 0 when none. */
export async function countsByStatus(db: Kysely<any>): Promise<Record<EventStatus, number>> {
  const counts = Object.fromEntries(EVENT_STATUSES.map((s) => [s, 0])) as Record<EventStatus, number>;
  const { rows } = await sql<{ status: EventStatus; n: number }>`select status, sum(n) as n from clerk_webhook_event_counts group by status`.execute(db);
  for (const r of rows) if (r.status in counts) counts[r.status] = Number(r.n);
  return counts;
}

/**
 * The overview: totals now, and per-bucket activity over [since, now]. It reads the counters the
 * writes keep (rollups.ts): a few hundred small rows whatever the size of the inbox. Buckets are
 * whole minutes, the counters' grain (a bucket asked for in between is rounded up).
 */
export async function eventStats(database: Database, options: StatsOptions = {}): Promise<EventStats> {
  const { db } = database;
  const now = options.now ?? Date.now();
  const since = options.since ?? now - 24 * 3600_000;
  if (!Number.isFinite(since) || since >= now) throw new BrowseInputError('since must be a past time in epoch milliseconds');
  const asked = Math.trunc(options.bucket ?? Math.ceil((now - since) / 48 / MINUTE) * MINUTE);
  if (!Number.isInteger(asked) || asked < 1000) throw new BrowseInputError('bucket must be at least 1000 ms');
  const bucket = Math.max(MINUTE, Math.ceil(asked / MINUTE) * MINUTE);
  if ((now - since) / bucket > 1000) throw new BrowseInputError('at most 1000 buckets: widen bucket or shorten the window');
  const start = Math.floor(since / bucket) * bucket;
  const b = sql.lit(bucket);

  const [by_status, waiting, activity] = await Promise.all([
    countsByStatus(db),
    backlogNow(database, now),
    // Everything from the window's start on; the minutes after `now` (clocks apart) count in the last bucket.
    sql<Record<'b' | (typeof ACTIVITY_COLUMNS)[number], number>>`select (minute / ${b}) * ${b} as b,
      ${sql.join(ACTIVITY_COLUMNS.map((c) => (c === 'lag_max_ms' ? sql`max(${sql.ref(c)}) as ${sql.ref(c)}` : sql`sum(${sql.ref(c)}) as ${sql.ref(c)}`)))}
      from clerk_webhook_event_activity where minute >= ${start} group by 1`.execute(db),
  ]);

  const buckets = new Map<number, StatsBucket>();
  for (let t = start; t <= now; t += bucket) buckets.set(t, { start: t, received: 0, processed: 0, failed: 0, dead: 0, lag_avg_ms: null, lag_max_ms: null, backlog: 0 });
  const last = [...buckets.values()].at(-1)!;
  // What changed the backlog in each bucket: events queued (received, replayed) minus those finished.
  const change = new Map<number, number>();
  const lags = new Map<StatsBucket, { sum: number; n: number }>();
  for (const r of activity.rows) {
    const x = buckets.get(Number(r.b)) ?? last;
    x.received += Number(r.received);
    x.processed += Number(r.processed);
    x.failed += Number(r.failed);
    x.dead += Number(r.dead);
    change.set(x.start, (change.get(x.start) ?? 0) + Number(r.queued) - Number(r.processed) - Number(r.dead));
    if (Number(r.lag_count) > 0) {
      const lag = lags.get(x) ?? { sum: 0, n: 0 };
      lag.sum += Number(r.lag_sum_ms);
      lag.n += Number(r.lag_count);
      lags.set(x, lag);
      x.lag_max_ms = Math.max(x.lag_max_ms ?? 0, Number(r.lag_max_ms));
    }
  }
  let lagSum = 0;
  let lagCount = 0;
  for (const [x, lag] of lags) {
    x.lag_avg_ms = Math.round(lag.sum / lag.n);
    lagSum += lag.sum;
    lagCount += lag.n;
  }
  // The backlog at each bucket's end, walking back from now: what it was before a bucket's changes.
  let backlog = waiting.backlog;
  for (const x of [...buckets.values()].reverse()) {
    x.backlog = Math.max(0, backlog);
    backlog -= change.get(x.start) ?? 0;
  }
  const total = Object.values(by_status).reduce((a, n) => a + n, 0);
  return {
    now,
    since: start,
    bucket_ms: bucket,
    by_status,
    total,
    backlog: waiting.backlog,
    oldest_pending_age_ms: waiting.oldestPendingAgeMs,
    lag_avg_ms: lagCount === 0 ? null : Math.round(lagSum / lagCount),
    buckets: [...buckets.values()],
  };
}
