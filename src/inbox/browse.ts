import { shownJson } from '../events/content.js';
import { type Expression, type ExpressionBuilder, type Selectable, type SqlBool } from 'kysely';
import type { Database } from '../store/database.js';
import type { ClerkSyncDatabase, EventStatus, WebhookAttemptsTable } from '../store/schema.js';

/**
 * Browsing the inbox, for the dashboard, the admin API and the CLI: filters, keyset pages and one
 * event in full. Every query is paginated in SQL, so its cost follows the page size, not the inbox
 * size. Replays are in replay.ts, the overview's numbers in stats.ts.
 */

export const EVENT_STATUSES: readonly EventStatus[] = ['pending', 'done', 'failed', 'dead', 'skipped'];

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
  const newest = (f: EventFilter) =>
    database.db
      .selectFrom('clerk_webhook_events')
      .select([...SUMMARY_COLUMNS])
      .where((eb) => {
        const where = filterConditions(eb, f);
        if (after) where.push(eb(eb.refTuple('received_at', 'svix_id'), '<', eb.tuple(after.receivedAt, after.svixId)));
        return eb.and(where);
      })
      .orderBy('received_at', 'desc')
      .orderBy('svix_id', 'desc')
      .limit(limit + 1);
  const statuses = [...new Set(filter.statuses ?? [])];
  // Several statuses (the Failing card: failed and dead): a page of each, from its own range of
  // the status index, merged. As one query, the database would read and sort every event of
  // those statuses for each page.
  const rows =
    statuses.length > 1
      ? await database.db
          .selectFrom(
            statuses
              .map((status, i) => database.db.selectFrom(newest({ ...filter, statuses: [status] }).as(`s${i}`)).selectAll())
              .reduce((all, next) => all.unionAll(next))
              .as('merged'),
          )
          .selectAll()
          .orderBy('received_at', 'desc')
          .orderBy('svix_id', 'desc')
          .limit(limit + 1)
          .execute()
      : await newest(filter).execute();
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
