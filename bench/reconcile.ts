/**
 * Reconcile: `clerk-sync reconcile` of N users (100,000; 10,000 with --quick) against a stand-in
 * for Clerk's Backend API on loopback (bench/reconcile-api.ts, in a process of its own), on
 * SQLite and on PostgreSQL. Two runs per database:
 *
 * 1. first run on an empty (migrated) database: every user is missing locally, all inserted;
 * 2. right after, with 1% of the users removed from the stand-in and 1% of the others updated:
 *    mostly "in sync", 1% "newer in Clerk" applied and 1% swept (deleted as user.deleted would),
 *    with `--max-deletes 2%`.
 *
 * Each run is the CLI as users run it, a child process: `node --import tsx src/cli/main.ts
 * reconcile --db ... --api-url <stand-in> --json` with CLERK_SECRET_KEY set. (The other sections
 * run the compiled CLI; this one runs the sources through tsx, whose loader adds to the RSS: the
 * same command with --help, measured here too, is that floor.) Timed from spawn to exit; peak RSS
 * is the child's VmHWM, polled from /proc until it exits. Every run is checked: the counts it
 * prints, and the live users in clerk_users afterwards. On PostgreSQL the tables are analyzed
 * between the two runs (the benchmark server runs with autovacuum off).
 *
 * Alone: `node --import tsx bench/reconcile.ts 20000` (default 10,000 users).
 */
import { fork, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { openDatabase } from '../src/store/database.js';
import { migrateToLatest } from '../src/store/migrate.js';
import { withPostgresDatabase } from './pg.js';
import type { ReconcileCounts } from '../src/reconcile/counts.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const SECRET_KEY = 'sk_test_bench_reconcile';
const INSTANCE_ID = 'ins_bench00000000000000000001';

export interface ReconcileRow {
  database: string;
  run: string;
  /** Users Clerk (the stand-in) listed. */
  users: number;
  seconds: number;
  usersPerSec: number;
  peakRssMib: number;
  /** user + system CPU time of the reconcile process, s. */
  cpuSec: number;
  applied: number;
  deleted: number;
  /** RSS (MiB) when a quarter, half, three quarters and all of the users were listed (from its progress lines): does memory grow with the users? */
  rssTrail: number[];
}

type Counts = ReconcileCounts;

interface Measured {
  seconds: number;
  peakRssMib: number;
  cpuSec: number;
  stdout: string;
  stderr: string;
  code: number | null;
  /** [percent of the users listed, RSS MiB then], at each progress line the CLI prints on stderr for users. */
  trace: Array<[number, number]>;
}

function procStatus(pid: number): { hwm: number; rss: number } | null {
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8');
    return { hwm: Number(/VmHWM:\s+(\d+)/.exec(s)?.[1] ?? 0), rss: Number(/VmRSS:\s+(\d+)/.exec(s)?.[1] ?? 0) };
  } catch {
    return null;
  }
}

function cpuMs(pid: number): number | null {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return null;
  }
}

/** `node --import tsx src/cli/main.ts ...args`, timed from spawn to exit, its peak RSS (VmHWM) polled until it exits. */
export function runCli(args: string[], env: Record<string, string> = {}, extraNodeArgs: string[] = [], timeoutMs = 600_000): Promise<Measured> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [...extraNodeArgs, '--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    let hwm = 0;
    let cpu = 0;
    const trace: Array<[number, number]> = [];
    // Piped, the CLI prints a plain progress line at most once a second ("users  25%  5000/20000 ..."), and the final one.
    child.stderr.on('data', (d: Buffer) => {
      const s = procStatus(child.pid!);
      for (const m of String(d).matchAll(/^users\s+(\d+)%/gm)) if (s && s.rss > 0) trace.push([Number(m[1]), s.rss / 1024]);
    });
    const sample = () => {
      const s = procStatus(child.pid!);
      if (!s) return;
      hwm = Math.max(hwm, s.hwm);
      cpu = cpuMs(child.pid!) ?? cpu;
    };
    const timer = setInterval(sample, 100);
    // VmHWM is the kernel's own high-water mark: polling it misses nothing but growth in the last
    // 20 ms before the exit.
    const fast = setInterval(() => {
      const s = procStatus(child.pid!);
      if (s) hwm = Math.max(hwm, s.hwm);
    }, 20);
    // A run that never ends (a listing that loops) is stopped as Ctrl-C would, then killed.
    const stop = setTimeout(() => {
      stderr += `\n[bench] still running after ${timeoutMs / 1000} s: stopped\n`;
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 15_000).unref();
    }, timeoutMs);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(stop);
      clearInterval(timer);
      clearInterval(fast);
      resolve({ seconds: (performance.now() - t0) / 1000, peakRssMib: Math.round(hwm / 1024), cpuSec: Math.round(cpu / 100) / 10, stdout, stderr, code, trace });
    });
  });
}

