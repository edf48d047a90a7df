import { shownJson } from '../events/content.js';
import { sql, type Expression, type ExpressionBuilder, type Selectable, type SqlBool } from 'kysely';
import type { Database } from '../store/database.js';
import type { ClerkSyncDatabase, EventStatus, WebhookAttemptsTable } from '../store/schema.js';
import { InboxQueue } from './queue.js';

/**
 * The inbox read and replay layer shared by the dashboard, the admin API and the CLI. Every query
 * is paginated or aggregated in SQL, so its cost follows the page size, not the inbox size.
 */

export const EVENT_STATUSES: readonly EventStatus[] = ['pending', 'processing', 'done', 'failed', 'dead', 'skipped'];

/** Which events; every field narrows (AND). Empty arrays mean "no constraint". */
export interface EventFilter {
  /** Exact svix-ids. */
  ids?: readonly string[];
  /** Exact event types, e.g. `user.updated`. */
  types?: readonly string[];
  statuses?: readonly EventStatus[];
  /** received_at >= since (epoch ms). */
  since?: number;
  /** received_at < until (epoch ms). */
  until?: number;
  /** A svix-id (`msg_...`) or an entity id (`user_...`, `org_...`, ...): exact match on either. */
  search?: string;
}

/** One row of an event list: everything but the headers and body. */
export interface EventSummary {
  svix_id: string;
  type: string;
  status: EventStatus;
  attempts: number;
  received_at: number;
  processed_at: number | null;
  next_attempt_at: number;
  entity_id: string | null;
  last_error: string | null;
}

export interface EventPage {
  events: EventSummary[];
  /** Pass as `cursor` for the next (older) page; null on the last page. */
  nextCursor: string | null;
}

export interface PageOptions {
  /** 1-500, default 50. */
  limit?: number;
  /** `nextCursor` of the previous page. */
  cursor?: string | null;
}

export type AttemptRow = Selectable<WebhookAttemptsTable>;

/** A stored event in full: headers and payload parsed, and every processing attempt. */
export interface EventDetail extends EventSummary {
  event_timestamp: number | null;
  instance_id: string | null;
  processed_by: string | null;
  headers: Record<string, string>;
  /** The parsed JSON payload, or the raw body when it is not JSON. */
  payload: unknown;
  attempt_log: AttemptRow[];
}

/** A filter, cursor or limit the caller got wrong; the message says what is expected. */
export class BrowseInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BrowseInputError';
  }
}

export const MAX_PAGE_SIZE = 500;
const SUMMARY_COLUMNS = ['svix_id', 'type', 'status', 'attempts', 'received_at', 'processed_at', 'next_attempt_at', 'entity_id', 'last_error'] as const;

type Eb = ExpressionBuilder<ClerkSyncDatabase, 'clerk_webhook_events'>;

function filterConditions(eb: Eb, filter: EventFilter): Expression<SqlBool>[] {
  const where: Expression<SqlBool>[] = [];
  if (filter.ids?.length) where.push(eb('svix_id', 'in', [...filter.ids]));
  if (filter.types?.length) where.push(eb('type', 'in', [...filter.types]));
  if (filter.statuses?.length) {
    const bad = filter.statuses.filter((s) => !EVENT_STATUSES.includes(s));
    if (bad.length) throw new BrowseInputError(`unknown status ${bad.join(', ')}; use one of ${EVENT_STATUSES.join(', ')}`);
    where.push(eb('status', 'in', [...filter.statuses]));
  }
  if (filter.since !== undefined) where.push(eb('received_at', '>=', checkTime('since', filter.since)));
  if (filter.until !== undefined) where.push(eb('received_at', '<', checkTime('until', filter.until)));
  const search = filter.search?.trim();
  if (search) where.push(eb.or([eb('svix_id', '=', search), eb('entity_id', '=', search)]));
  return where;
}

function checkTime(name: string, ms: number): number {
  if (!Number.isFinite(ms)) throw new BrowseInputError(`${name} must be a time in epoch milliseconds, got ${ms}`);
  return Math.trunc(ms);
}

export function encodeCursor(e: Pick<EventSummary, 'received_at' | 'svix_id'>): string {
  return Buffer.from(`${e.received_at}:${e.svix_id}`).toString('base64url');
}

function decodeCursor(cursor: string): { receivedAt: number; svixId: string } {
  const text = Buffer.from(cursor, 'base64url').toString();
  const colon = text.indexOf(':');
  const receivedAt = Number(text.slice(0, colon));
  if (colon < 1 || !Number.isInteger(receivedAt)) throw new BrowseInputError('invalid cursor; pass the nextCursor of the previous page unchanged');
  return { receivedAt, svixId: text.slice(colon + 1) };
}

function pageSize(limit: number | undefined): number {
  const n = limit ?? 50;
  if (!Number.isInteger(n) || n < 1 || n > MAX_PAGE_SIZE) throw new BrowseInputError(`limit must be a whole number from 1 to ${MAX_PAGE_SIZE}, got ${limit}`);
  return n;
}

