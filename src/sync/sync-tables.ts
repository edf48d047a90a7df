import type { EventProcessor } from '../processing.js';
import { envelopeTimeMs } from '../events/content.js';
import { applyEvent } from './apply.js';
import { text, type Payload } from './values.js';

/** The worker's processing step that keeps the clerk_* tables in sync. */
export const syncTables: EventProcessor = (_trx, event, row, sql) =>
  applyEvent(event.type, event.data as unknown as Payload, {
    sql,
    eventTime: envelopeTimeMs(event.timestamp) ?? row.received_at,
    instanceId: text(event.instance_id),
  });
