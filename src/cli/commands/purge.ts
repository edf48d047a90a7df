import { Command, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_PURGED_STATUSES, MIN_RETENTION_MS, purgeEvents, type PurgeableStatus } from '../../inbox/retention.js';
import { recordAction } from '../../store/audit-log.js';
import { createProgress } from '../progress.js';
import { dbOption, directUrlOption, duration, openExistingDatabase, pgPoolModeOption, pgSchemaOption, pgSettings } from '../options.js';

const PURGEABLE: readonly PurgeableStatus[] = ['done', 'skipped', 'dead'];

export function purgeCommand(): Command {
  return new Command('purge')
    .description('delete finished events (and their attempts) older than a duration from the inbox; recorded in the audit log')
    .addOption(new Option('--older-than <duration>', 'events received longer ago than this: 30d, 12h, ...').makeOptionMandatory().argParser(duration('--older-than')))
    .addOption(new Option('--status <statuses>', `which finished events, comma separated (${PURGEABLE.join(', ')})`).default([...DEFAULT_PURGED_STATUSES], DEFAULT_PURGED_STATUSES.join(',')).argParser(statuses))
    .addOption(new Option('--dry-run', 'count what would go, delete nothing'))
    .addOption(new Option('--force', 'allow --older-than under 2 days (a purged event that Svix sends again is applied again, handlers included)'))
    .addOption(dbOption())
    .addOption(pgPoolModeOption())
    .addOption(pgSchemaOption())
    .addOption(directUrlOption())
    .addHelpText('after', `
Events still waiting (pending, failed) are never purged. To purge on a schedule, give serve or
worker --retention 30d instead.

Examples:
  $ clerk-sync purge --older-than 30d --dry-run
  $ clerk-sync purge --older-than 90d --status done,skipped,dead --db postgres://app@db/app`)
    .action(async (opts) => {
      if (opts.olderThan < MIN_RETENTION_MS && !opts.force) {
        throw new InvalidArgumentError('--older-than under 2d could purge events Svix still retries (for about 28 hours), which would then be applied again; pass --force if that is what you want');
      }
      const database = await openExistingDatabase(opts.db, pgSettings(opts));
      try {
        const before = Date.now() - opts.olderThan;
        const statuses = opts.status as PurgeableStatus[];
        if (opts.dryRun) {
          const { matched } = await purgeEvents(database, { before, statuses, dryRun: true });
          console.log(`${matched} event${matched === 1 ? '' : 's'} (${statuses.join(', ')}) received before ${new Date(before).toISOString()} would be purged`);
          return;
        }
        const progress = createProgress({ label: 'purge', unit: 'events' });
        let reported = 0;
        const { purged } = await purgeEvents(database, {
          before,
          statuses,
          onProgress: (done, total) => {
            progress.add(done - reported, total);
            reported = done;
          },
        });
        progress.done();
        if (purged > 0) await recordAction(database, { actor: 'cli', action: 'purge', target: `received before ${new Date(before).toISOString()}: ${statuses.join(', ')}`, count: purged });
        console.log(`purged ${purged} event${purged === 1 ? '' : 's'} (${statuses.join(', ')}) received before ${new Date(before).toISOString()}`);
      } finally {
        await database.close();
      }
    });
}

function statuses(value: string): PurgeableStatus[] {
  const list = value.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = list.filter((s) => !(PURGEABLE as readonly string[]).includes(s));
  if (unknown.length || list.length === 0) throw new InvalidArgumentError(`--status takes ${PURGEABLE.join(', ')} (waiting events are never purged), got "${value}"`);
  return list as PurgeableStatus[];
}
