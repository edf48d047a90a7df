/**
 * Processing throughput: a backlog of mixed Clerk events is put in the inbox, then one worker
 * applies it all. Measures events/s from the first claim to an empty queue.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EVENT_TYPES, type ClerkEventType } from '../src/events/catalog.js';
import { eventFixture } from '../src/events/fixtures.js';
import { openDatabase, type Database } from '../src/store/database.js';
import { migrateToLatest } from '../src/store/migrate.js';
import { syncTables } from '../src/sync/processor.js';
import { Worker } from '../src/worker/worker.js';
import { createLogger } from '../src/log.js';

export interface ProcessRow {
  database: string;
  workers: number;
  events: number;
  seconds: number;
  eventsPerSec: number;
  peakRssMb: number;
}

/** A mix weighted like real traffic: mostly user and session activity, some org and billing. */
const MIX: Array<[ClerkEventType, number]> = [
  ['user.created', 10], ['user.updated', 25], ['user.deleted', 2],
  ['session.created', 15], ['session.ended', 8],
  ['organization.created', 3], ['organization.updated', 4],
  ['organizationMembership.created', 8], ['organizationMembership.updated', 4], ['organizationMembership.deleted', 2],
  ['email.created', 10], ['organizationInvitation.created', 3], ['subscription.updated', 2],
];

export function mixedEvents(count: number): Array<{ svixId: string; type: string; body: string; entityId: string }> {
  const weighted = MIX.flatMap(([t, w]) => Array<ClerkEventType>(w).fill(t)).filter((t) => EVENT_TYPES.includes(t));
  const out = [];
  for (let i = 0; i < count; i++) {
    const type = weighted[i % weighted.length]!;
    const event = eventFixture(type);
    out.push({ svixId: `msg_backlog_${i}`, type, body: JSON.stringify(event), entityId: String((event.data as { id?: string }).id ?? '') });
  }
  return out;
}

export async function fillBacklog(database: Database, events: ReturnType<typeof mixedEvents>): Promise<void> {
  const now = Date.now();
  for (let i = 0; i < events.length; i += 500) {
    await database.db
      .insertInto('clerk_webhook_events')
      .values(events.slice(i, i + 500).map((e) => ({
        svix_id: e.svixId, type: e.type, status: 'pending' as const, event_timestamp: now, instance_id: null, entity_id: e.entityId,
        headers: '{}', body: e.body, received_at: now, next_attempt_at: now,
      })))
      .execute();
  }
}

export async function benchProcess(options: { url?: string; events?: number; workers?: number; label?: string } = {}): Promise<ProcessRow> {
  const count = options.events ?? 50_000;
  const dir = mkdtempSync(join(tmpdir(), 'clerk-sync-bench-'));
  const url = options.url ?? join(dir, 'process.db');
  const database = await openDatabase(url);
  try {
    await migrateToLatest(database.db, database.dialect);
    await fillBacklog(database, mixedEvents(count));
    let peakRss = process.memoryUsage().rss;
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);
    const workers = Array.from({ length: options.workers ?? 1 }, () => new Worker({ database, process: syncTables, concurrency: 1, logger: createLogger('warn') }));
    const t0 = performance.now();
    await Promise.all(workers.map((w) => w.start()));
    await Promise.all(workers.map((w) => w.drain()));
    const seconds = (performance.now() - t0) / 1000;
    await Promise.all(workers.map((w) => w.stop()));
    clearInterval(sampler);
    const done = await database.db.selectFrom('clerk_webhook_events').select((eb) => eb.fn.countAll().as('n')).where('status', 'in', ['done', 'skipped']).executeTakeFirstOrThrow();
    if (Number(done.n) !== count) throw new Error(`only ${done.n} of ${count} events were processed`);
    return { database: options.label ?? database.dialect, workers: workers.length, events: count, seconds: Math.round(seconds * 100) / 100, eventsPerSec: Math.round(count / seconds), peakRssMb: Math.round(peakRss / 1048576) };
  } finally {
    await database.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export function processTable(rows: ProcessRow[]): string {
  const lines = ['| database | workers | events | seconds | events/s | peak RSS MB |', '|---|---:|---:|---:|---:|---:|'];
  for (const r of rows) lines.push(`| ${r.database} | ${r.workers} | ${r.events} | ${r.seconds} | ${r.eventsPerSec} | ${r.peakRssMb} |`);
  return lines.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(processTable([await benchProcess({ events: Number(process.argv[2] ?? 50_000) })]));
}
