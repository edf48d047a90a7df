/**
 * Ingest over HTTP on loopback, with unique, correctly signed Clerk events (autocannon for the
 * maximum throughput, the open-loop client of steady-rate.ts for latency at a steady rate):
 * `clerk-sync serve` against the route Clerk's docs teach (Express + @clerk/backend + an upsert
 * per request) and against a ceiling that verifies and stores nothing; SQLite durability settings
 * side by side; and 1 or 2 receivers on PostgreSQL. Every target runs in its own process. For
 * each, max throughput and latency at a fixed 1,000 req/s, and a check that every event answered
 * 2xx is stored.
 */
import autocannon from 'autocannon';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { eventFixture } from '../src/events/fixtures.js';
import { signWebhook } from '../src/verify/index.js';
import { baselineCliArgs, INGEST_BASELINE } from './baseline.js';
import { cliArgs } from './cli.js';
import { withPostgresDatabase } from './pg.js';
import { steadyRate, type SteadyRequest } from './steady-rate.js';

export interface IngestRow {
  target: string;
  mode: string;
  reqPerSec: number;
  p50: number;
  p99: number;
  answered2xx: number;
  non2xx: number;
  /** Rows found afterwards; null for a target that stores nothing. */
  stored: number | null;
  lost: number | null;
  /** With a worker: events still to process when the load stopped, and how long they took. */
  backlog: number | null;
  drainSec: number | null;
  peakRssMb: number;
}

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const TSX = ['--import', 'tsx'];

/** A template event; each request swaps in a fresh svix-id and data.id and re-signs. */
export function requestFactory(secret: string): () => SteadyRequest {
  const template = JSON.stringify(eventFixture('user.created'));
  const userId = JSON.parse(template).data.id as string;
  let n = 0;
  const tag = randomBytes(4).toString('hex');
  return () => {
    n++;
    const body = template.replace(userId, `user_bench${tag}x${n}`);
    const signed = signWebhook(body, secret, { id: `msg_bench_${tag}_${n}` });
    return { path: '/api/webhooks', headers: { ...signed.headers, 'content-type': 'application/json' }, body };
  };
}

/**
 * Requests per second of load signed before the clock starts: above the fastest the bare server
 * has answered on this VM (30,408 req/s), so that no target's load generator signs during its
 * load (signing and building each request cost it 20-30 µs a request, measured with
 * bench/ingest-cpu.ts, CPU taken from the two cores every target shares).
 */
export const PRESIGNED_PER_SECOND = 35_000;

/**
 * `count` requests signed now, to send at maximum load: `take()` hands them out in order, and
 * signs more only past them (`signedDuringLoad` says how many: none, as long as `count` suffices).
 */
export function presignedRequests(secret: string, count: number): { take: () => SteadyRequest; signedDuringLoad: () => number } {
  const next = requestFactory(secret);
  const presigned = Array.from({ length: count }, next);
  let taken = 0;
  return {
    take: () => (taken < presigned.length ? presigned[taken++]! : (taken++, next())),
    signedDuringLoad: () => Math.max(0, taken - presigned.length),
  };
}

interface Server {
  port: number;
  child: ChildProcess;
  peakRss(): number;
  stop(): Promise<void>;
}

/** The port a spawned server prints (`"port":n` on stdout or stderr) once it listens; rejects if it exits first. */
export function listeningPort(child: ChildProcess): Promise<number> {
  let logs = '';
  child.stdout!.on('data', (d) => (logs += d));
  child.stderr!.on('data', (d) => (logs += d));
  return new Promise<number>((resolve, reject) => {
    const t = setInterval(() => {
      const m = /"port":\s*(\d+)/.exec(logs);
      if (m) {
        clearInterval(t);
        resolve(Number(m[1]));
      }
    }, 20);
    child.on('exit', () => {
      clearInterval(t);
      reject(new Error(`server exited: ${logs}`));
    });
  });
}

