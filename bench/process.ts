/**
 * Processing throughput: a backlog of mixed Clerk events is put in the inbox, then one worker
 * applies it all. Measures events/s from the first claim to an empty queue.
 */
import { spawn } from 'node:child_process';
import { cliArgs } from './cli.js';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EVENT_TYPES, type ClerkEventType } from '../src/events/catalog.js';
import { eventFixture } from '../src/events/fixtures.js';
import { openDatabase, type Database } from '../src/store/database.js';
import { migrateToLatest } from '../src/store/migrate.js';
import { syncTables } from '../src/sync/sync-tables.js';
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
  /** CPU time per event (ms): the worker processes', and PostgreSQL's server processes' (local server only). */
  cpuMsPerEvent: { workers: number; server: number | null };
}

/** A mix weighted like real traffic: mostly user and session activity, some org and billing. */
const MIX: Array<[ClerkEventType, number]> = [
  ['user.created', 10], ['user.updated', 25], ['user.deleted', 2],
  ['session.created', 15], ['session.ended', 8],
  ['organization.created', 3], ['organization.updated', 4],
  ['organizationMembership.created', 8], ['organizationMembership.updated', 4], ['organizationMembership.deleted', 2],
  ['email.created', 10], ['organizationInvitation.created', 3], ['subscription.updated', 2],
];

/**
 * `count` events of the mix. Each has entities of its own, or, with `entities`, shares them with
 * the other events of its slot (the same user, their organization, ...), as a busy app's backlog
 * holds many events of the same users.
 */
