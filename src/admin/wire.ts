import type { EventDetail, EventFilter } from '../inbox/browse.js';

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