/** Spawns a server process and waits for it to print its port (`"port":n` on stdout or stderr). */
async function startServer(args: string[], secret: string): Promise<Server> {
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, CLERK_WEBHOOK_SIGNING_SECRET: secret }, stdio: ['ignore', 'pipe', 'pipe'] });
  const port = await listeningPort(child);
  let peak = 0;
  const sampler = setInterval(() => {
    try {
      peak = Math.max(peak, Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? 0) * 1024);
    } catch {}
  }, 100);
  return {
    port,
    child,
    peakRss: () => peak,
    stop: () =>
      new Promise((resolve) => {
        clearInterval(sampler);
        if (child.exitCode !== null) return resolve();
        child.on('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** At a steady rate, seconds of load before latencies count (see steadyRate): the same for every target. */
const WARM_UP_SEC = 2;

/**
 * Maximum throughput: autocannon, as many requests as `connections` keep in flight. A steady
 * rate: the open-loop client of steady-rate.ts after WARM_UP_SEC at that rate. Either way every
 * request is signed before the clock starts, as a load test replaying captured deliveries sends them.
 */
async function load(port: number, secret: string, mode: Mode, durationSec: number, connections: number): Promise<LoadResult> {
  if (mode !== 'max') {
    const warmUp = mode.rate * WARM_UP_SEC;
    const r = await steadyRate(port, Array.from({ length: warmUp + mode.rate * durationSec }, requestFactory(secret)), mode.rate, connections, warmUp);
    return { reqPerSec: r.reqPerSec, p50: r.p50, p99: r.p99, answered2xx: r.answered2xx, non2xx: r.non2xx + r.errors };
  }
  const requests = presignedRequests(secret, PRESIGNED_PER_SECOND * durationSec);
  const r = await new Promise<autocannon.Result>((resolve, reject) =>
    autocannon(
      { url: `http://127.0.0.1:${port}`, connections, duration: durationSec, requests: [{ setupRequest: (req: any) => ({ ...req, method: 'POST', ...requests.take() }) }] },
      (err, res) => (err ? reject(err) : resolve(res)),
    ),
  );
  if (requests.signedDuringLoad() > 0) console.error(`    (${requests.signedDuringLoad()} requests were signed during the load: raise PRESIGNED_PER_SECOND)`);
  return { reqPerSec: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, answered2xx: r['2xx'], non2xx: r.non2xx };
}

interface LoadResult {
  reqPerSec: number;
  p50: number;
  p99: number;
  answered2xx: number;
  non2xx: number;
}

type Mode = 'max' | { rate: number };
const modeLabel = (m: Mode) => (m === 'max' ? 'max' : `${m.rate} req/s`);

/** One SQLite-backed target: how to start it on a database file, and how to count what it stored. */
interface SqliteTarget {
  label: string;
  args(dbPath: string): string[];
  /** Table holding what it stores, or null when it stores nothing. */
  table: string | null;
  /** It also processes what it stores (an in-process worker). */
  processes?: boolean;
}

export const SQLITE_TARGETS: Record<string, SqliteTarget> = {
  serve: { label: 'clerk-sync serve (SQLite, with worker)', args: (db) => [...cliArgs(), 'serve', '--host', '127.0.0.1', '--port', '0', '--db', db], table: 'clerk_webhook_events', processes: true },
  serveBefore: { label: `clerk-sync serve (SQLite, with worker), before: commit ${INGEST_BASELINE}`, args: (db) => [...baselineCliArgs(), 'serve', '--host', '127.0.0.1', '--port', '0', '--db', db], table: 'clerk_webhook_events', processes: true },
  serveNoWorker: { label: 'clerk-sync serve --no-worker (SQLite)', args: (db) => [...cliArgs(), 'serve', '--host', '127.0.0.1', '--port', '0', '--db', db, '--no-worker'], table: 'clerk_webhook_events' },
  clerkDocsRoute: { label: "Clerk docs' route: Express + @clerk/backend + upsert", args: (db) => [...TSX, join(ROOT, 'bench/peers/clerk-docs-route.ts'), db], table: 'users' },
  bare: { label: 'bare node:http, verify only (stores nothing)', args: () => [...TSX, join(ROOT, 'bench/peers/bare-verify.ts')], table: null },
  durableFloor: { label: 'bare node:http, verify and store the raw body (SQLite, one key)', args: (db) => [...TSX, join(ROOT, 'bench/peers/durable-floor.ts'), db, 'keyed'], table: 'floor_events' },
  normalGroup: { label: 'receiver: synchronous=NORMAL, group commit (default)', args: (db) => [...TSX, join(ROOT, 'bench/peers/inbox-receiver.ts'), db, 'normal', 'group'], table: 'clerk_webhook_events' },
  normalSingle: { label: 'receiver: synchronous=NORMAL, one commit per request', args: (db) => [...TSX, join(ROOT, 'bench/peers/inbox-receiver.ts'), db, 'normal', 'single'], table: 'clerk_webhook_events' },
  fullGroup: { label: 'receiver: synchronous=FULL, group commit', args: (db) => [...TSX, join(ROOT, 'bench/peers/inbox-receiver.ts'), db, 'full', 'group'], table: 'clerk_webhook_events' },
  fullSingle: { label: 'receiver: synchronous=FULL, one commit per request', args: (db) => [...TSX, join(ROOT, 'bench/peers/inbox-receiver.ts'), db, 'full', 'single'], table: 'clerk_webhook_events' },
};

export async function benchIngestSqlite(target: SqliteTarget, options: { durationSec?: number; modes?: Mode[] } = {}): Promise<IngestRow[]> {
  const rows: IngestRow[] = [];
  for (const mode of options.modes ?? ['max', { rate: 1000 }]) {
    const dir = mkdtempSync(join(tmpdir(), 'clerk-sync-bench-'));
    const db = join(dir, 'bench.db');
    const secret = `whsec_${randomBytes(24).toString('base64')}`;
    const server = await startServer(target.args(db), secret);
    try {
      const result = await load(server.port, secret, mode, options.durationSec ?? 8, 32);
      const drain = target.processes ? await waitForDrain(db) : null;
      await server.stop();
      let stored: number | null = null;
      if (target.table) {
        const raw = new BetterSqlite3(db, { readonly: true });
        stored = (raw.prepare(`select count(*) n from ${target.table}`).get() as { n: number }).n;
        raw.close();
      }
      rows.push({ ...row(target.label, mode, [result], stored, server.peakRss()), backlog: drain?.backlog ?? null, drainSec: drain?.seconds ?? null });
    } finally {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return rows;
}

/**
 * Events left to process when the load stops, the seconds until the worker has none left, and
 * how many it still had after five minutes (`left`, 0 once drained).
 */
export async function waitForDrain(dbPath: string): Promise<{ backlog: number; seconds: number; left: number }> {
  const raw = new BetterSqlite3(dbPath, { readonly: true });
  const pending = raw.prepare("select count(*) n from clerk_webhook_events where status in ('pending', 'failed')");
  const count = () => (pending.get() as { n: number }).n;
  const backlog = count();
  const start = performance.now();
  while (count() > 0 && performance.now() - start < 300_000) await new Promise((r) => setTimeout(r, 100));
  const left = count();
  raw.close();
  return { backlog, seconds: Math.round((performance.now() - start) / 100) / 10, left };
}

/**
 * `receivers` × `clerk-sync serve --no-worker` on one PostgreSQL database, loaded side by side;
 * `before`: the CLI of the baseline commit (baseline.ts).
 */
export async function benchIngestPostgres(receivers: number, options: { durationSec?: number; modes?: Mode[]; before?: boolean } = {}): Promise<IngestRow[]> {
  const cli = options.before ? baselineCliArgs() : cliArgs();
  const label = `${receivers} × clerk-sync serve --no-worker (PostgreSQL)${options.before ? `, before: commit ${INGEST_BASELINE}` : ''}`;
  const rows: IngestRow[] = [];
  for (const mode of options.modes ?? ['max']) {
    await withPostgresDatabase(async (url) => {
      const secret = `whsec_${randomBytes(24).toString('base64')}`;
      // The first one migrates; the others then start on a ready schema.
      const servers: Server[] = [];
      for (let i = 0; i < receivers; i++) servers.push(await startServer([...cli, 'serve', '--host', '127.0.0.1', '--port', '0', '--db', url, '--no-worker'], secret));
      try {
        const perServer: Mode = mode === 'max' ? 'max' : { rate: Math.round(mode.rate / receivers) };
        const results = await Promise.all(servers.map((s) => load(s.port, secret, perServer, options.durationSec ?? 8, 32 / receivers)));
        const client = new pg.Client({ connectionString: url });
        await client.connect();
        const stored = (await client.query('select count(*)::int n from clerk_webhook_events')).rows[0].n as number;
        await client.end();
        rows.push(row(label, mode, results, stored, Math.max(...servers.map((s) => s.peakRss()))));
      } finally {
        await Promise.all(servers.map((s) => s.stop()));
      }
    });
  }
  return rows;
}

/** Several autocannon results run side by side: throughputs add up, latencies are the worst. */
function row(target: string, mode: Mode, results: LoadResult[], stored: number | null, peakRss: number): IngestRow {
  const answered2xx = results.reduce((n, r) => n + r.answered2xx, 0);
  return {
    target,
    mode: modeLabel(mode),
    reqPerSec: Math.round(results.reduce((n, r) => n + r.reqPerSec, 0)),
    p50: Math.max(...results.map((r) => r.p50)),
    p99: Math.max(...results.map((r) => r.p99)),
    answered2xx,
    non2xx: results.reduce((n, r) => n + r.non2xx, 0),
    stored,
    lost: stored === null ? null : Math.max(0, answered2xx - stored),
    backlog: null,
    drainSec: null,
    peakRssMb: Math.round(peakRss / 1048576),
  };
}

export function ingestTable(rows: IngestRow[]): string {
  const lines = ['| target | load | req/s | p50 ms | p99 ms | answered 2xx | non-2xx | stored | lost | left to process at the end | processed within s | peak RSS MB |', '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|'];
  for (const r of rows) {
    lines.push(`| ${r.target} | ${r.mode} | ${r.reqPerSec} | ${r.p50} | ${r.p99} | ${r.answered2xx} | ${r.non2xx} | ${r.stored ?? 'n/a'} | ${r.lost ?? 'n/a'} | ${r.backlog ?? 'n/a'} | ${r.drainSec ?? 'n/a'} | ${r.peakRssMb} |`);
  }
  return lines.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const only = process.argv.slice(2);
  const rows: IngestRow[] = [];
  for (const [name, target] of Object.entries(SQLITE_TARGETS)) if (only.length === 0 || only.includes(name)) rows.push(...(await benchIngestSqlite(target)));
  if (only.length === 0 || only.includes('postgres')) for (const n of [1, 2]) rows.push(...(await benchIngestPostgres(n)));
  if (only.length === 0 || only.includes('postgresBefore')) rows.push(...(await benchIngestPostgres(1, { before: true })));
  console.log(ingestTable(rows));
}
