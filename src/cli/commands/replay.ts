import { Command, InvalidArgumentError, Option } from 'commander';
import type { AdminClient } from '../../admin/client.js';
import { listEvents, type EventFilter } from '../../inbox/browse.js';
import { replayEvents } from '../../inbox/replay.js';
import { createLogger } from '../../log.js';
import { type Database } from '../../store/database.js';
import { migrateToLatest } from '../../store/migrate.js';
import { syncTables } from '../../sync/sync-tables.js';
import { Worker } from '../../worker/worker.js';
import { describeAnswer, isSuccess, sendSigned } from '../delivery/send.js';
import { SVIX_TIMEOUT_MS } from '../delivery/svix-schedule.js';
import { addFilterOptions, addRemoteOptions, filterFrom, remoteClient } from '../event-filter.js';
import { dbOption, directUrlOption, duration, openExistingDatabase, pgPoolModeOption, pgSchemaOption, pgSettings, secretOption } from '../options.js';
import { printable } from '../printable.js';
import { createProgress } from '../progress.js';

const CHUNK = 500;

const HELP = `
Select events by svix-id, or by --status, --type, --since and --until (combined with AND), then:
  - by default, process them again here (idempotent: the sync guards keep newer data);
  - with --to <url>, re-deliver each stored raw body to another endpoint, re-signed with --secret
    (a fresh svix-timestamp, the original svix-id), oldest first, e.g. to replay production
    traffic into a development app;
  - with --remote <url>, have a running clerk-sync process them again (its admin API).

Examples:
  $ clerk-sync replay msg_2abc... msg_2def...
  $ clerk-sync replay --status dead --since 2h
  $ clerk-sync replay --type user.created --since 2026-01-01T00:00:00Z --dry-run
  $ clerk-sync replay --since 1d --to http://localhost:3000/api/webhooks --secret whsec_dev...
  $ clerk-sync replay --status dead --remote https://sync.example.com   # token: CLERK_SYNC_ADMIN_TOKEN

A progress bar goes to stderr (plain lines when it is not a terminal), one line per event to
stdout, a summary at the end. Exit code: 0 when every event was processed (or re-delivered with
a 2xx), 1 when any failed or an id was not found, 2 on usage errors.`;

/** Every selected svix-id, oldest first, read page by page through the inbox's shared filter. */
async function selectIds(database: Database, filter: EventFilter): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  do {
    const page = await listEvents(database, filter, { limit: CHUNK, cursor });
    for (const e of page.events) ids.push(e.svix_id);
    cursor = page.nextCursor;
  } while (cursor);
  return ids.reverse();
}

async function processLocally(database: Database, ids: string[]): Promise<boolean> {
  const progress = createProgress({ label: 'replay', total: ids.length });
  const selected = new Set(ids);
  const worker = new Worker({
    database,
    process: syncTables,
    logger: createLogger('silent'),
    onProcessed: (info) => {
      if (selected.delete(info.svixId)) progress.add(1);
    },
  });
  await worker.start();
  for (let i = 0; i < ids.length; i += CHUNK) {
    await replayEvents(database, { ids: ids.slice(i, i + CHUNK) }, { notify: () => worker.notify() });
  }
  // Processed here, or by a running `serve`: either way, wait until none of them is due.
  await worker.drain();
  await worker.stop();
  progress.done();

  const counts: Record<string, number> = {};
  for (let i = 0; i < ids.length; i += CHUNK) {
    const rows = await database.db.selectFrom('clerk_webhook_events').select(['svix_id', 'type', 'status', 'last_error']).where('svix_id', 'in', ids.slice(i, i + CHUNK)).execute();
    const byId = new Map(rows.map((r) => [r.svix_id, r]));
    for (const id of ids.slice(i, i + CHUNK)) {
      const r = byId.get(id);
      if (!r) continue;
      counts[r.status] = (counts[r.status] ?? 0) + 1;
      console.log(printable(`${r.svix_id} ${r.type} ${r.status}${r.last_error && r.status !== 'done' ? `  ${r.last_error}` : ''}`));
    }
  }
  const bad = (counts.failed ?? 0) + (counts.dead ?? 0);
  console.error(`replayed ${ids.length} event${ids.length === 1 ? '' : 's'}: ${Object.entries(counts).map(([s, n]) => `${n} ${s}`).join(', ')}${counts.failed ? ' (failed ones retry on the schedule)' : ''}`);
  return bad === 0;
}

async function redeliver(database: Database, ids: string[], options: { url: string; secret: string; timeoutMs: number }): Promise<boolean> {
  const progress = createProgress({ label: 'deliver', total: ids.length });
  let failed = 0;
  let duplicates = 0;
  const statuses: Record<string, number> = {};
  for (let i = 0; i < ids.length; i += CHUNK) {
    const chunk = ids.slice(i, i + CHUNK);
    // The raw body exactly as received: the signature covers its bytes.
    const rows = await database.db.selectFrom('clerk_webhook_events').select(['svix_id', 'type', 'body']).where('svix_id', 'in', chunk).execute();
    const byId = new Map(rows.map((r) => [r.svix_id, r]));
    for (const id of chunk) {
      const row = byId.get(id);
      if (!row) continue;
      const r = await sendSigned(row.body, { url: options.url, secret: options.secret, id: row.svix_id, timeoutMs: options.timeoutMs, headers: { 'user-agent': 'clerk-sync-replay' } });
      const label = r.status === null ? 'unreachable' : r.duplicate ? `${r.status} duplicate` : String(r.status);
      statuses[label] = (statuses[label] ?? 0) + 1;
      if (!isSuccess(r.status)) failed++;
      if (r.duplicate) duplicates++;
      progress.add(1);
      console.log(printable(`${row.svix_id} ${row.type} ${describeAnswer(r)}`));
    }
  }
  progress.done();
  console.error(`re-delivered ${ids.length} event${ids.length === 1 ? '' : 's'} to ${options.url}: ${Object.entries(statuses).map(([s, n]) => `${n} × ${s}`).join(', ') || 'none'}${failed ? `; ${failed} not answered 2xx` : ''}`);
  if (duplicates > 0) {
    console.error(`${duplicates} ${duplicates === 1 ? 'was' : 'were'} already stored there (same svix-id) and changed nothing; to process them again there, replay them where they are stored: \`clerk-sync replay <svix-id> --remote <that server>\``);
  }
  return failed === 0;
}

