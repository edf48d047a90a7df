#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { createRequire } from 'node:module';
import { ConfigError } from '../clerk-sync.js';
import { eventsCommand } from './commands/events.js';
import { migrateCommand } from './commands/migrate.js';
import { replayCommand } from './commands/replay.js';
import { serveCommand } from './commands/serve.js';
import { triggerCommand } from './commands/trigger.js';
import { workerCommand } from './commands/worker.js';

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

const program = new Command('clerk-sync')
  .description('Receive Clerk webhooks, verify and store them durably, and sync Clerk data into your SQL database.')
  .version(version)
  .showHelpAfterError('(run with --help for usage)')
  .addCommand(serveCommand())
  .addCommand(workerCommand())
  .addCommand(migrateCommand())
  .addCommand(triggerCommand())
  .addCommand(eventsCommand())
  .addCommand(replayCommand());

// Commander prints and exits on its own parse errors; what reaches here was thrown by a command.
try {
  await program.parseAsync();
} catch (error) {
  console.error(`clerk-sync: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(error instanceof CommanderError || error instanceof ConfigError ? 2 : 1);
}
