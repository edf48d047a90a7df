import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { renderSchema, schemaTables, SCHEMA_FORMATS, type SchemaFormat } from '../../tables/formats/index.js';
import { docsLink } from '../../docs-link.js';

const FORMATS = Object.keys(SCHEMA_FORMATS) as SchemaFormat[];

const HELP = `
Formats:
  drizzle-pg, drizzle-sqlite  Drizzle ORM tables and relations (pg-core / sqlite-core)
  prisma                      Prisma models, for a schema folder beside your schema.prisma
  kysely                      Kysely table interfaces and ClerkSyncTables
  sql-pg, sql-sqlite          the DDL, exactly as the migrations create it

Examples:
  $ clerk-sync schema --format drizzle-pg --out src/db/clerk-schema.ts
  $ clerk-sync schema --format prisma --out prisma/schema/clerk.prisma
  $ clerk-sync schema --format drizzle-pg --out src/db/clerk-schema.ts --check   # in CI: exit 1 when stale

The synced clerk_* tables only; --internal adds the inbox and clerk-sync's bookkeeping.
JSON columns are typed with clerk-sync/events types (payload of clerk_users is a User).
Regenerate after upgrading clerk-sync. Recipes: ${docsLink('querying.md')}`;

export function schemaCommand(): Command {
  return new Command('schema')
    .description('print the clerk_* tables as a Drizzle, Prisma, Kysely or SQL schema for your app')
    .addOption(
      new Option('--format <format>', `one of ${FORMATS.join(', ')}`).makeOptionMandatory().argParser((value) => {
        if (!(FORMATS as string[]).includes(value)) throw new InvalidArgumentError(`unknown format "${value}": use one of ${FORMATS.join(', ')}`);
        return value;
      }),
    )
    .option('--out <file>', 'write to this file instead of stdout')
    .option('--check', 'with --out: write nothing; exit 1 if the file differs from what would be written')
    .option('--internal', 'include the inbox (clerk_webhook_events, ...) and clerk-sync\'s own clerk_sync_* tables')
    .addHelpText('after', HELP)
    .action((opts: { format: SchemaFormat; out?: string; check?: boolean; internal?: boolean }) => {
      const text = renderSchema(opts.format, { internal: opts.internal });
      const tables = schemaTables({ internal: opts.internal }).length;
      if (opts.check) {
        if (!opts.out) throw new InvalidArgumentError('--check compares with a file: pass --out FILE too');
        let current: string | null = null;
        try {
          current = readFileSync(opts.out, 'utf8');
        } catch (error) {
          // Missing is reported below as stale; anything else is not this command's to guess at.
          if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new InvalidArgumentError(`cannot read ${opts.out}: ${(error as Error).message}`);
        }
        if (current === text) {
          console.error(`${opts.out} is up to date (${opts.format}, ${tables} tables)`);
          return;
        }
        console.error(`${opts.out} ${current === null ? 'does not exist' : 'is stale'}: run \`clerk-sync schema --format ${opts.format}${opts.internal ? ' --internal' : ''} --out ${opts.out}\` and commit the result`);
        process.exitCode = 1;
        return;
      }
      if (!opts.out) {
        process.stdout.write(text);
        return;
      }
      mkdirSync(dirname(opts.out), { recursive: true });
      writeFileSync(opts.out, text);
      console.error(`wrote ${tables} tables to ${opts.out} (${opts.format})`);
    });
}