async function replayRemote(client: AdminClient, ids: string[], filter: EventFilter, onlyIds: boolean): Promise<boolean> {
  if (onlyIds) {
    let bad = 0;
    for (const id of ids) {
      try {
        const e = await client.replayEvent(id, { waitMs: 10_000 });
        if (e.status === 'failed' || e.status === 'dead') bad++;
        console.log(printable(`${e.svix_id} ${e.type} ${e.status}${e.last_error && e.status !== 'done' ? `  ${e.last_error}` : ''}`));
      } catch (error) {
        if ((error as { code?: string }).code !== 'not_found') throw error;
        console.error(`no stored event has svix-id ${id} on ${client.baseUrl}`);
        bad++;
      }
    }
    return bad === 0;
  }
  const progress = createProgress({ label: 'requeue', total: null });
  let shown = 0;
  const job = await client.replayMatching(filter, (j) => {
    progress.add(j.requeued - shown, j.total);
    shown = j.requeued;
  });
  progress.done();
  console.error(`${client.baseUrl} queued ${job.requeued} of ${job.total} matching events again (job ${job.id}); its workers process them. \`clerk-sync events list --remote ...\` shows the outcome.`);
  return true;
}

export function replayCommand(): Command {
  const command = new Command('replay')
    .description('process stored events again, or re-deliver them re-signed to another URL')
    .argument('[svix-id...]', 'svix-id of each event to replay (or select with the options below)')
    .addOption(dbOption())
    .addOption(pgPoolModeOption())
    .addOption(pgSchemaOption())
    .addOption(directUrlOption())
    .option('--all', 'every stored event (instead of ids or a filter)')
    .option('--to <url>', 're-deliver each selected event to this endpoint instead of processing it here')
    .addOption(secretOption('with --to: the secret the target verifies with (whsec_...)'))
    .addOption(new Option('--timeout <duration>', 'with --to: an attempt not answered within this fails').default(SVIX_TIMEOUT_MS, '15s').argParser(duration('--timeout')))
    .option('--dry-run', 'only list what would be replayed');
  addFilterOptions(command);
  addRemoteOptions(command);
  return command.addHelpText('after', HELP).action(async (svixIds: string[], opts) => {
    const filter = filterFrom(opts, svixIds);
    const hasFilter = Object.keys(filter).length > 0;
    if (!hasFilter && !opts.all) throw new InvalidArgumentError('say which events: svix-ids, or --status/--type/--since/--until, or --all for every stored event');
    if (opts.to) {
      try {
        const u = new URL(opts.to);
        if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error();
      } catch {
        throw new InvalidArgumentError(`--to must be an http(s) URL such as http://localhost:3000/api/webhooks, got "${opts.to}"`);
      }
      if (!opts.secret) throw new InvalidArgumentError('--to needs --secret (or CLERK_WEBHOOK_SIGNING_SECRET): the signing secret the target endpoint verifies with');
    }
    const remote = remoteClient(opts);
    if (remote) {
      if (opts.to) throw new InvalidArgumentError('--to re-delivers the raw bodies stored in --db; the admin API of --remote does not expose raw bodies. Run it where the database is reachable.');
      if (opts.dryRun) {
        console.log(`${await remote.countMatching(hasFilter ? filter : { since: 0 })} events match on ${remote.baseUrl}`);
        return;
      }
      const onlyIds = svixIds.length > 0 && Object.keys(filter).length === 1;
      if (!(await replayRemote(remote, svixIds, hasFilter ? filter : { since: 0 }, onlyIds))) process.exitCode = 1;
      return;
    }

    const database = await openExistingDatabase(opts.db, pgSettings(opts));
    try {
      await migrateToLatest(database);
      const ids = await selectIds(database, filter);
      const found = new Set(ids);
      const missing = svixIds.filter((id) => !found.has(id));
      for (const id of missing) console.error(`no stored event has svix-id ${id}${Object.keys(filter).length > 1 ? ' (or it does not match the other options)' : ''}`);
      if (missing.length) process.exitCode = 1;
      if (opts.dryRun) {
        console.log(`${ids.length} event${ids.length === 1 ? '' : 's'} match${ids.length === 1 ? 'es' : ''}`);
        for (const id of ids) console.log(printable(id));
        return;
      }
      if (ids.length === 0) {
        if (!missing.length) console.error('no stored event matches; nothing to replay');
        return;
      }
      const ok = opts.to
        ? await redeliver(database, ids, { url: opts.to, secret: String(opts.secret).split(/[\s,]+/).filter(Boolean)[0]!, timeoutMs: opts.timeout })
        : await processLocally(database, ids);
      if (!ok) process.exitCode = 1;
    } finally {
      await database.close();
    }
  });
}
