import { PermanentError, type EventProcessor } from '../processing.js';
import { applyEvent } from './apply.js';
import type { Payload } from './values.js';

/** Envelope timestamps are ms; some examples and old payloads carry seconds. */
export function envelopeTimeMs(timestamp: unknown): number | null {
  if (typeof timestamp !== 'number' || !Number.isFinite(timestamp) || timestamp <= 0) return null;
  return timestamp < 1e12 ? timestamp * 1000 : Math.trunc(timestamp);
}

/** The worker's processing step that keeps the clerk_* tables in sync. */
export const syncTables: EventProcessor = async (trx, event, row) => {
  try {
    await applyEvent(event.type, event.data as unknown as Payload, {
      trx,
      eventTime: envelopeTimeMs(event.timestamp) ?? row.received_at,
      instanceId: typeof event.instance_id === 'string' ? event.instance_id : null,
    });
  } catch (error) {
    // A validly signed payload nested thousands of levels deep: no retry will ever get through it.
    if (error instanceof RangeError && /call stack/i.test(error.message)) {
      throw new PermanentError('the payload is nested too deeply to sync (the call stack overflowed); it is no Clerk event shape and retrying cannot help', { cause: error });
    }
    throw error;
  }
};
