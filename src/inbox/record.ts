import type { EventStatus } from '../store/schema.js';

/** What the receiver commits for one verified delivery. */
export interface InboxRecord {
  svixId: string;
  type: string;
  /** `pending` for catalog events; `skipped` for types outside the catalog (kept, never retried). */
  status: Extract<EventStatus, 'pending' | 'skipped'>;
  eventTimestamp: number | null;
  instanceId: string | null;
  entityId: string | null;
  headers: Record<string, string>;
  body: string;
  receivedAt: number;
}
