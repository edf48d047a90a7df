import { sql } from 'kysely';
import type { Database } from '../store/database.js';
import type { EventStatus } from '../store/schema.js';
import { BrowseInputError, EVENT_STATUSES } from './browse.js';

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

/** An event's very first attempt: a replay restarts `attempt` at 1, but is not processing lag. */
const FIRST_ATTEMPT = sql`a.attempt = 1 and not exists (select 1 from clerk_webhook_attempts p where p.svix_id = a.svix_id and p.id < a.id)`;

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

/** The overview: totals now, and per-bucket activity over [since, now]. */
export async function eventStats(database: Database, options: StatsOptions = {}): Promise<EventStats> {
  const { db } = database;
  const now = options.now ?? Date.now();
  const since = options.since ?? now - 24 * 3600_000;
  if (!Number.isFinite(since) || since >= now) throw new BrowseInputError('since must be a past time in epoch milliseconds');
  const bucket = Math.trunc(options.bucket ?? Math.max(60_000, Math.ceil((now - since) / 48 / 60_000) * 60_000));
  if (!Number.isInteger(bucket) || bucket < 1000) throw new BrowseInputError('bucket must be at least 1000 ms');
  if ((now - since) / bucket > 1000) throw new BrowseInputError('at most 1000 buckets: widen bucket or shorten the window');
  const start = Math.floor(since / bucket) * bucket;
  const b = sql.lit(bucket);

  const [statusRows, waiting, received, attempts, lag, finishedLater, waitingThen] = await Promise.all([
    db.selectFrom('clerk_webhook_events').select(['status', (eb) => eb.fn.countAll<number>().as('n')]).groupBy('status').execute(),
    backlogNow(database, now),
    sql<{ b: number; n: number }>`select (received_at / ${b}) * ${b} as b, count(*) as n from clerk_webhook_events
      where received_at >= ${start} group by 1`.execute(db),
    sql<{ b: number; outcome: string; n: number }>`select (started_at / ${b}) * ${b} as b, outcome, count(*) as n from clerk_webhook_attempts
      where started_at >= ${start} group by 1, 2`.execute(db),
    sql<{ b: number; sum: number; n: number; max: number }>`select (a.started_at / ${b}) * ${b} as b, sum(a.started_at + a.duration_ms - e.received_at) as sum,
      count(*) as n, max(a.started_at + a.duration_ms - e.received_at) as max
      from clerk_webhook_attempts a join clerk_webhook_events e on e.svix_id = a.svix_id
      where a.started_at >= ${start} and ${FIRST_ATTEMPT} group by 1`.execute(db),
    // Finished events by finishing bucket, and those received before the window but finished in it.
    sql<{ b: number; n: number; ok: number; before: number }>`select (processed_at / ${b}) * ${b} as b, count(*) as n,
      sum(case when status in ('done', 'skipped') then 1 else 0 end) as ok,
      sum(case when received_at < ${start} then 1 else 0 end) as before
      from clerk_webhook_events where processed_at >= ${start} and status in ('done', 'skipped', 'dead') group by 1`.execute(db),
    db.selectFrom('clerk_webhook_events').select((eb) => eb.fn.countAll<number>().as('n')).where('status', 'in', [...WAITING]).where('received_at', '<', start).executeTakeFirstOrThrow(),
  ]);

  const by_status = Object.fromEntries(EVENT_STATUSES.map((s) => [s, 0])) as Record<EventStatus, number>;
  for (const r of statusRows) by_status[r.status] = Number(r.n);
  const buckets = new Map<number, StatsBucket>();
  for (let t = start; t <= now; t += bucket) buckets.set(t, { start: t, received: 0, processed: 0, failed: 0, dead: 0, lag_avg_ms: null, lag_max_ms: null, backlog: 0 });
  const at = (t: unknown) => buckets.get(Number(t));
  for (const r of received.rows) {
    const x = at(r.b);
    if (x) x.received = Number(r.n);
  }
  for (const r of attempts.rows) {
    const x = at(r.b);
    if (!x) continue;
    if (r.outcome === 'failed') x.failed += Number(r.n);
    else if (r.outcome === 'dead') x.dead += Number(r.n);
  }
  let lagSum = 0;
  let lagCount = 0;
  for (const r of lag.rows) {
    lagSum += Number(r.sum);
    lagCount += Number(r.n);
    const x = at(r.b);
    if (!x) continue;
    x.lag_avg_ms = Math.round(Number(r.sum) / Number(r.n));
    x.lag_max_ms = Math.round(Number(r.max));
  }
  // Backlog at a bucket's end = waiting at the window start + received since - finished since.
  // Events finished before the window never count; replays make this an approximation.
  const finishedIn = new Map<number, number>();
  let finishedBeforeStartReceivedBefore = 0;
  for (const r of finishedLater.rows) {
    finishedIn.set(Number(r.b), Number(r.n));
    const x = at(r.b);
    if (x) x.processed = Number(r.ok);
    finishedBeforeStartReceivedBefore += Number(r.before);
  }
  let backlog = Number(waitingThen.n) + finishedBeforeStartReceivedBefore;
  for (const x of buckets.values()) {
    backlog += x.received - (finishedIn.get(x.start) ?? 0);
    x.backlog = Math.max(0, backlog);
  }
  const last = [...buckets.values()].at(-1);
  if (last) last.backlog = waiting.backlog;
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