export function mixedEvents(count: number, entities?: number): Array<{ svixId: string; type: string; body: string; entityId: string }> {
  const weighted = MIX.flatMap(([t, w]) => Array<ClerkEventType>(w).fill(t)).filter((t) => EVENT_TYPES.includes(t));
  const slots = entities ? Array.from({ length: entities }, () => new Map<string, string>()) : null;
  const out = [];
  for (let i = 0; i < count; i++) {
    const type = weighted[i % weighted.length]!;
    // A multiplicative hash spreads consecutive events over the slots, whatever their type.
    const event = eventFixture(type, slots ? { ids: slots[(Math.imul(i, 2654435761) >>> 0) % slots.length]! } : {});
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
 * or, with `workers` 0, one Worker inside this process. `workerUrl`: where the worker processes
 * connect, when not `url` (a pooler in front of it: the backlog is filled and counted over `url`,
 * so only the workers' traffic goes through the pooler); `poolerPid`: that pooler's process,
 * whose CPU time counts with the server's.
 */
export async function benchProcess(options: { url?: string; workerUrl?: string; poolerPid?: number; events?: number; entities?: number; workers?: number; concurrency?: number; label?: string } = {}): Promise<ProcessRow> {
  const count = options.events ?? 50_000;
  const dir = mkdtempSync(join(tmpdir(), 'clerk-sync-bench-'));
  const url = options.url ?? join(dir, 'process.db');
  const database = await openDatabase(url);
  try {
    await migrateToLatest(database);
    await fillBacklog(database, mixedEvents(count, options.entities));
    const processes = options.workers ?? 0;
    let peakRss = process.memoryUsage().rss;
    let seconds: number;
    let cpu: { workers: number; server: number | null };
    if (processes === 0) {
      const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);
      const worker = new Worker({ database, process: syncTables, logger: createLogger('warn') });
      const server = await serverCpu(database, options.poolerPid);
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      await worker.start();
      await worker.drain();
      seconds = (performance.now() - t0) / 1000;
      const used = process.cpuUsage(cpu0);
      cpu = { workers: (used.user + used.system) / 1000, server: await server.stop() };
      await worker.stop();
      clearInterval(sampler);
    } else {
      const r = await runWorkerProcesses(options.workerUrl ?? url, processes, options.concurrency ?? 4, database, count, options.poolerPid);
      seconds = r.seconds;
      peakRss = r.peakRss;
      cpu = r.cpuMs;
    }
    const done = await database.db.selectFrom('clerk_webhook_events').select((eb) => eb.fn.countAll().as('n')).where('status', 'in', ['done', 'skipped']).executeTakeFirstOrThrow();
    if (Number(done.n) !== count) throw new Error(`only ${done.n} of ${count} events were processed`);
    const perEvent = (ms: number) => Math.round((ms / count) * 1000) / 1000;
    return {
      database: options.label ?? database.dialect, workers: Math.max(processes, 1), events: count, seconds: Math.round(seconds * 100) / 100,
      eventsPerSec: Math.round(count / seconds), peakRssMb: Math.round(peakRss / 1048576),
      cpuMsPerEvent: { workers: perEvent(cpu.workers), server: cpu.server === null ? null : perEvent(cpu.server) },
    };
  } finally {
    await database.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Spawns `clerk-sync worker` processes and times them until every event is processed. */
async function runWorkerProcesses(url: string, n: number, concurrency: number, database: Database, count: number, poolerPid?: number): Promise<{ seconds: number; peakRss: number; cpuMs: { workers: number; server: number | null } }> {
  const children = Array.from({ length: n }, () =>
    spawn(process.execPath, [...cliArgs(), 'worker', '--db', url, '--concurrency', String(concurrency), '--log-level', 'warn', '--poll-interval', '50'], { stdio: ['ignore', 'ignore', 'inherit'] }),
  );
  let peakRss = 0;
  const workerCpu = new Map<number, number>();
  const sampler = setInterval(() => {
    for (const c of children) {
      try {
        const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${c.pid}/status`, 'utf8'))?.[1] ?? 0);
        peakRss = Math.max(peakRss, kb * 1024);
        workerCpu.set(c.pid!, cpuMsOf(c.pid!) ?? workerCpu.get(c.pid!) ?? 0);
      } catch {}
    }
  }, 100);
  const remaining = async () => Number((await database.db.selectFrom('clerk_webhook_events').select((eb) => eb.fn.countAll().as('n')).where('status', 'in', ['pending', 'failed']).executeTakeFirstOrThrow()).n);
  // Timing starts at the first processed event, so process start-up (tsx, connections) is excluded.
  while ((await remaining()) === count) await new Promise((r) => setTimeout(r, 5));
  const t0 = performance.now();
  const startLeft = await remaining();
  const server = await serverCpu(database, poolerPid);
  const workers0 = children.reduce((sum, c) => sum + (cpuMsOf(c.pid!) ?? 0), 0);
  // Polled slowly: counting the backlog is itself work for the server being measured.
  while ((await remaining()) > 0) await new Promise((r) => setTimeout(r, 250));
  const seconds = ((performance.now() - t0) / 1000) * (count / startLeft);
  const scale = count / startLeft;
  const cpuMs = { workers: (children.reduce((sum, c) => sum + (cpuMsOf(c.pid!) ?? 0), 0) - workers0) * scale, server: mapNull(await server.stop(), (ms) => ms * scale) };
  clearInterval(sampler);
  await Promise.all(children.map((c) => new Promise((r) => { c.on('exit', r); c.kill('SIGTERM'); })));
  return { seconds, peakRss, cpuMs };
}

/** user + system CPU time of a process so far (ms), from /proc; null once it has exited. */
function cpuMsOf(pid: number): number | null {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // clock ticks are 1/100 s on Linux
  } catch {
    return null;
  }
}

function mapNull<T, U>(v: T | null, f: (v: T) => U): U | null {
  return v === null ? null : f(v);
}

/**
 * CPU time that PostgreSQL's server processes for this database spend from now to stop(), read
 * from /proc (so only for a server on this machine; null otherwise). Backends are sampled while
 * they live, as pool connections come and go. A pooler's process (`poolerPid`) counts with them:
 * it is the server side's cost of a pooled connection.
 */
async function serverCpu(database: Database, poolerPid?: number): Promise<{ stop(): Promise<number | null> }> {
  if (database.dialect !== 'postgres') return { stop: async () => null };
  const { sql } = await import('kysely');
  const first = new Map<number, number>();
  const last = new Map<number, number>();
  let local = true;
  const sample = async () => {
    const { rows } = await sql<{ pid: number }>`select pid from pg_stat_activity where datname = current_database()`.execute(database.db);
    for (const { pid } of poolerPid === undefined ? rows : [...rows, { pid: poolerPid }]) {
      const ms = cpuMsOf(pid);
      if (ms === null) continue;
      if (!first.has(pid)) first.set(pid, ms);
      last.set(pid, ms);
    }
    if (rows.length > 0 && first.size === 0) local = false;
  };
  await sample();
  const timer = setInterval(() => void sample().catch(() => {}), 100);
  return {
    async stop() {
      clearInterval(timer);
      await sample();
      if (!local) return null;
      let total = 0;
      for (const [pid, ms] of last) total += ms - first.get(pid)!;
      return total;
    },
  };
}

export function processTable(rows: ProcessRow[]): string {
  const lines = ['| database | workers | events | seconds | events/s | peak RSS MB | CPU ms/event (workers + server) |', '|---|---:|---:|---:|---:|---:|---:|'];
  for (const r of rows) {
    const cpu = `${r.cpuMsPerEvent.workers}${r.cpuMsPerEvent.server === null ? '' : ` + ${r.cpuMsPerEvent.server}`}`;
    lines.push(`| ${r.database} | ${r.workers} | ${r.events} | ${r.seconds} | ${r.eventsPerSec} | ${r.peakRssMb} | ${cpu} |`);
  }
  return lines.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const events = Number(process.argv[2] ?? 50_000);
  const rows = [await benchProcess({ events, label: 'SQLite (in-process)' })];
  for (const workers of [1, 2, 4]) rows.push(await withPostgresDatabase((url) => benchProcess({ url, events, workers, label: 'PostgreSQL' })));
  console.log(processTable(rows));
}
