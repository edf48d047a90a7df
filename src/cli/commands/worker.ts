import { Command, InvalidArgumentError, Option } from 'commander';
import { createLogger, type LogLevel } from '../../log.js';
import { openDatabase } from '../../store/database.js';
import { migrateToLatest } from '../../store/migrate.js';
import { syncTables } from '../../sync/sync-tables.js';
import { parseRetrySchedule } from '../../worker/retry-schedule.js';
import { Worker } from '../../worker/worker.js';
import { startRetentionJob } from '../../worker/retention-job.js';
import { MIN_RETENTION_MS } from '../../inbox/retention.js';
import { stopOnSignal } from '../shutdown.js';
import { retentionOption, batchSizeOption, concurrencyOption, dbOption, directUrlOption, logLevelOption, pgPoolModeOption, pgSchemaOption, pgSettings, positiveInt, retryScheduleOption, waitForDatabase } from '../options.js';

export function workerCommand(): Command {
  return new Command('worker')
    .description('process stored events only (run next to `serve --no-worker` receivers, any number of machines)')
    .addOption(dbOption())
    .addOption(pgPoolModeOption())
    .addOption(pgSchemaOption())
    .addOption(directUrlOption())
    .addOption(concurrencyOption(2))
    .addOption(batchSizeOption())
    .addOption(retryScheduleOption())
    .addOption(retentionOption())
    .addOption(new Option('--poll-interval <ms>', 'fallback poll when no notification arrives').default(1000).argParser(positiveInt('--poll-interval')))
    .addOption(logLevelOption())
    .addHelpText('after', `
Examples:
  $ clerk-sync worker --db postgres://app@db/app --concurrency 4
  $ DATABASE_URL=postgres://app@db/app clerk-sync worker --retry-schedule 10s,1m,10m,1h`)
    .action(async (opts) => {
      const logger = createLogger(opts.logLevel as LogLevel);
      const retrySchedule = parseRetrySchedule(opts.retrySchedule);
      if (opts.retention !== undefined && opts.retention < MIN_RETENTION_MS) throw new InvalidArgumentError('--retention must be at least 2d: Svix retries a delivery for about 28 hours, and a purged event that comes again is applied again');
      const database = await openDatabase(opts.db, { ...pgSettings(opts), logger, poolSize: opts.concurrency + 2 });
      await waitForDatabase(() => migrateToLatest(database), logger);
      const worker = new Worker({ database, process: syncTables, logger, retrySchedule, concurrency: opts.concurrency, batchSize: opts.batchSize, pollIntervalMs: opts.pollInterval });
      await worker.start();
      const retention = opts.retention === undefined ? null : startRetentionJob(database, opts.retention, logger);
      logger.info('clerk-sync worker started', { worker_id: worker.id, database: database.description, ...(database.poolMode ? { pg_pool_mode: database.poolMode } : {}), concurrency: opts.concurrency });
      stopOnSignal(logger, 'finishing in-flight batches', async () => {
        await retention?.stop();
        await worker.stop();
        await database.close();
      });
    });
}
