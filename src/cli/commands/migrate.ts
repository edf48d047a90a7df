import { Command } from 'commander';
import { openDatabase } from '../../store/database.js';
import { migrateToLatest } from '../../store/migrate.js';
import { dbOption, directUrlOption, pgPoolModeOption, pgSchemaOption, pgSettings } from '../options.js';

export function migrateCommand(): Command {
  return new Command('migrate')
    .description('create or update the clerk_* tables (safe to run from several processes at once)')
    .addOption(dbOption())
    .addOption(pgPoolModeOption())
    .addOption(pgSchemaOption())
    .addOption(directUrlOption())
    .addHelpText('after', `
Examples:
  $ clerk-sync migrate --db postgres://app@db/app    # before a deploy; serve and worker also migrate at start
  $ clerk-sync migrate --db ./clerk-sync.db`)
    .action(async (opts) => {
      const database = await openDatabase(opts.db, pgSettings(opts));
      try {
        const results = await migrateToLatest(database);
        const applied = results.filter((r) => r.status === 'Success').map((r) => r.migrationName);
        console.log(applied.length ? `applied ${applied.join(', ')} to ${database.description}` : `${database.description} is up to date`);
      } finally {
        await database.close();
      }
    });
}
