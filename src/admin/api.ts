import { BrowseInputError, countEvents, getEvent, listEvents, type EventFilter, type EventSummary } from '../inbox/browse.js';
import { eventStats } from '../inbox/stats.js';
import { InboxQueue } from '../inbox/queue.js';
import type { Database } from '../store/database.js';
import type { EventStatus } from '../store/schema.js';
import { recentActions, recordAction } from '../store/audit-log.js';
import { isEntityKind, listEntities, relatedRows, ENTITY_KINDS } from './entities.js';
import { HttpError, json, readJson } from './http.js';
import { FILTER_PARAMS } from './wire.js';
import type { ReplayJobs } from './replay-jobs.js';
import { docsLink } from '../docs-link.js';
import { reconcileStatus, recentRuns, runningRun } from '../reconcile/runs.js';
import type { ReconcileOverview } from './wire.js';

export interface ApiContext {
  database: Database;
  jobs: ReplayJobs;
  notify: () => void;
  actor: 'api' | 'dashboard';
  remoteAddress: string | null;
}

const MAX_WAIT_MS = 30_000;
const MAX_RECONCILE_RUNS = 200;

/** Routes under /api/admin (the caller has authenticated the request and checked CSRF). */
export async function handleApi(request: Request, path: string, ctx: ApiContext): Promise<Response> {
  const url = new URL(request.url);
  const segments = path.split('/').filter(Boolean).map(decodeSegment);
  const method = request.method;
  const [resource, id, action] = segments;

  if (resource === 'events' && segments.length === 1) {
    allow(method, 'GET');
    return json(200, await listEvents(ctx.database, filterFromQuery(url.searchParams), { limit: intParam(url.searchParams, 'limit'), cursor: url.searchParams.get('cursor') }));
  }
  if (resource === 'events' && id && segments.length === 2) {
    allow(method, 'GET');
    const event = await getEvent(ctx.database, id);
    if (!event) throw new HttpError(404, 'event_not_found', `no stored event has svix-id ${id}`);
    return json(200, { event, related: await relatedRows(ctx.database, event.entity_id) });
  }
  if (resource === 'events' && id && action === 'replay' && segments.length === 3) {
    allow(method, 'POST');
    const body = await readJson(request, true);
    const waitMs = Math.min(Math.max(Number(body.wait_ms ?? 0) || 0, 0), MAX_WAIT_MS);
    const n = await new InboxQueue(ctx.database).requeue([id]);
    if (n === 0) throw new HttpError(404, 'event_not_found', `no stored event has svix-id ${id}`);
    ctx.notify();
    await recordAction(ctx.database, { actor: ctx.actor, action: 'replay', target: id, count: 1, remoteAddress: ctx.remoteAddress });
    return json(200, { event: await waitProcessed(ctx.database, id, waitMs) });
  }
  if (resource === 'replay' && segments.length === 1) {
    allow(method, 'POST');
    const body = await readJson(request, false);
    const filter = filterFromJson(body.filter);
    if (Object.keys(filter).length === 0) throw new HttpError(400, 'filter_required', 'a bulk replay needs a filter (statuses, types, since, until, ids or search); to replay everything, pass {"filter":{"since":0}}');
    if (body.dry_run === true) return json(200, { matched: await countEvents(ctx.database, filter) });
    const { actor, remoteAddress } = ctx;
    const job = ctx.jobs.start(filter, (finished) => {
      void recordAction(ctx.database, { actor, action: 'replay_filter', target: JSON.stringify(filter), count: finished.requeued, remoteAddress }).catch(() => {});
    });
    return json(202, { job });
  }
  if (resource === 'replay' && id && segments.length === 2) {
    allow(method, 'GET');
    const job = ctx.jobs.get(id);
    if (!job) throw new HttpError(404, 'job_not_found', `no replay job ${id} in this process (jobs are kept in memory by the instance that started them)`);
    return json(200, { job });
  }
  if (resource === 'stats' && segments.length === 1) {
    allow(method, 'GET');
    return json(200, await eventStats(ctx.database, { since: timeParam(url.searchParams, 'since'), bucket: intParam(url.searchParams, 'bucket') }));
  }
  if (resource === 'entities' && id && segments.length === 2) {
    allow(method, 'GET');
    if (!isEntityKind(id)) throw new HttpError(404, 'not_found', `no entity kind ${id}; use one of ${Object.keys(ENTITY_KINDS).join(', ')}`);
    const p = url.searchParams;
    return json(200, await listEntities(ctx.database, id, { search: p.get('q') ?? undefined, limit: intParam(p, 'limit'), cursor: p.get('cursor') }));
  }
  if (resource === 'entities' && id && action && segments.length === 3) {
    allow(method, 'GET');
    if (!isEntityKind(id)) throw new HttpError(404, 'not_found', `no entity kind ${id}; use one of ${Object.keys(ENTITY_KINDS).join(', ')}`);
    const related = (await relatedRows(ctx.database, action)).find((r) => r.table === ENTITY_KINDS[id].table);
    if (!related) throw new HttpError(404, 'entity_not_found', `no row ${action} in ${ENTITY_KINDS[id].table}`);
    const p = url.searchParams;
    return json(200, { row: related.row, events: await listEvents(ctx.database, { search: action }, { limit: intParam(p, 'limit'), cursor: p.get('cursor') }) });
  }
  if (resource === 'actions' && segments.length === 1) {
    allow(method, 'GET');
    return json(200, { actions: await recentActions(ctx.database, intParam(url.searchParams, 'limit') ?? 50) });
  }
  if (resource === 'reconcile' && segments.length === 1) {
    allow(method, 'GET');
    const limit = intParam(url.searchParams, 'limit') ?? 50;
    if (limit < 1 || limit > MAX_RECONCILE_RUNS) throw new HttpError(400, 'bad_request', `limit must be a whole number from 1 to ${MAX_RECONCILE_RUNS}, got ${limit}`);
    // One clock for all three reads, so a run is running (or interrupted) in all of them alike.
    const now = Date.now();
    const [runs, status, running] = await Promise.all([recentRuns(ctx.database, limit, now), reconcileStatus(ctx.database, now), runningRun(ctx.database, now)]);
    const answer: ReconcileOverview = { runs, lastSuccessAt: status.lastSuccessAt, running };
    return json(200, answer);
  }
  throw new HttpError(404, 'not_found', `no admin API route ${method} /api/admin/${segments.join('/')}; see ${docsLink('api.md')}`);
}