/** The stand-in in its own process; answers once it serves. */
export async function startStandIn(users: number) {
  const child = fork(fileURLToPath(new URL('./reconcile-api.ts', import.meta.url)), [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, BENCH_USERS: String(users), BENCH_SECRET_KEY: SECRET_KEY, BENCH_INSTANCE_ID: INSTANCE_ID },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ask = <T>(message?: object) =>
    new Promise<T>((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`the API stand-in exited (${code})`));
      child.once('exit', onExit);
      child.once('message', (m) => {
        child.off('exit', onExit);
        resolve(m as T);
      });
      if (message) child.send(message);
    });
  const ready = await ask<{ url: string; users: number; meanBytes: number }>();
  return {
    ...ready,
    mutate: (removeEvery: number, updateEvery: number) => ask<{ live: number; removed: number; updated: number }>({ cmd: 'mutate', removeEvery, updateEvery }),
    stop: () => new Promise<void>((r) => {
      if (child.exitCode !== null) return r();
      child.once('exit', () => r());
      child.send({ cmd: 'stop' });
    }),
  };
}

/** Counts the run printed (--json), for users; throws with its output when it failed. */
function usersCounts(m: Measured, what: string): Counts {
  if (m.code !== 0) throw new Error(`${what}: reconcile exited ${m.code}\n${m.stderr.slice(-4000)}\n${m.stdout.slice(-2000)}`);
  const out = JSON.parse(m.stdout) as { status: string; resources: Record<string, Counts> };
  if (out.status !== 'succeeded') throw new Error(`${what}: reconcile status ${out.status}\n${m.stderr.slice(-4000)}`);
  return out.resources.users!;
}

function check(what: string, got: Record<string, unknown>, want: Record<string, unknown>) {
  const wrong = Object.entries(want).filter(([k, v]) => got[k] !== v);
  if (wrong.length > 0) throw new Error(`${what}: ${wrong.map(([k, v]) => `${k} ${String(got[k])}, expected ${String(v)}`).join('; ')}`);
}

/** RSS (MiB) at the first progress line at or past 25, 50, 75 and 100% of the users. */
function trail(trace: Array<[number, number]>): number[] {
  return [25, 50, 75, 100].map((pct) => Math.round(trace.find(([at]) => at >= pct)?.[1] ?? NaN));
}

/** Mean size of a user's JSON as the stand-in serves it. */
let meanUserBytes = 0;

