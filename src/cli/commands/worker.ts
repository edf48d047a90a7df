import { Command, Option } from 'commander';
import { createLogger, type LogLevel } from '../../log.js';
import { openDatabase } from '../../store/database.js';
import { migrateToLatest } from '../../store/migrate.js';
import { syncTables } from '../../sync/sync-tables.js';
import { DEFAULT_RETRY_SCHEDULE, parseRetrySchedule } from '../../worker/retry-schedule.js';
import { Worker } from '../../worker/worker.js';
import { stopOnSignal } from '../shutdown.js';
import { dbOption, directUrlOption, pgPoolModeOption, pgSettings, positiveInt, waitForDatabase } from '../options.js';

export function workerCommand(): Command {
  return new Command('worker')
    .description('process stored events only (run next to `serve --no-worker` receivers, any number of machines)')
    .addOption(dbOption())
    .addOption(pgPoolModeOption())
    .addOption(directUrlOption())
    .addOption(new Option('--concurrency <n>', 'batches processed at once, each on its own connection').env('CLERK_SYNC_CONCURRENCY').default(2).argParser(positiveInt('--concurrency')))
    .addOption(new Option('--batch-size <n>', 'events per transaction').env('CLERK_SYNC_BATCH_SIZE').argParser(positiveInt('--batch-size')))
    .addOption(new Option('--retry-schedule <delays>', 'delays between attempts before an event is dead').env('CLERK_SYNC_RETRY_SCHEDULE').default(DEFAULT_RETRY_SCHEDULE))
    .addOption(new Option('--poll-interval <ms>', 'fallback poll when no notification arrives').default(1000).argParser(positiveInt('--poll-interval')))
    .addOption(new Option('--log-level <level>', 'log verbosity').choices(['debug', 'info', 'warn', 'error', 'silent']).env('LOG_LEVEL').default('info'))
    .addHelpText('after', `
Examples:
  $ clerk-sync worker --db postgres://app@db/app --concurrency 4
  $ DATABASE_URL=postgres://app@db/app clerk-sync worker --retry-schedule 10s,1m,10m,1h`)
    .action(async (opts) => {
      const logger = createLogger(opts.logLevel as LogLevel);
      const retrySchedule = parseRetrySchedule(opts.retrySchedule);
      const database = await openDatabase(opts.db, { ...pgSettings(opts), logger, poolSize: opts.concurrency + 2 });
      await waitForDatabase(() => migrateToLatest(database), logger);
      const worker = new Worker({ database, process: syncTables, logger, retrySchedule, concurrency: opts.concurrency, batchSize: opts.batchSize, pollIntervalMs: opts.pollInterval });
      await worker.start();
      logger.info('clerk-sync worker started', { worker_id: worker.id, database: database.description, ...(database.poolMode ? { pg_pool_mode: database.poolMode } : {}), concurrency: opts.concurrency });
      stopOnSignal(logger, 'finishing in-flight batches', async () => {
        await worker.stop();
        await database.close();
      });
    });
}