function toSummary(r: Record<string, unknown>): EventSummary {
  return {
    svix_id: r.svix_id as string,
    type: r.type as string,
    status: r.status as EventStatus,
    attempts: Number(r.attempts),
    received_at: Number(r.received_at),
    processed_at: r.processed_at === null ? null : Number(r.processed_at),
    next_attempt_at: Number(r.next_attempt_at),
    entity_id: (r.entity_id as string | null) ?? null,
    last_error: (r.last_error as string | null) ?? null,
  };
}

/** Newest first (received_at, then svix_id, descending), one keyset page at a time. */
export async function listEvents(database: Database, filter: EventFilter = {}, page: PageOptions = {}): Promise<EventPage> {
  const limit = pageSize(page.limit);
  const after = page.cursor ? decodeCursor(page.cursor) : null;
  const rows = await database.db
    .selectFrom('clerk_webhook_events')
    .select([...SUMMARY_COLUMNS])
    .where((eb) => {
      const where = filterConditions(eb, filter);
      if (after) where.push(eb(eb.refTuple('received_at', 'svix_id'), '<', eb.tuple(after.receivedAt, after.svixId)));
      return eb.and(where);
    })
    .orderBy('received_at', 'desc')
    .orderBy('svix_id', 'desc')
    .limit(limit + 1)
    .execute();
  const events = rows.slice(0, limit).map(toSummary);
  return { events, nextCursor: rows.length > limit ? encodeCursor(events[events.length - 1]!) : null };
}

/** How many events match (for "replay 1,234 events?" confirmations). */
export async function countEvents(database: Database, filter: EventFilter = {}): Promise<number> {
  const row = await database.db
    .selectFrom('clerk_webhook_events')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where((eb) => eb.and(filterConditions(eb, filter)))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** One event with headers, payload and attempts; null when no event has that svix-id. */
export async function getEvent(database: Database, svixId: string): Promise<EventDetail | null> {
  const row = await database.db.selectFrom('clerk_webhook_events').selectAll().where('svix_id', '=', svixId).executeTakeFirst();
  if (!row) return null;
  const attempts = await database.db.selectFrom('clerk_webhook_attempts').selectAll().where('svix_id', '=', svixId).orderBy('attempt').orderBy('id').execute();
  let headers: Record<string, string> = {};
  try {
    headers = JSON.parse(row.headers) as Record<string, string>;
  } catch {}
  let payload: unknown = row.body;
  try {
    // Cut where it nests too deep to serialize or render; the raw body stays as stored.
    payload = shownJson(JSON.parse(row.body));
  } catch {}
  return {
    ...toSummary(row as unknown as Record<string, unknown>),
    event_timestamp: row.event_timestamp === null ? null : Number(row.event_timestamp),
    instance_id: row.instance_id,
    processed_by: row.processed_by,
    headers,
    payload,
    attempt_log: attempts.map((a) => ({ ...a, id: Number(a.id), started_at: Number(a.started_at), duration_ms: Number(a.duration_ms) })),
  };
}

export interface ReplayProgress {
  /** Events matching the filter when the replay started. */
  total: number;
  /** Re-queued so far. */
  requeued: number;
}

export interface ReplayOptions {
  /** Events re-queued per statement; default 500. */
  chunkSize?: number;
  onProgress?: (progress: ReplayProgress) => void;
  /** Called after each chunk so a local worker starts at once. */
  notify?: () => void;
  now?: number;
}

/**
 * Re-queues every event matching `filter` (status pending, fresh attempt budget, due now), chunk
 * by chunk in received order, so a replay of 100,000 events never holds them all in memory or
 * one long lock. Events received after the replay started are left alone.
 */
export async function replayEvents(database: Database, filter: EventFilter, options: ReplayOptions = {}): Promise<ReplayProgress> {
  const now = options.now ?? Date.now();
  const chunkSize = options.chunkSize ?? 500;
  const bounded: EventFilter = { ...filter, until: Math.min(filter.until ?? now + 1, now + 1) };
  const total = await countEvents(database, bounded);
  const progress: ReplayProgress = { total, requeued: 0 };
  options.onProgress?.({ ...progress });
  const queue = new InboxQueue(database);
  let cursor: string | null = null;
  do {
    const page: EventPage = await listEvents(database, bounded, { limit: Math.min(chunkSize, MAX_PAGE_SIZE), cursor });
    progress.requeued += await queue.requeue(page.events.map((e) => e.svix_id), Date.now());
    options.notify?.();
    options.onProgress?.({ ...progress, total: Math.max(progress.total, progress.requeued) });
    cursor = page.nextCursor;
  } while (cursor);
  progress.total = Math.max(progress.total, progress.requeued);
  return progress;
}

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
  /** Attempts that applied (`done`) or skipped an event. */
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
export const WAITING_STATUSES = ['pending', 'failed', 'processing'] as const;
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
    sql<{ b: number; n: number; before: number }>`select (processed_at / ${b}) * ${b} as b, count(*) as n,
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
    if (r.outcome === 'done' || r.outcome === 'skipped') x.processed += Number(r.n);
    else if (r.outcome === 'failed') x.failed += Number(r.n);
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