/** Both runs on one database (`url`, empty; a SQLite path or a PostgreSQL URL). */
async function benchOne(label: string, url: string, users: number): Promise<ReconcileRow[]> {
  // This process opens the database only between runs: on SQLite an open connection here would
  // run its own checkpoint thread beside the reconcile's.
  const run = async (text: string) => {
    const database = await openDatabase(url);
    try {
      return (await sql<{ n: number | string }>`${sql.raw(text)}`.execute(database.db)).rows;
    } finally {
      await database.close();
    }
  };
  const query = async (text: string) => Number((await run(text))[0]!.n);
  const database = await openDatabase(url);
  try {
    await migrateToLatest(database);
  } finally {
    await database.close();
  }
  const liveUsers = () => query('select count(*) as n from clerk_users where deleted_at is null');
  const renamed = () => query(`select count(*) as n from clerk_users where deleted_at is null and first_name like 'Renamed%'`);

  const rows: ReconcileRow[] = [];
  const api = await startStandIn(users);
  meanUserBytes = api.meanBytes;
  try {
    // Far longer than a run takes here (a few ms per user): only a run gone wrong meets it.
    const reconcile = (extra: string[] = []) => runCli(['reconcile', '--db', url, '--api-url', api.url, '--json', ...extra], { CLERK_SECRET_KEY: SECRET_KEY }, [], 120_000 + users * 10);
    const row = (run: string, m: Measured, listed: number, c: Counts): ReconcileRow => ({
      database: label, run, users: listed, seconds: Math.round(m.seconds * 10) / 10, usersPerSec: Math.round(listed / m.seconds),
      peakRssMib: m.peakRssMib, cpuSec: m.cpuSec, applied: c.missing_locally + c.newer_in_clerk, deleted: c.deleted, rssTrail: trail(m.trace),
    });

    console.error(`  ${label}: first run, ${users} users missing locally`);
    const first = await reconcile();
    const c1 = usersCounts(first, `${label}, first run`);
    check(`${label}, first run`, { ...c1, live: await liveUsers() }, { listed: users, missing_locally: users, in_sync: 0, failed: 0, deleted: 0, live: users });
    rows.push(row('first run: all missing here (inserts)', first, users, c1));

    // The PostgreSQL server of these benchmarks runs with autovacuum off (a CI setting): without
    // it, the 100,000 rows just inserted would have no statistics, and the sweep's chunked walk
    // over the stored ids becomes a full scan and sort per chunk (see
    // docs/reconcile-performance.md). By the next run a default server has analyzed them; so does this.
    if (label === 'PostgreSQL') await run('analyze');
    const { live, removed, updated } = await api.mutate(100, 100);
    console.error(`  ${label}: second run, ${removed} removed from Clerk, ${updated} updated`);
    const second = await reconcile(['--max-deletes', '2%']);
    const c2 = usersCounts(second, `${label}, second run`);
    check(`${label}, second run`, { ...c2, live: await liveUsers(), renamed: await renamed() }, {
      listed: live, in_sync: live - updated, newer_in_clerk: updated, missing_locally: 0, local_newer: 0, gone_from_clerk: removed, deleted: removed, failed: 0, live, renamed: updated,
    });
    rows.push(row('second run: 1% updated, 1% deleted', second, live, c2));
    return rows;
  } finally {
    await api.stop();
  }
}

export async function benchReconcile(options: { users: number }): Promise<{ rows: ReconcileRow[]; floor: Measured; meanUserBytes: number }> {
  const floor = await runCli(['reconcile', '--help']);
  if (floor.code !== 0) throw new Error(`reconcile --help exited ${floor.code}: ${floor.stderr}`);
  const dir = mkdtempSync(join(tmpdir(), 'clerk-sync-bench-reconcile-'));
  const rows: ReconcileRow[] = [];
  try {
    rows.push(...(await benchOne('SQLite', join(dir, 'reconcile.db'), options.users)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  rows.push(...(await withPostgresDatabase((url) => benchOne('PostgreSQL', url, options.users))));
  return { rows, floor, meanUserBytes };
}

export function reconcileTable(rows: ReconcileRow[]): string {
  const f = (n: number) => n.toLocaleString('en-US');
  const lines = [
    '| database | run | users listed | applied | deleted | seconds | users/s | peak RSS MiB | RSS at ¼ / ½ / ¾ / all of the users listed, MiB | CPU s (reconcile process) |',
    '|---|---|---:|---:|---:|---:|---:|---:|---|---:|',
  ];
  for (const r of rows) lines.push(`| ${r.database} | ${r.run} | ${f(r.users)} | ${f(r.applied)} | ${f(r.deleted)} | ${r.seconds} | ${f(r.usersPerSec)} | ${r.peakRssMib} | ${r.rssTrail.join(' / ')} | ${r.cpuSec} |`);
  return lines.join('\n');
}

/** The Summary's cell: users/s of each database's two runs, and the highest peak RSS. */
export function reconcileSummary(rows: ReconcileRow[]): string {
  if (rows.length === 0) return 'n/a';
  const f = (n: number) => n.toLocaleString('en-US');
  const of = (db: string) => rows.filter((r) => r.database === db).map((r) => f(r.usersPerSec)).join(' / ');
  return `SQLite ${of('SQLite')}, PostgreSQL ${of('PostgreSQL')}; peak RSS ${Math.max(...rows.map((r) => r.peakRssMib))} MiB`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const users = Number(process.argv[2] ?? 10_000);
  const { rows, floor } = await benchReconcile({ users });
  console.log(reconcileTable(rows));
  console.log(`\nfloor (reconcile --help through tsx): ${floor.peakRssMib} MiB, ${floor.seconds.toFixed(2)} s`);
}
