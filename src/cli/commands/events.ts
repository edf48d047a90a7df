import { Command, Option } from 'commander';
import { openDatabase } from '../../store/database.js';
import type { EventStatus } from '../../store/schema.js';
import { dbOption, positiveInt } from '../options.js';

const STATUSES: EventStatus[] = ['pending', 'processing', 'done', 'failed', 'dead', 'skipped'];

function time(ms: number | null): string {
  return ms === null ? '-' : new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

export function eventsCommand(): Command {
  const events = new Command('events').description('inspect the stored webhook events (the inbox)');
  events
    .command('list')
    .description('list events, newest first')
    .addOption(dbOption())
    .addOption(new Option('--status <status>', 'only this status').choices(STATUSES))
    .option('--type <type>', 'only this event type, e.g. user.updated')
    .addOption(new Option('--limit <n>', 'at most n events').default(50).argParser(positiveInt('--limit')))
    .option('--json', 'print JSON lines')
    .action(async (opts) => {
      const database = await openDatabase(opts.db);
      try {
        let q = database.db
          .selectFrom('clerk_webhook_events')
          .select(['svix_id', 'type', 'status', 'attempts', 'received_at', 'entity_id', 'last_error'])
          .orderBy('received_at', 'desc')
          .orderBy('svix_id', 'desc')
          .limit(opts.limit);
        if (opts.status) q = q.where('status', '=', opts.status);
        if (opts.type) q = q.where('type', '=', opts.type);
        const rows = await q.execute();
        if (opts.json) {
          for (const r of rows) console.log(JSON.stringify(r));
          return;
        }
        if (rows.length === 0) return console.log('no events match');
        for (const r of rows) {
          const err = r.last_error ? `  ${r.last_error.slice(0, 80)}` : '';
          console.log(`${time(r.received_at)}  ${r.svix_id.padEnd(32)} ${r.type.padEnd(34)} ${r.status.padEnd(10)} ${String(r.attempts).padStart(2)}${err}`);
        }
      } finally {
        await database.close();
      }
    });
  events
    .command('show')
    .description('show one event: status, headers, payload, and every processing attempt')
    .argument('<svix-id>')
    .addOption(dbOption())
    .option('--json', 'print JSON')
    .action(async (svixId: string, opts) => {
      const database = await openDatabase(opts.db);
      try {
        const row = await database.db.selectFrom('clerk_webhook_events').selectAll().where('svix_id', '=', svixId).executeTakeFirst();
        if (!row) {
          console.error(`no stored event has svix-id ${svixId}; \`clerk-sync events list\` shows what is stored`);
          process.exitCode = 1;
          return;
        }
        const attempts = await database.db.selectFrom('clerk_webhook_attempts').selectAll().where('svix_id', '=', svixId).orderBy('id').execute();
        const headers = JSON.parse(row.headers) as Record<string, string>;
        let payload: unknown = row.body;
        try {
          payload = JSON.parse(row.body);
        } catch {}
        if (opts.json) return console.log(JSON.stringify({ ...row, headers, body: payload, attempt_log: attempts }, null, 2));
        console.log(`svix-id      ${row.svix_id}\ntype         ${row.type}\nstatus       ${row.status}\nattempts     ${row.attempts}`);
        console.log(`received     ${time(row.received_at)}\nprocessed    ${time(row.processed_at)}\nentity       ${row.entity_id ?? '-'}\ninstance     ${row.instance_id ?? '-'}`);
        if (row.status === 'failed') console.log(`next try     ${time(row.next_attempt_at)}`);
        if (row.last_error) console.log(`last error   ${row.last_error}`);
        console.log('\nheaders');
        for (const [k, v] of Object.entries(headers)) console.log(`  ${k}: ${v}`);
        console.log('\nattempts');
        if (attempts.length === 0) console.log('  none yet');
        for (const a of attempts) console.log(`  #${a.attempt}  ${time(a.started_at)}  ${a.outcome.padEnd(7)} ${a.duration_ms.toFixed(1)} ms${a.error ? `  ${a.error}` : ''}`);
        console.log(`\npayload\n${JSON.stringify(payload, null, 2)}`);
      } finally {
        await database.close();
      }
    });
  return events;
}
