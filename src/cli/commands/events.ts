import { Command, Option } from 'commander';
import type { EventDetail, EventSummary } from '../../inbox/browse.js';
import { EVENT_STATUSES, getEvent, listEvents, MAX_PAGE_SIZE } from '../../inbox/browse.js';
import { recountCounters } from '../../inbox/recount.js';
import { recordAction } from '../../store/audit-log.js';
import type { RelatedRow } from '../../admin/wire.js';
import { printable, printableJson } from '../printable.js';
import { addFilterOptions, addRemoteOptions, filterFrom, remoteClient } from '../event-filter.js';
import { dbOption, directUrlOption, numberIn, openExistingDatabase, pgPoolModeOption, pgSchemaOption, pgSettings, positiveInt } from '../options.js';

function time(ms: number | null): string {
  return ms === null ? '-' : new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

function printList(events: EventSummary[], json: boolean): void {
  if (json) {
    for (const r of events) console.log(printableJson(JSON.stringify({ svix_id: r.svix_id, type: r.type, status: r.status, attempts: r.attempts, received_at: r.received_at, entity_id: r.entity_id, last_error: r.last_error })));
    return;
  }
  if (events.length === 0) return console.log('no events match');
  const line = (received: string, svixId: string, type: string, status: string, attempts: string, error: string) =>
    `${received.padEnd(20)}  ${svixId.padEnd(32)} ${type.padEnd(34)} ${status.padEnd(10)} ${attempts.padStart(8)}${error ? `  ${error}` : ''}`;
  // Column names for a person at a terminal; piped output stays one line per event.
  if (process.stdout.isTTY) console.log(line('RECEIVED', 'SVIX-ID', 'TYPE', 'STATUS', 'ATTEMPTS', 'LAST ERROR'));
  for (const r of events) {
    console.log(line(time(r.received_at), printable(r.svix_id), printable(r.type), r.status, String(r.attempts), r.last_error ? printable(r.last_error.slice(0, 80)) : ''));
  }
}

function printEvent(e: EventDetail, related: RelatedRow[] | null): void {
  const p = (v: string | null) => (v === null ? '-' : printable(v));
  console.log(`svix-id      ${p(e.svix_id)}\ntype         ${p(e.type)}\nstatus       ${e.status}\nattempts     ${e.attempts}`);
  console.log(`received     ${time(e.received_at)}\nprocessed    ${time(e.processed_at)}\nentity       ${p(e.entity_id)}\ninstance     ${p(e.instance_id)}`);
  if (e.status === 'failed') console.log(`next try     ${time(e.next_attempt_at)}`);
  if (e.last_error) console.log(`last error   ${p(e.last_error)}`);
  console.log('\nheaders');
  for (const [k, v] of Object.entries(e.headers)) console.log(`  ${p(k)}: ${p(v)}`);
  console.log('\nattempts');
  if (e.attempt_log.length === 0) console.log('  none yet');
  for (const a of e.attempt_log) console.log(`  #${a.attempt}  ${time(Number(a.started_at))}  ${a.outcome.padEnd(7)} ${Number(a.duration_ms).toFixed(1)} ms${a.error ? `  ${p(a.error)}` : ''}`);
  if (related?.length) {
    console.log('\nsynced rows');
    for (const r of related) console.log(`  ${r.table}: ${printableJson(JSON.stringify({ ...r.row, payload: undefined }))}`);
  }
  console.log(`\npayload\n${printableJson(JSON.stringify(e.payload, null, 2))}`);
}

const LIST_HELP = `
Examples:
  $ clerk-sync events list --status dead --since 2h
  $ clerk-sync events list --type user.updated,user.deleted --limit 200 --json
  $ clerk-sync events list --remote https://sync.example.com --status failed   # token: CLERK_SYNC_ADMIN_TOKEN`;

const SHOW_HELP = `
Examples:
  $ clerk-sync events show msg_2abc...
  $ clerk-sync events show msg_2abc... --remote https://sync.example.com --json`;

export function eventsCommand(): Command {
  const events = new Command('events').description('inspect the stored webhook events (the inbox), locally or on a running instance');
  const list = events
    .command('list')
    .description('list events, newest first')
    .addOption(dbOption())
    .addOption(pgPoolModeOption())
    .addOption(pgSchemaOption())
    .addOption(directUrlOption())
    .addOption(new Option('--limit <n>', `at most n events (1-${MAX_PAGE_SIZE})`).default(50).argParser((v) => numberIn('--limit', 1, MAX_PAGE_SIZE)(String(positiveInt('--limit')(v)))))
    .option('--json', 'print JSON lines');
  addFilterOptions(list);
  addRemoteOptions(list);
  list.addHelpText('after', LIST_HELP).action(async (opts) => {
    const filter = filterFrom(opts);
    const remote = remoteClient(opts);
    if (remote) return printList((await remote.listEvents(filter, { limit: opts.limit })).events, opts.json === true);
    const database = await openExistingDatabase(opts.db, pgSettings(opts));
    try {
      printList((await listEvents(database, filter, { limit: opts.limit })).events, opts.json === true);
    } finally {
      await database.close();
    }
  });

  const show = events
    .command('show')
    .description('show one event: status, headers, payload, and every processing attempt')
    .argument('<svix-id>')
    .addOption(dbOption())
    .addOption(pgPoolModeOption())
    .addOption(pgSchemaOption())
    .addOption(directUrlOption())
    .option('--json', 'print JSON');
  addRemoteOptions(show);
  show.addHelpText('after', SHOW_HELP).action(async (svixId: string, opts) => {
    const remote = remoteClient(opts);
    let event: EventDetail | null;
    let related: RelatedRow[] | null = null;
    if (remote) {
      try {
        ({ event, related } = await remote.showEvent(svixId));
      } catch (error) {
        if ((error as { code?: string }).code !== 'not_found') throw error;
        event = null;
      }
    } else {
      const database = await openExistingDatabase(opts.db, pgSettings(opts));
      try {
        event = await getEvent(database, svixId);
      } finally {
        await database.close();
      }
    }
    if (!event) {
      console.error(`no stored event has svix-id ${svixId}; \`clerk-sync events list\` shows what is stored`);
      process.exitCode = 1;
      return;
    }
    if (opts.json) return console.log(printableJson(JSON.stringify({ ...event, body: event.payload, ...(related ? { related } : {}) }, null, 2)));
    printEvent(event, related);
  });
  const recount = events
    .command('recount')
    .description("set the inbox's counters (the overview's totals, /metrics) from the events themselves; for rows written around clerk-sync")
    .addOption(dbOption())
    .addOption(pgPoolModeOption())
    .addOption(pgSchemaOption())
    .addOption(directUrlOption())
    .option('--activity', 'also rebuild the per-minute activity the overview charts, from the events and attempts still stored')
    .option('--json', 'print JSON');
  recount.addHelpText('after', RECOUNT_HELP).action(async (opts) => {
    const database = await openExistingDatabase(opts.db, pgSettings(opts));
    try {
      const result = await recountCounters(database, { activity: opts.activity === true });
      const changed = EVENT_STATUSES.filter((s) => result.before[s] !== result.after[s]);
      const corrected = changed.map((s) => `${s} ${result.before[s]} -> ${result.after[s]}`).join(', ');
      if (changed.length > 0) await recordAction(database, { actor: 'cli', action: 'recount', target: corrected, count: changed.length });
      if (opts.json) return console.log(JSON.stringify({ ...result, ms: Math.round(result.ms) }));
      const total = EVENT_STATUSES.reduce((n, s) => n + result.after[s], 0);
      const seconds = `${(result.ms / 1000).toFixed(1)} s`;
      if (changed.length === 0) console.log(`recounted ${total} events in ${seconds}: the counts were right (${EVENT_STATUSES.map((s) => `${s} ${result.after[s]}`).join(', ')})`);
      else console.log(`recounted ${total} events in ${seconds}; corrected ${corrected}`);
      if (result.activity) console.log('rebuilt the per-minute activity from the stored events and their attempts');
    } finally {
      await database.close();
    }
  });
  return events;
}

const RECOUNT_HELP = `
clerk-sync keeps the counters with every write it makes, in the same transaction. Rows written
into clerk_webhook_events by other means (by hand, a restore of the table alone, a process of a
version before the counters still running during an upgrade) leave them off: the overview and
/metrics then disagree with clerk-sync events list. This counts the inbox again in one transaction; while
it runs, receivers and workers wait (with --activity, per million events: about 13 s on SQLite and
6 s on PostgreSQL on a 2-core machine; the counts alone take less). A delivery that waits past
Svix's timeout is retried by Svix, not lost.

Examples:
  $ clerk-sync events recount
  $ clerk-sync events recount --activity --db postgres://app@db/app`;
