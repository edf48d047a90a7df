import { Command } from 'commander';
import { InboxQueue } from '../../inbox/queue.js';
import { createLogger } from '../../log.js';
import { openDatabase } from '../../store/database.js';
import { migrateToLatest } from '../../store/migrate.js';
import { syncTables } from '../../sync/processor.js';
import { Worker } from '../../worker/worker.js';
import { dbOption } from '../options.js';

export function replayCommand(): Command {
  return new Command('replay')
    .description('process stored events again (idempotent: the sync guards keep newer data)')
    .argument('<svix-id...>', 'svix-id of each event to replay')
    .addOption(dbOption())
    .action(async (svixIds: string[], opts) => {
      const database = await openDatabase(opts.db);
      try {
        await migrateToLatest(database.db, database.dialect);
        const found = await database.db.selectFrom('clerk_webhook_events').select('svix_id').where('svix_id', 'in', svixIds).execute();
        const missing = svixIds.filter((id) => !found.some((r) => r.svix_id === id));
        for (const id of missing) console.error(`no stored event has svix-id ${id}`);
        await new InboxQueue(database).requeue(found.map((r) => r.svix_id));
        // Process here; if a running `serve` picks an event up first, that is just as good.
        const worker = new Worker({ database, process: syncTables, logger: createLogger('warn') });
        await worker.start();
        await worker.drain();
        await worker.stop();
        const rows = await database.db.selectFrom('clerk_webhook_events').select(['svix_id', 'type', 'status', 'last_error']).where('svix_id', 'in', svixIds).execute();
        for (const r of rows) console.log(`${r.svix_id} ${r.type} ${r.status}${r.last_error && r.status !== 'done' ? `  ${r.last_error}` : ''}`);
        if (missing.length > 0 || rows.some((r) => r.status === 'failed' || r.status === 'dead')) process.exitCode = 1;
      } finally {
        await database.close();
      }
    });
}
