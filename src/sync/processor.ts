import type { EventProcessor } from '../worker/worker.js';
import { applyEvent } from './apply.js';
import type { Payload } from './values.js';

/** Envelope timestamps are ms; some examples and old payloads carry seconds. */
export function envelopeTimeMs(timestamp: unknown): number | null {
  if (typeof timestamp !== 'number' || !Number.isFinite(timestamp) || timestamp <= 0) return null;
  return timestamp < 1e12 ? timestamp * 1000 : Math.trunc(timestamp);
}

/** The worker's processing step that keeps the clerk_* tables in sync. */
export const syncTables: EventProcessor = async (trx, event, row) => {
  await applyEvent(event.type, event.data as unknown as Payload, {
    trx,
    eventTime: envelopeTimeMs(event.timestamp) ?? row.received_at,
    instanceId: typeof event.instance_id === 'string' ? event.instance_id : null,
  });
};
