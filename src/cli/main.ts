#!/usr/bin/env node
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { createRequire } from 'node:module';
import { ConfigError } from '../clerk-sync.js';
import { backfillCommand } from './commands/backfill.js';
import { reconcileCommand } from './commands/reconcile.js';
import { backupCommand } from './commands/backup.js';
import { doctorCommand } from './commands/doctor.js';
import { eventsCommand } from './commands/events.js';
import { migrateCommand } from './commands/migrate.js';
import { purgeCommand } from './commands/purge.js';
import { replayCommand } from './commands/replay.js';
import { schemaCommand } from './commands/schema.js';
import { serveCommand } from './commands/serve.js';
import { triggerCommand } from './commands/trigger.js';
import { verifyCommand } from './commands/verify.js';
import { workerCommand } from './commands/worker.js';
import { DatabaseConfigError, explainConnectionError } from '../store/pg-url.js';
import { docsLink } from '../docs-link.js';

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

const program = new Command('clerk-sync')
  .description('Receive Clerk webhooks, verify and store them durably, and sync Clerk data into your SQL database.')
  .version(version)
  .showHelpAfterError('(run with --help for usage)')
  .addHelpText('after', `
Examples:
  $ clerk-sync serve --secret whsec_...                                  # receive, store, sync
  $ clerk-sync trigger signup --url http://localhost:8080/api/webhooks   # send realistic signed events
  $ clerk-sync doctor --url https://example.com/api/webhooks --secret whsec_...
  $ clerk-sync replay --status dead --since 2h
  $ CLERK_SECRET_KEY=sk_live_... clerk-sync backfill
  $ CLERK_SECRET_KEY=sk_live_... clerk-sync reconcile --dry-run          # what differs from Clerk, deletions included

Every command has --help with examples. All of them, in detail: ${docsLink('cli.md')}`)
  .addCommand(serveCommand())
  .addCommand(workerCommand())
  .addCommand(migrateCommand())
  .addCommand(triggerCommand())
  .addCommand(eventsCommand())
  .addCommand(replayCommand())
  .addCommand(purgeCommand())
  .addCommand(backupCommand())
  .addCommand(verifyCommand())
  .addCommand(doctorCommand())
  .addCommand(backfillCommand())
  .addCommand(reconcileCommand())
  .addCommand(schemaCommand());

// Commander's own parse errors (already printed) throw instead of exiting, so that usage errors
// exit 2 like the ones commands throw.
const overrideExit = (command: Command): void => {
  command.exitOverride();
  command.commands.forEach(overrideExit);
};
overrideExit(program);

try {
  await program.parseAsync();
} catch (error) {
  if (error instanceof CommanderError && !(error instanceof InvalidArgumentError)) {
    process.exit(error.exitCode === 0 ? 0 : 2);
  }
  // A database refused for its configuration (no such database, wrong password, TLS) is the
  // user's to fix, like a bad flag: say what and how, exit 2.
  const shown = explainConnectionError(error) ?? error;
  console.error(`clerk-sync: ${shown instanceof Error ? shown.message : String(shown)}`);
  process.exit(shown instanceof DatabaseConfigError || error instanceof CommanderError || error instanceof ConfigError ? 2 : 1);
}
