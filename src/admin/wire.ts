import type { EventDetail, EventFilter, PageOptions } from '../inbox/browse.js';
import type { ReconcileRun } from '../reconcile/runs.js';

/**
 * Shapes the admin API sends, shared by the server (api.ts, replay-jobs.ts) and the client
 * (client.ts), so that neither defines them for the other.
 */

/** A bulk replay running on the server. */
export interface ReplayJob {
  id: string;
  state: 'running' | 'done' | 'failed';
  filter: EventFilter;
  /** Events matching when it started. */
  total: number;
  requeued: number;
  started_at: number;
  finished_at: number | null;
  error: string | null;
}

export interface ShownEvent {
  event: EventDetail;
  /** Current rows of the synced tables whose id is the event's entity_id. */
  related: RelatedRow[];
}

export interface RelatedRow {
  table: string;
  row: Record<string, unknown>;
}

/** GET /api/admin/reconcile: the reconcile runs, newest first. */
export interface ReconcileOverview {
  runs: ReconcileRun[];
  /** When the newest applying run that succeeded finished; null if none has. */
  lastSuccessAt: number | null;
  /** The run at work now (its heartbeat is fresh), or null. */
  running: ReconcileRun | null;
}

/** The query parameter of each filter field: written by the client (filterQuery), read by the server (api.ts). */
export const FILTER_PARAMS = { ids: 'id', types: 'type', statuses: 'status', since: 'since', until: 'until', search: 'q' } as const;

/** The query string the admin API reads a filter and page from. */
export function filterQuery(filter: EventFilter, page: PageOptions = {}): URLSearchParams {
  const q = new URLSearchParams();
  if (filter.ids?.length) q.set(FILTER_PARAMS.ids, filter.ids.join(','));
  if (filter.types?.length) q.set(FILTER_PARAMS.types, filter.types.join(','));
  if (filter.statuses?.length) q.set(FILTER_PARAMS.statuses, filter.statuses.join(','));
  if (filter.since !== undefined) q.set(FILTER_PARAMS.since, String(filter.since));
  if (filter.until !== undefined) q.set(FILTER_PARAMS.until, String(filter.until));
  if (filter.search) q.set(FILTER_PARAMS.search, filter.search);
  if (page.limit !== undefined) q.set('limit', String(page.limit));
  if (page.cursor) q.set('cursor', page.cursor);
  return q;
}
