/**
 * Every query an operator view or the worker's claim runs, EXPLAINed on an inbox of 30,000
 * events: none may read the whole inbox or its attempt log (a full scan, or a sort of every
 * matching row). The queries are the ones the code runs: captured as they execute, so a new
 * query in a view is checked too. Timings at 1,000,000 events are in bench/inbox-scale.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CompiledQuery, type KyselyPlugin } from 'kysely';
import { listEntities, relatedRows } from '../src/admin/entities.js';
import { getEvent, listEvents } from '../src/inbox/browse.js';
import { InboxQueue } from '../src/inbox/queue.js';
import { backlogNow, eventStats } from '../src/inbox/stats.js';
import { reconcileStatus } from '../src/reconcile/runs.js';
import type { Database } from '../src/store/database.js';
import { migratedDatabaseUrl, testDialects, withDatabase } from './support/db.js';
import { seedInbox } from './support/seed-inbox.js';

const INBOX = /clerk_webhook_(events|attempts)\b/;

/** The database, with every query it compiles recorded (SQL and parameters) as it runs. */
function recording(database: Database): { database: Database; queries: CompiledQuery[] } {
  const queries: CompiledQuery[] = [];
  const executor = database.db.getExecutor();
  const plugin: KyselyPlugin = {
    transformQuery: (args) => {
      queries.push(executor.compileQuery(args.node, args.queryId));
      return args.node;
    },
    transformResult: async (args) => args.result,
  };
  return { database: { ...database, db: database.db.withPlugin(plugin) }, queries };
}

/**
 * What is wrong with a plan, on the inbox and its attempt log: a scan that is not cut short by a
 * LIMIT (or is, but feeds a sort of everything it read), a sequential scan on PostgreSQL. Index
 * lookups (SQLite's SEARCH, PostgreSQL's index conditions) are what every view should do.
 */
async function planProblems(database: Database, query: CompiledQuery): Promise<string[]> {
  if (!INBOX.test(query.sql)) return [];
  const limited = /\blimit\b/i.test(query.sql);
  if (database.dialect === 'sqlite') {
    const { rows } = await database.db.executeQuery<{ detail: string }>(CompiledQuery.raw(`explain query plan ${query.sql}`, [...query.parameters]));
    const details = rows.map((r) => r.detail);
    const scans = details.filter((d) => /^SCAN clerk_webhook_(events|attempts)\b/.test(d));
    const sorts = details.filter((d) => /USE TEMP B-TREE FOR (ORDER|GROUP) BY/.test(d));
    if (scans.length > 0 && (!limited || sorts.length > 0)) return [...scans, ...sorts];
    return [];
  }
  const { rows } = await database.db.executeQuery<{ 'QUERY PLAN': unknown }>(CompiledQuery.raw(`explain (format json) ${query.sql}`, [...query.parameters]));
  const problems: string[] = [];
  const walk = (node: Record<string, unknown>) => {
    const inbox = INBOX.test(String(node['Relation Name'] ?? ''));
    if (inbox && node['Node Type'] === 'Seq Scan') problems.push(`Seq Scan on ${node['Relation Name']}`);
    // The runnable index holds only the waiting events: reading all of it reads the backlog.
    else if (inbox && !limited && !node['Index Cond'] && node['Index Name'] !== 'clerk_webhook_events_runnable') problems.push(`${node['Node Type']} on ${node['Relation Name']} with no index condition`);
    for (const child of (node.Plans as Record<string, unknown>[] | undefined) ?? []) walk(child);
  };
  walk((rows[0]!['QUERY PLAN'] as Array<{ Plan: Record<string, unknown> }>)[0]!.Plan);
  return problems;
}

for (const dialect of testDialects()) {
  describe(`the operator views' queries read what they show, not the inbox [${dialect}]`, () => {
    it('lists, filters, search, one event, entities, overview, metrics and the claim: no full scan of the inbox', async () => {
      await withDatabase(await migratedDatabaseUrl(dialect), async (plain) => {
        const { entity, svixId } = await seedInbox(plain.db, dialect, 30_000);
        // The check itself finds a whole-inbox read where there is one.
        const wholeInbox = CompiledQuery.raw('select status, count(*) from clerk_webhook_events group by status', []);
        assert.notDeepEqual(await planProblems(plain, wholeInbox), [], 'a count by status over the inbox is a whole-inbox read');
        const { database, queries } = recording(plain);
        const views: Array<[string, () => Promise<unknown>]> = [
          ['events, first page', () => listEvents(database, {}, { limit: 50 })],
          ['events, next page', async () => listEvents(database, {}, { limit: 50, cursor: (await listEvents(plain, {}, { limit: 50 })).nextCursor })],
          ['events by status failed', () => listEvents(database, { statuses: ['failed'] }, { limit: 50 })],
          ['events by status dead', () => listEvents(database, { statuses: ['dead'] }, { limit: 50 })],
          ['events by type', () => listEvents(database, { types: ['user.created'] }, { limit: 50 })],
          ['events of an entity', () => listEvents(database, { search: entity }, { limit: 50 })],
          ['events by svix-id', () => listEvents(database, { search: svixId }, { limit: 50 })],
          ['events in a time range', () => listEvents(database, { since: Date.now() - 3 * 86_400_000, until: Date.now() - 86_400_000 }, { limit: 50 })],
          ['one event', () => getEvent(database, svixId)],
          ['an entity and its rows', () => relatedRows(database, entity)],
          ['users', () => listEntities(database, 'users', { search: 'ada' })],
          ['overview, 24 hours', () => eventStats(database)],
          ['overview, 7 days', () => eventStats(database, { since: Date.now() - 7 * 86_400_000 })],
          ['metrics: backlog', () => backlogNow(database)],
          ['metrics: reconcile', () => reconcileStatus(database)],
          ['the worker claim', () => database.db.transaction().execute((trx) => new InboxQueue(database).claim(trx, 64))],
        ];
        const problems: string[] = [];
        for (const [name, view] of views) {
          queries.length = 0;
          await view();
          assert.ok(queries.length > 0, `${name} ran no query through the recorder`);
          for (const query of queries) for (const p of await planProblems(plain, query)) problems.push(`${name}: ${p}\n    ${query.sql.replace(/\s+/g, ' ').slice(0, 200)}`);
        }
        assert.deepEqual(problems, [], `plans that read the whole inbox:\n  ${problems.join('\n  ')}`);

        // Several statuses are merged from a page of each: the pages are still the newest first, each event once.
        const all = await plain.db.selectFrom('clerk_webhook_events').select('svix_id').where('status', 'in', ['failed', 'dead', 'pending']).orderBy('received_at', 'desc').orderBy('svix_id', 'desc').execute();
        const paged: string[] = [];
        let cursor: string | null = null;
        do {
          const page = await listEvents(plain, { statuses: ['failed', 'dead', 'pending'] }, { limit: 7, cursor });
          paged.push(...page.events.map((e) => e.svix_id));
          cursor = page.nextCursor;
        } while (cursor);
        assert.ok(all.length > 100);
        assert.deepEqual(paged, all.map((r) => r.svix_id));
      });
    });
  });
}
