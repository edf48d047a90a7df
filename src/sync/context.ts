import type { Transaction } from 'kysely';
import type { ClerkSyncDatabase } from '../store/schema.js';

export interface SyncContext {
  trx: Transaction<ClerkSyncDatabase>;
  /** Envelope timestamp (ms), or the time we received the event when Clerk did not send one. */
  eventTime: number;
  instanceId: string | null;
}
