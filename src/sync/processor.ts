import { PermanentError, type EventProcessor } from '../processing.js';
import { envelopeTimeMs } from '../events/content.js';
import { applyEvent } from './apply.js';
import { text, type Payload } from './values.js';

/** The worker's processing step that keeps the clerk_* tables in sync. */
export const syncTables: EventProcessor = async (trx, event, row) => {
  try {
    await applyEvent(event.type, event.data as unknown as Payload, {
      trx,
      eventTime: envelopeTimeMs(event.timestamp) ?? row.received_at,
      instanceId: text(event.instance_id),
    });
  } catch (error) {
    // A validly signed payload nested thousands of levels deep: no retry will ever get through it.
    if (error instanceof RangeError && /call stack/i.test(error.message)) {
      throw new PermanentError('the payload is nested too deeply to sync (the call stack overflowed); it is no Clerk event shape and retrying cannot help', { cause: error });
    }
    throw error;
  }
};
