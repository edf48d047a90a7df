/**
 * Processing throughput: a backlog of mixed Clerk events is put in the inbox, then one worker
 * applies it all. Measures events/s from the first claim to an empty queue.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EVENT_TYPES, type ClerkEventType } from '../src/events/catalog.js';
import { eventFixture } from '../src/events/fixtures.js';
import { openDatabase, type Database } from '../src/store/database.js';
import { migrateToLatest } from '../src/store/migrate.js';
import { syncTables } from '../src/sync/processor.js';
import { Worker } from '../src/worker/worker.js';
import { withPostgresDatabase } from './pg.js';
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

/**
 * `workers` separate `clerk-sync worker` processes (each its own event loop and connections),
 * or, with `workers` 0, one Worker inside this process.
 */
export async function benchProcess(options: { url?: string; events?: number; workers?: number; concurrency?: number; label?: string } = {}): Promise<ProcessRow> {
  const count = options.events ?? 50_000;
  const dir = mkdtempSync(join(tmpdir(), 'clerk-sync-bench-'));
  const url = options.url ?? join(dir, 'process.db');
  const database = await openDatabase(url);
  try {
    await migrateToLatest(database.db, database.dialect);
    await fillBacklog(database, mixedEvents(count));
    const processes = options.workers ?? 0;
    let peakRss = process.memoryUsage().rss;
    let seconds: number;
    if (processes === 0) {
      const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);
      const worker = new Worker({ database, process: syncTables, logger: createLogger('warn') });
      const t0 = performance.now();
      await worker.start();
      await worker.drain();
      seconds = (performance.now() - t0) / 1000;
      await worker.stop();
      clearInterval(sampler);
    } else {
      const r = await runWorkerProcesses(url, processes, options.concurrency ?? 4, database, count);
      seconds = r.seconds;
      peakRss = r.peakRss;
    }
    const done = await database.db.selectFrom('clerk_webhook_events').select((eb) => eb.fn.countAll().as('n')).where('status', 'in', ['done', 'skipped']).executeTakeFirstOrThrow();
    if (Number(done.n) !== count) throw new Error(`only ${done.n} of ${count} events were processed`);
    return { database: options.label ?? database.dialect, workers: Math.max(processes, 1), events: count, seconds: Math.round(seconds * 100) / 100, eventsPerSec: Math.round(count / seconds), peakRssMb: Math.round(peakRss / 1048576) };
  } finally {
    await database.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Spawns `clerk-sync worker` processes and times them until every event is processed. */
async function runWorkerProcesses(url: string, n: number, concurrency: number, database: Database, count: number): Promise<{ seconds: number; peakRss: number }> {
  const cli = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));
  const children = Array.from({ length: n }, () =>
    spawn(process.execPath, ['--import', 'tsx', cli, 'worker', '--db', url, '--concurrency', String(concurrency), '--log-level', 'warn', '--poll-interval', '50'], { stdio: ['ignore', 'ignore', 'inherit'] }),
  );
  let peakRss = 0;
  const sampler = setInterval(() => {
    for (const c of children) {
      try {
        const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${c.pid}/status`, 'utf8'))?.[1] ?? 0);
        peakRss = Math.max(peakRss, kb * 1024);
      } catch {}
    }
  }, 100);
  const remaining = async () => Number((await database.db.selectFrom('clerk_webhook_events').select((eb) => eb.fn.countAll().as('n')).where('status', 'in', ['pending', 'failed']).executeTakeFirstOrThrow()).n);
  // Timing starts at the first processed event, so process start-up (tsx, connections) is excluded.
  while ((await remaining()) === count) await new Promise((r) => setTimeout(r, 5));
  const t0 = performance.now();
  const startLeft = await remaining();
  while ((await remaining()) > 0) await new Promise((r) => setTimeout(r, 20));
  const seconds = ((performance.now() - t0) / 1000) * (count / startLeft);
  clearInterval(sampler);
  await Promise.all(children.map((c) => new Promise((r) => { c.on('exit', r); c.kill('SIGTERM'); })));
  return { seconds, peakRss };
}

export function processTable(rows: ProcessRow[]): string {
  const lines = ['| database | workers | events | seconds | events/s | peak RSS MB |', '|---|---:|---:|---:|---:|---:|'];
  for (const r of rows) lines.push(`| ${r.database} | ${r.workers} | ${r.events} | ${r.seconds} | ${r.eventsPerSec} | ${r.peakRssMb} |`);
  return lines.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const events = Number(process.argv[2] ?? 50_000);
  const rows = [await benchProcess({ events, label: 'SQLite (in-process)' })];
  for (const workers of [1, 2, 4]) rows.push(await withPostgresDatabase((url) => benchProcess({ url, events, workers, label: 'PostgreSQL' })));
  console.log(processTable(rows));
}