function allow(method: string, expected: string): void {
  if (method !== expected) throw new HttpError(405, 'method_not_allowed', `use ${expected} here`, { allow: expected });
}

async function waitProcessed(database: Database, id: string, waitMs: number): Promise<EventSummary> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const { events } = await listEvents(database, { ids: [id] }, { limit: 1 });
    const e = events[0]!;
    if (Date.now() >= deadline || e.attempts > 0 || e.status !== 'pending') return e;
    await new Promise((r) => setTimeout(r, 25));
  }
}

function list(value: string | null): string[] | undefined {
  const items = value?.split(',').map((s) => s.trim()).filter(Boolean);
  return items?.length ? items : undefined;
}

/** `since`/`until`: epoch ms, or an ISO 8601 date. */
export function parseTime(name: string, value: unknown): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string') {
    if (/^\d+$/.test(value)) return Number(value);
    const t = Date.parse(value);
    if (!Number.isNaN(t)) return t;
  }
  throw new HttpError(400, 'bad_request', `${name} must be epoch milliseconds or an ISO date like 2026-01-31T12:00:00Z, got ${JSON.stringify(value)}`);
}

function timeParam(p: URLSearchParams, name: string): number | undefined {
  return parseTime(name, p.get(name));
}

function intParam(p: URLSearchParams, name: string): number | undefined {
  const v = p.get(name);
  if (v === null || v === '') return undefined;
  if (!/^\d+$/.test(v)) throw new HttpError(400, 'bad_request', `${name} must be a whole number, got "${v}"`);
  return Number(v);
}

/** The filter of GET /api/admin/events: id, type, status (comma-separated), since, until, q. */
export function filterFromQuery(p: URLSearchParams): EventFilter {
  const filter: EventFilter = {};
  const ids = list(p.get(FILTER_PARAMS.ids));
  const types = list(p.get(FILTER_PARAMS.types));
  const statuses = list(p.get(FILTER_PARAMS.statuses));
  if (ids) filter.ids = ids;
  if (types) filter.types = types;
  if (statuses) filter.statuses = statuses as EventStatus[];
  const since = timeParam(p, FILTER_PARAMS.since);
  const until = timeParam(p, FILTER_PARAMS.until);
  if (since !== undefined) filter.since = since;
  if (until !== undefined) filter.until = until;
  const q = p.get(FILTER_PARAMS.search)?.trim();
  if (q) filter.search = q;
  return filter;
}

/** The filter of POST /api/admin/replay: the EventFilter fields as JSON. */
export function filterFromJson(value: unknown): EventFilter {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new HttpError(400, 'bad_request', 'filter must be a JSON object like {"statuses":["dead"],"since":1767225600000}');
  const v = value as Record<string, unknown>;
  const known = ['ids', 'types', 'statuses', 'since', 'until', 'search'];
  const unknown = Object.keys(v).filter((k) => !known.includes(k));
  if (unknown.length) throw new HttpError(400, 'bad_request', `unknown filter field ${unknown.join(', ')}; use ${known.join(', ')}`);
  const strings = (name: string): string[] | undefined => {
    const a = v[name];
    if (a === undefined) return undefined;
    if (!Array.isArray(a) || a.some((x) => typeof x !== 'string')) throw new HttpError(400, 'bad_request', `filter.${name} must be an array of strings`);
    return a.length ? (a as string[]) : undefined;
  };
  const filter: EventFilter = {};
  const ids = strings('ids');
  const types = strings('types');
  const statuses = strings('statuses');
  if (ids) filter.ids = ids;
  if (types) filter.types = types;
  if (statuses) filter.statuses = statuses as EventStatus[];
  const since = parseTime('filter.since', v.since);
  const until = parseTime('filter.until', v.until);
  if (since !== undefined) filter.since = since;
  if (until !== undefined) filter.until = until;
  if (typeof v.search === 'string' && v.search.trim()) filter.search = v.search.trim();
  return filter;
}

/** BrowseInputError (a bad filter/cursor/limit) is the client's mistake: 400. */
export function asHttpError(error: unknown): HttpError | null {
  if (error instanceof HttpError) return error;
  if (error instanceof BrowseInputError) return new HttpError(400, 'bad_request', error.message);
  return null;
}

/** A percent-encoded path segment; a malformed escape is the client's mistake, not ours. */
function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HttpError(400, 'bad_request', `the path segment "${segment}" has a malformed percent-escape; encode ids with encodeURIComponent`);
  }
}
