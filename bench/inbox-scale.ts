/**
 * The operator views on a large inbox: how fast `clerk-sync serve` answers the dashboard's and the
 * admin API's reads (overview stats, event lists and filters, one event, entity pages, /metrics)
 * when the inbox holds N events (1,000,000; 100,000 with --quick), on SQLite and on PostgreSQL,
 * and how long each one blocks the server's event loop.
 *
 * 1. A fresh database, migrated to the latest schema, is filled with N events directly in SQL (one
 *    transaction per 50,000 rows): received over the last 30 days, evenly spaced, the newest now,
 *    oldest first as they would have arrived; ~60% session.*, 20% user.updated, 10% user.created,
 *    5% organizationMembership.*, 5% others; 99.5% done, 0.3% failed (retry due in the future),
 *    0.1% dead, 0.1% pending; a ~2.4 KB body (Clerk's session.created example, its type and
 *    data.id swapped in); one attempt row per finished event; and 50,000 users in clerk_users,
 *    the ids the user.* events name. Then the statistics a long-running database would have:
 *    PostgreSQL `vacuum (analyze)` (what autovacuum does to an insert-mostly table: statistics
 *    and the visibility map that index-only scans need; the benchmark server runs with autovacuum
 *    off), SQLite `analyze` (clerk-sync itself never runs it; --no-analyze below measures that case:
 *    at 1,000,000 events the overview's stats then take seconds).
 * 2. `clerk-sync serve --no-worker` on that database, the admin API on (CLERK_SYNC_ADMIN_TOKEN),
 *    run from the sources through tsx (bench/cli.ts's compiled CLI would need `npm run build`; the
 *    loader costs start-up, not requests).
 * 3. Each view over HTTP with the bearer token, on one keep-alive connection: one warm-up, then
 *    `rounds` timed requests, median and max. While each timed request runs, a probe on a second
 *    connection sends `GET /healthz` (answered without the database) 2 ms after its previous answer
 *    and keeps the slowest answer: on SQLite, whose driver is synchronous, that is how long the
 *    view kept the event loop from answering anything else (a webhook delivery included).
 *
 * Alone: `node --import tsx bench/inbox-scale.ts [events=100000] [sqlite|postgres|both] [--explain] [--no-analyze]`
 * (--no-analyze: SQLite left without statistics, as clerk-sync leaves it).
 * `--explain` also prints every SQL statement each view runs (captured from the same src/
 * functions the routes call), timed alone, with its plan (SQLite `explain query plan`,
 * PostgreSQL `explain (analyze, buffers)`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { listeningPort } from './ingest.js';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, type CompiledQuery } from 'kysely';
import pg from 'pg';
import { eventFixture } from '../src/events/fixtures.js';
import { openDatabase, type Database } from '../src/store/database.js';
import { migrateToLatest } from '../src/store/migrate.js';
import { recountInbox } from '../src/store/migrations/010-inbox-rollups.js';
import { eventStats, backlogNow } from '../src/inbox/stats.js';
import { getEvent, listEvents } from '../src/inbox/browse.js';
import { listEntities, relatedRows } from '../src/admin/entities.js';
import { reconcileStatus, recentRuns, runningRun } from '../src/reconcile/runs.js';
import { withPostgresDatabase } from './pg.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const DAY = 86_400_000;
const SPAN_MS = 30 * DAY;
const BATCH = 50_000;
const USERS = 50_000;

export type InboxScaleDialect = 'sqlite' | 'postgres';

export interface InboxScaleRow {
  dialect: InboxScaleDialect;
  events: number;
  view: string;
  medianMs: number;
  maxMs: number;
  /** Slowest /healthz answer while the view's timed requests ran (or its wait until the server reset it). */
  probeMaxMs: number;
  /**
   * Probe requests the server reset instead of answering. Node's http server gives an idle
   * keep-alive connection 5 s (serve's keepAliveTimeout); when the event loop is blocked longer,
   * that timer fires on the loop's first turn after the block, before the request that arrived
   * meanwhile is read, and the connection is closed under it. A webhook delivery on a reused
   * connection would fail the same way (Svix retries it).
   */
  probeResets: number;
  /** Timed requests that failed (reset, or not 200), with the first error; their times are left out. */
  failed: number;
  error?: string;
}

/** How the database was filled, for the report. */
export interface InboxScaleSeed {
  dialect: InboxScaleDialect;
  events: number;
  seedSec: number;
  /** `analyze` (SQLite) / `vacuum (analyze)` (PostgreSQL). */
  analyzeSec: number;
  /** SQLite: the file; PostgreSQL: pg_database_size. */
  dbBytes: number;
  /** clerk_webhook_events with its indexes (and TOAST on PostgreSQL). */
  eventsBytes: number;
  attemptsBytes: number;
  bodyBytes: number;
  /** Spawn of `serve` to its "listening" line. */
  serveStartSec: number;
}

export interface InboxScaleOptions {
  dialect: InboxScaleDialect;
  events: number;
  rounds: number;
  onSeeded?: (seed: InboxScaleSeed) => void;
  /** Print the SQL of every view with its plan (see the file's comment), before the database goes. */
  explain?: boolean;
  /**
   * SQLite: run `analyze` after filling (default true). clerk-sync never runs it (nor `pragma
   * optimize`), so a production file has no sqlite_stat1 unless its operator ran one: false
   * measures that case.
   */
  sqliteAnalyze?: boolean;
}

// ---- the events: one deterministic generator for both databases

const B62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** Fixed width, so ids sort as their numbers do (digits < upper < lower case in ASCII), like Clerk's and Svix's time-ordered ids. */
function b62(n: number, width = 26): string {
  let s = '';
  do {
    s = B62[n % 62] + s;
    n = Math.floor(n / 62);
  } while (n > 0);
  return s.padStart(width, '0');
}

const userId = (k: number) => `user_2${b62(k)}`;
const OTHER_TYPES = ['organization.updated', 'email.created', 'organizationInvitation.created', 'waitlistEntry.created'];
const MEMBERSHIP_TYPES = ['organizationMembership.created', 'organizationMembership.updated', 'organizationMembership.deleted'];
const SESSION_TYPES = ['session.created', 'session.ended', 'session.removed'];
const FIRST_NAMES = ['James', 'Mary', 'Robert', 'Patricia', 'John', 'Jennifer', 'Michael', 'Linda', 'David', 'Elizabeth', 'William', 'Barbara', 'Richard', 'Susan', 'Joseph', 'Jessica', 'Thomas', 'Sarah', 'Charles', 'Karen', 'Daniel', 'Lisa', 'Matthew', 'Nancy', 'Anthony', 'Betty', 'Mark', 'Sandra', 'Donald', 'Margaret', 'Steven', 'Ashley', 'Andrew', 'Kimberly', 'Paul', 'Emily', 'Joshua', 'Donna', 'Kenneth', 'Michelle', 'Kevin', 'Carol', 'Brian', 'Amanda', 'Timothy', 'Melissa', 'Ronald', 'Deborah', 'George', 'Stephanie', 'Jason', 'Rebecca', 'Edward', 'Sharon', 'Jeffrey', 'Laura', 'Ryan', 'Cynthia', 'Jacob', 'Dorothy', 'Gary', 'Amy', 'Nicholas', 'Kathleen', 'Eric', 'Angela', 'Jonathan', 'Shirley', 'Stephen', 'Emma', 'Larry', 'Brenda', 'Justin', 'Pamela', 'Scott', 'Nicole', 'Brandon', 'Anna', 'Benjamin', 'Samantha', 'Samuel', 'Katherine', 'Gregory', 'Christine', 'Alexander', 'Debra', 'Patrick', 'Rachel', 'Frank', 'Carolyn', 'Raymond', 'Janet', 'Jack', 'Maria', 'Dennis', 'Olivia', 'Jerry', 'Heather', 'Tyler', 'Grace'];
const LAST_NAMES = ['Smith', 'Johnson', 'Williams', 'Brown', 'Jones', 'Garcia', 'Miller', 'Davis', 'Rodriguez', 'Martinez', 'Hernandez', 'Lopez', 'Gonzalez', 'Wilson', 'Anderson', 'Thomas', 'Taylor', 'Moore', 'Jackson', 'Martin'];
const ERROR = 'connect ECONNREFUSED 10.0.0.5:5432';

/** A 32-bit multiplicative hash of i: the type and status of event i, the same on both databases. */
const hash = (i: number) => (i * 2654435761) % 4294967296;

interface SeedEvent {
  svixId: string;
  type: string;
  status: 'done' | 'failed' | 'dead' | 'pending';
  entityId: string;
  receivedAt: number;
  nextAttemptAt: number;
  processedAt: number | null;
  attempts: number;
  lastError: string | null;
}

function seedEvent(i: number, n: number, now: number): SeedEvent {
  const h = hash(i);
  const t = h % 1000;
  const s = Math.floor(h / 1000) % 1000;
  let type: string;
  let entityId: string;
  if (t < 600) {
    type = SESSION_TYPES[t % 3]!;
    entityId = `sess_2${b62(i)}`;
  } else if (t < 900) {
    type = t < 800 ? 'user.updated' : 'user.created';
    entityId = userId(i % USERS);
  } else if (t < 950) {
    type = MEMBERSHIP_TYPES[t % 3]!;
    entityId = `orgmem_2${b62(i)}`;
  } else {
    type = OTHER_TYPES[t % 4]!;
    entityId = `${['org', 'ema', 'orginv', 'wle'][t % 4]}_2${b62(i % 5000)}`;
  }
  const status = s < 3 ? 'failed' : s === 3 ? 'dead' : s === 4 ? 'pending' : 'done';
  const receivedAt = now - Math.floor(((n - 1 - i) * SPAN_MS) / n);
  const finished = receivedAt + 3;
  return {
    svixId: `msg_2${b62(i)}`,
    type,
    status,
    entityId,
    receivedAt,
    nextAttemptAt: status === 'failed' ? now + 60_000 + (i % 600) * 1000 : status === 'pending' ? receivedAt : finished,
    processedAt: status === 'pending' ? null : finished,
    attempts: status === 'pending' ? 0 : 1,
    lastError: status === 'failed' || status === 'dead' ? ERROR : null,
  };
}

/** Clerk's session.created example (~2.4 KB), with the type and data.id to fill in. */
function bodyTemplate(): string {
  const fixture = eventFixture('session.created') as { data: { id: string } };
  const text = JSON.stringify(fixture);
  return text.replace('"type":"session.created"', '"type":"__TYPE__"').replace(`"id":"${fixture.data.id}"`, '"id":"__ID__"');
}
const body = (template: string, e: SeedEvent) => template.replace('__TYPE__', e.type).replace('__ID__', e.entityId);

function seedUser(k: number, now: number) {
  const h = hash(k + 7);
  const first = FIRST_NAMES[h % FIRST_NAMES.length]!;
  const last = LAST_NAMES[Math.floor(h / 100) % LAST_NAMES.length]!;
  const createdAt = now - SPAN_MS * 3 + Math.floor((k * SPAN_MS * 3) / USERS);
  return { id: userId(k), first, last, email: `${first}.${last}${k}@example.com`.toLowerCase(), createdAt, updatedAt: createdAt + (h % DAY) };
}

/** What the views ask for: ids that exist. */
interface Targets {
  /** An event of a user that is in clerk_users (its detail page has a related row). */
  svixId: string;
  /** The user of the newest user.* event. */
  entityId: string;
  firstName: string;
}

function targets(n: number, now: number): Targets {
  let entityId = '';
  for (let i = n - 1; i >= 0 && !entityId; i--) if (seedEvent(i, n, now).type.startsWith('user.')) entityId = seedEvent(i, n, now).entityId;
  let svixId = '';
  for (let i = Math.floor(n / 2); i < n && !svixId; i++) if (seedEvent(i, n, now).type === 'user.updated') svixId = seedEvent(i, n, now).svixId;
  return { svixId, entityId, firstName: 'Grace' };
}

function progress(what: string, done: number, n: number, t0: number) {
  if (done % 100_000 === 0 || done === n) console.error(`    ${what}: ${done.toLocaleString('en-US')} of ${n.toLocaleString('en-US')} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
}

// ---- seeding, SQLite: better-sqlite3 directly, prepared statements, WAL as src/store/sqlite.ts opens it

function seedSqlite(path: string, n: number, now: number, analyze: boolean): { seedSec: number; analyzeSec: number } {
  const raw = new BetterSqlite3(path);
  raw.pragma('journal_mode = WAL');
  // Only while filling: nothing here needs to survive a crash (serve reopens it with NORMAL and
  // the default cache). The bigger cache keeps the pages of the indexes with scattered keys
  // (entity, type, status) in memory: with the default 2 MB, 1,000,000 events took ~60 s, with
  // this 35-45 s on the benchmark VM.
  raw.pragma('synchronous = OFF');
  raw.pragma('cache_size = -524288');
  const insertEvent = raw.prepare(`insert into clerk_webhook_events (svix_id, type, status, event_timestamp, instance_id, entity_id, headers, body, received_at, attempts, next_attempt_at, processed_by, last_error, processed_at)
    values (?, ?, ?, ?, 'ins_bench', ?, '{}', ?, ?, ?, ?, ?, ?, ?)`);
  const insertAttempt = raw.prepare('insert into clerk_webhook_attempts (svix_id, attempt, started_at, duration_ms, outcome, error) values (?, 1, ?, 2, ?, ?)');
  const insertUser = raw.prepare('insert into clerk_users (id, instance_id, first_name, last_name, primary_email_address, created_at, updated_at) values (?, ?, ?, ?, ?, ?, ?)');
  const template = bodyTemplate();
  const t0 = performance.now();
  const batch = raw.transaction((from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const e = seedEvent(i, n, now);
      insertEvent.run(e.svixId, e.type, e.status, e.receivedAt - 40, e.entityId, body(template, e), e.receivedAt, e.attempts, e.nextAttemptAt, e.status === 'pending' ? null : 'bench', e.lastError, e.processedAt);
      if (e.status !== 'pending') insertAttempt.run(e.svixId, e.receivedAt + 1, e.status, e.lastError);
    }
  });
  for (let from = 0; from < n; from += BATCH) {
    batch(from, Math.min(n, from + BATCH));
    progress('events', Math.min(n, from + BATCH), n, t0);
  }
  raw.transaction(() => {
    for (let k = 0; k < USERS; k++) {
      const u = seedUser(k, now);
      insertUser.run(u.id, 'ins_bench', u.first, u.last, u.email, u.createdAt, u.updatedAt);
    }
  })();
  raw.pragma('wal_checkpoint(TRUNCATE)');
  const seedSec = (performance.now() - t0) / 1000;
  const t1 = performance.now();
  if (analyze) raw.exec('analyze');
  raw.pragma('wal_checkpoint(TRUNCATE)');
  const analyzeSec = (performance.now() - t1) / 1000;
  raw.close();
  return { seedSec, analyzeSec };
}

// ---- seeding, PostgreSQL: 50,000 rows a statement from arrays (unnest), the body built server-side

async function seedPostgres(url: string, n: number, now: number): Promise<{ seedSec: number; analyzeSec: number }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const template = bodyTemplate();
    const t0 = performance.now();
    for (let from = 0; from < n; from += BATCH) {
      const cols: unknown[][] = [[], [], [], [], [], [], [], [], []];
      for (let i = from; i < Math.min(n, from + BATCH); i++) {
        const e = seedEvent(i, n, now);
        const row = [e.svixId, e.type, e.status, e.entityId, e.receivedAt, e.nextAttemptAt, e.processedAt, e.attempts, e.lastError];
        row.forEach((v, c) => cols[c]!.push(v));
      }
      await client.query(
        `with r as (
           select * from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::bigint[], $7::bigint[], $8::int[], $9::text[])
             as r(svix_id, type, status, entity_id, received_at, next_attempt_at, processed_at, attempts, last_error)
         ), e as (
           insert into clerk_webhook_events (svix_id, type, status, event_timestamp, instance_id, entity_id, headers, body, received_at, attempts, next_attempt_at, processed_by, last_error, processed_at)
           select svix_id, type, status, received_at - 40, 'ins_bench', entity_id, '{}', replace(replace($10, '__TYPE__', type), '__ID__', entity_id),
                  received_at, attempts, next_attempt_at, case when status = 'pending' then null else 'bench' end, last_error, processed_at
             from r order by received_at
         )
         insert into clerk_webhook_attempts (svix_id, attempt, started_at, duration_ms, outcome, error)
         select svix_id, 1, received_at + 1, 2, status, last_error from r where status <> 'pending' order by received_at`,
        [...cols, template],
      );
      progress('events', Math.min(n, from + BATCH), n, t0);
    }
    const users = Array.from({ length: USERS }, (_, k) => seedUser(k, now));
    await client.query(
      `insert into clerk_users (id, instance_id, first_name, last_name, primary_email_address, created_at, updated_at)
       select id, 'ins_bench', f, l, e, c, u from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::bigint[]) as r(id, f, l, e, c, u)`,
      [users.map((u) => u.id), users.map((u) => u.first), users.map((u) => u.last), users.map((u) => u.email), users.map((u) => u.createdAt), users.map((u) => u.updatedAt)],
    );
    const seedSec = (performance.now() - t0) / 1000;
    const t1 = performance.now();
    await client.query('vacuum (analyze)');
    const analyzeSec = (performance.now() - t1) / 1000;
    return { seedSec, analyzeSec };
  } finally {
    await client.end();
  }
}

async function sizes(dialect: InboxScaleDialect, url: string): Promise<{ dbBytes: number; eventsBytes: number; attemptsBytes: number }> {
  if (dialect === 'sqlite') {
    const raw = new BetterSqlite3(url, { readonly: true });
    try {
      // The dbstat table is compiled into better-sqlite3's SQLite.
      const of = (prefix: string) => Number((raw.prepare(`select coalesce(sum(pgsize), 0) n from dbstat where name = ? or name in (select name from sqlite_master where tbl_name = ? and type = 'index')`).get(prefix, prefix) as { n: number }).n);
      return { dbBytes: statSync(url).size, eventsBytes: of('clerk_webhook_events'), attemptsBytes: of('clerk_webhook_attempts') };
    } finally {
      raw.close();
    }
  }
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query(`select pg_database_size(current_database())::bigint db, pg_total_relation_size('clerk_webhook_events')::bigint ev, pg_total_relation_size('clerk_webhook_attempts')::bigint at`);
    return { dbBytes: Number(rows[0].db), eventsBytes: Number(rows[0].ev), attemptsBytes: Number(rows[0].at) };
  } finally {
    await client.end();
  }
}

// ---- serve, and timing over HTTP

interface Serve {
  port: number;
  startSec: number;
  stop(): Promise<void>;
}

async function startServe(db: string, adminToken: string): Promise<Serve> {
  const t0 = performance.now();
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--host', '127.0.0.1', '--port', '0', '--db', db, '--no-worker'], {
    cwd: ROOT,
    env: { ...process.env, CLERK_WEBHOOK_SIGNING_SECRET: `whsec_${randomBytes(24).toString('base64')}`, CLERK_SYNC_ADMIN_TOKEN: adminToken, CLERK_SYNC_METRICS_TOKEN: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const port = await listeningPort(child);
  return {
    port,
    startSec: (performance.now() - t0) / 1000,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.on('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

function get(agent: http.Agent, port: number, path: string, headers: Record<string, string>): Promise<{ status: number; body: string; ms: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = http.get({ host: '127.0.0.1', port, path, agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), ms: performance.now() - t0 }));
      res.on('error', reject);
    });
    req.on('error', (error) => reject(new Error(`GET ${path}: ${error.message} after ${(performance.now() - t0).toFixed(0)} ms`, { cause: error })));
  });
}

/** `GET /healthz` on its own connection, 2 ms after each answer, until stopped; the slowest answer. */
function probe(port: number): { stop(): Promise<{ maxMs: number; resets: number }> } {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  let running = true;
  let max = 0;
  let resets = 0;
  const loop = (async () => {
    while (running) {
      const t0 = performance.now();
      try {
        max = Math.max(max, (await get(agent, port, '/healthz', {})).ms);
      } catch {
        // Reset by the server (see probeResets): it waited this long without an answer.
        max = Math.max(max, performance.now() - t0);
        resets++;
      }
      if (running) await new Promise((resolve) => setTimeout(resolve, 2));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      agent.destroy();
      return { maxMs: max, resets };
    },
  };
}

interface View {
  name: string;
  path: string;
  auth: boolean;
}

function views(t: Targets, cursor: string, now: number): View[] {
  const since7d = now - 7 * DAY;
  const since24h = now - DAY;
  const e = encodeURIComponent;
  return [
    { name: 'GET /healthz (the probe alone: its floor)', path: '/healthz', auth: false },
    { name: 'stats, default window (24 h)', path: '/api/admin/stats', auth: true },
    { name: 'overview 24h: stats?since=now-24h', path: `/api/admin/stats?since=${since24h}`, auth: true },
    { name: 'overview 7d: stats?since=now-7d', path: `/api/admin/stats?since=${since7d}`, auth: true },
    { name: 'overview: reconcile?limit=1', path: '/api/admin/reconcile?limit=1', auth: true },
    { name: 'events, first page (limit 50)', path: '/api/admin/events?limit=50', auth: true },
    { name: 'events, next page (cursor)', path: `/api/admin/events?limit=50&cursor=${e(cursor)}`, auth: true },
    { name: 'events?status=failed', path: '/api/admin/events?status=failed&limit=50', auth: true },
    { name: 'events?status=failed,dead (Failing card)', path: '/api/admin/events?status=failed,dead&limit=50', auth: true },
    { name: 'events?type=user.updated', path: '/api/admin/events?type=user.updated&limit=50', auth: true },
    { name: 'events?q=<user id>', path: `/api/admin/events?q=${e(t.entityId)}&limit=50`, auth: true },
    { name: 'events/<svix id>', path: `/api/admin/events/${e(t.svixId)}`, auth: true },
    { name: 'entities/users, first page', path: '/api/admin/entities/users?limit=50', auth: true },
    { name: `entities/users?q=${t.firstName}`, path: `/api/admin/entities/users?limit=50&q=${e(t.firstName)}`, auth: true },
    { name: 'entities/users?q=<user id>', path: `/api/admin/entities/users?limit=50&q=${e(t.entityId)}`, auth: true },
    { name: 'entities/users/<user id> (dashboard: limit=100)', path: `/api/admin/entities/users/${e(t.entityId)}?limit=100`, auth: true },
    { name: '/metrics', path: '/metrics', auth: false },
  ];
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const round1 = (x: number) => Math.round(x * 10) / 10;

async function timeViews(dialect: InboxScaleDialect, events: number, port: number, token: string, t: Targets, rounds: number, now: number): Promise<InboxScaleRow[]> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const bearer = { authorization: `Bearer ${token}` };
  try {
    const first = await get(agent, port, '/api/admin/events?limit=50', bearer);
    if (first.status !== 200) throw new Error(`events: ${first.status} ${first.body.slice(0, 500)}`);
    const cursor = (JSON.parse(first.body) as { nextCursor: string }).nextCursor;
    const rows: InboxScaleRow[] = [];
    for (const view of views(t, cursor, now)) {
      const headers = view.auth ? bearer : {};
      // A wrong answer here is the benchmark's mistake (a route, the token); a connection reset is measured below.
      const warm = await get(agent, port, view.path, headers).catch((e: Error) => ({ status: 0, body: e.message, ms: NaN }));
      if (warm.status !== 200 && warm.status !== 0) throw new Error(`${view.name}: ${view.path} answered ${warm.status}: ${warm.body.slice(0, 500)}`);
      const times: number[] = [];
      let probeMax = 0;
      let probeResets = 0;
      let failed = 0;
      let error: string | undefined;
      for (let r = 0; r < rounds; r++) {
        const p = probe(port);
        // The probe's first answer, so its connection is open before the clock starts.
        await new Promise((resolve) => setTimeout(resolve, 10));
        try {
          const res = await get(agent, port, view.path, headers);
          if (res.status !== 200) throw new Error(`answered ${res.status}: ${res.body.slice(0, 200)}`);
          times.push(res.ms);
        } catch (e) {
          failed++;
          error ??= (e as Error).message;
        }
        const probed = await p.stop();
        probeMax = Math.max(probeMax, probed.maxMs);
        probeResets += probed.resets;
      }
      const row: InboxScaleRow = {
        dialect, events, view: view.name, medianMs: times.length ? round1(median(times)) : NaN, maxMs: times.length ? round1(Math.max(...times)) : NaN,
        probeMaxMs: round1(probeMax), probeResets, failed, ...(error ? { error } : {}),
      };
      console.error(`    ${row.view}: median ${row.medianMs} ms, max ${row.maxMs} ms, probe max ${row.probeMaxMs} ms${probeResets ? ` (${probeResets} probe connection(s) reset)` : ''}${failed ? `; ${failed} failed: ${error}` : ''} (${(warm.body.length / 1024).toFixed(1)} KiB)`);
      rows.push(row);
    }
    return rows;
  } finally {
    agent.destroy();
  }
}

// ---- --explain: the SQL each view runs, captured from the same functions the routes call

async function explainViews(dialect: InboxScaleDialect, url: string, t: Targets, now: number): Promise<void> {
  let captured: CompiledQuery[] = [];
  const log = (event: { level: string; query: CompiledQuery }) => {
    if (event.level === 'query') captured.push(event.query);
  };
  const raw = dialect === 'sqlite' ? new BetterSqlite3(url, { readonly: true }) : null;
  const pool = dialect === 'postgres' ? new pg.Pool({ connectionString: url, max: 2 }) : null;
  const db = new Kysely<any>({ dialect: raw ? new SqliteDialect({ database: raw }) : new PostgresDialect({ pool: pool! }), log });
  const database = { db, dialect } as unknown as Database;
  const first = await listEvents(database, {}, { limit: 50 });
  const calls: Array<[string, () => Promise<unknown>]> = [
    ['stats, default window (24 h)', () => eventStats(database, { now })],
    ['overview 7d: stats?since=now-7d', () => eventStats(database, { since: now - 7 * DAY, now })],
    ['overview: reconcile?limit=1', () => Promise.all([recentRuns(database, 1, now), reconcileStatus(database, now), runningRun(database, now)])],
    ['events, first page (limit 50)', () => listEvents(database, {}, { limit: 50 })],
    ['events, next page (cursor)', () => listEvents(database, {}, { limit: 50, cursor: first.nextCursor })],
    ['events?status=failed', () => listEvents(database, { statuses: ['failed'] }, { limit: 50 })],
    ['events?status=failed,dead', () => listEvents(database, { statuses: ['failed', 'dead'] }, { limit: 50 })],
    ['events?type=user.updated', () => listEvents(database, { types: ['user.updated'] }, { limit: 50 })],
    ['events?q=<user id>', () => listEvents(database, { search: t.entityId }, { limit: 50 })],
    ['events/<svix id>', async () => relatedRows(database, (await getEvent(database, t.svixId))!.entity_id)],
    ['entities/users, first page', () => listEntities(database, 'users', { limit: 50 })],
    [`entities/users?q=${t.firstName}`, () => listEntities(database, 'users', { limit: 50, search: t.firstName })],
    ['entities/users?q=<user id>', () => listEntities(database, 'users', { limit: 50, search: t.entityId })],
    ['entities/users/<user id>', async () => [await relatedRows(database, t.entityId), await listEvents(database, { search: t.entityId }, { limit: 100 })]],
    ['/metrics', () => Promise.all([backlogNow(database, now), reconcileStatus(database, now)])],
  ];
  try {
    for (const [name, call] of calls) {
      captured = [];
      await call();
      console.log(`\n### ${dialect} ${name}\n`);
      for (const q of captured) {
        const params = q.parameters as unknown[];
        let ms: number;
        let plan: string;
        if (raw) {
          const stmt = raw.prepare(q.sql);
          const t0 = performance.now();
          if (stmt.reader) stmt.all(...params);
          else stmt.run(...params);
          ms = performance.now() - t0;
          plan = (raw.prepare(`explain query plan ${q.sql}`).all(...params) as Array<{ id: number; parent: number; detail: string }>)
            .map((r) => r.detail)
            .join('\n');
        } else {
          const res = await pool!.query(`explain (analyze, buffers) ${q.sql}`, params);
          plan = res.rows.map((r) => r['QUERY PLAN']).join('\n');
          ms = Number(/Execution Time: ([\d.]+)/.exec(plan)?.[1] ?? NaN);
        }
        // Reads of the small tables (reconcile runs, the users' siblings by primary key): one line each.
        if (!/clerk_webhook_events|clerk_webhook_attempts|"?clerk_users"?\s/.test(q.sql)) {
          console.log(`- ${ms.toFixed(1)} ms: \`${q.sql.replace(/\s+/g, ' ').slice(0, 120)}…\``);
          continue;
        }
        console.log(`- ${ms.toFixed(1)} ms (${params.map((p) => JSON.stringify(p)).join(', ').slice(0, 200)})\n\n\`\`\`sql\n${q.sql.replace(/\s+/g, ' ')}\n\`\`\`\n\`\`\`\n${plan}\n\`\`\``);
      }
    }
  } finally {
    await db.destroy();
  }
}

// ---- one database

/**
 * Migrates the empty database at `url` (a SQLite path or a PostgreSQL URL) and fills it as
 * described at the top, received up to `now`; exported to reproduce a large inbox by hand.
 */
export async function seedInbox(dialect: InboxScaleDialect, url: string, events: number, now: number, options: { sqliteAnalyze?: boolean } = {}): Promise<{ seedSec: number; analyzeSec: number }> {
  const database = await openDatabase(url);
  try {
    await migrateToLatest(database);
  } finally {
    await database.close();
  }
  console.error(`  ${dialect}: seeding ${events.toLocaleString('en-US')} events and ${USERS.toLocaleString('en-US')} users…`);
  const analyze = dialect === 'postgres' || options.sqliteAnalyze !== false;
  const seeded = dialect === 'sqlite' ? seedSqlite(url, events, now, analyze) : await seedPostgres(url, events, now);
  // Rows written around clerk-sync: its counters (migration 010) learn of them from one recount.
  const counted = await openDatabase(url);
  try {
    const t0 = performance.now();
    await recountInbox(counted.db);
    console.error(`  ${dialect}: counters recounted in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  } finally {
    await counted.close();
  }
  console.error(`  ${dialect}: seeded in ${seeded.seedSec.toFixed(1)} s; ${!analyze ? 'no analyze' : dialect === 'sqlite' ? 'analyze' : 'vacuum (analyze)'} ${seeded.analyzeSec.toFixed(1)} s`);
  return seeded;
}

async function benchOn(dialect: InboxScaleDialect, url: string, options: InboxScaleOptions): Promise<InboxScaleRow[]> {
  const { events } = options;
  const now = Date.now();
  // This VM is shared: say how busy it was, since every figure below moves with it.
  console.error(`  ${dialect}: load average ${loadavg().map((l) => l.toFixed(1)).join(' / ')} before seeding`);
  const seeded = await seedInbox(dialect, url, events, now, options);
  const t = targets(events, now);
  const token = randomBytes(32).toString('hex');
  const serve = await startServe(url, token);
  try {
    const size = await sizes(dialect, url);
    const seed: InboxScaleSeed = { dialect, events, ...seeded, ...size, bodyBytes: body(bodyTemplate(), seedEvent(events - 1, events, now)).length, serveStartSec: serve.startSec };
    console.error(`  ${dialect}: database ${(size.dbBytes / 2 ** 20).toFixed(0)} MiB (events ${(size.eventsBytes / 2 ** 20).toFixed(0)} MiB, attempts ${(size.attemptsBytes / 2 ** 20).toFixed(0)} MiB); serve listening after ${serve.startSec.toFixed(1)} s`);
    options.onSeeded?.(seed);
    const rows = await timeViews(dialect, events, serve.port, token, t, options.rounds, now);
    console.error(`  ${dialect}: load average ${loadavg().map((l) => l.toFixed(1)).join(' / ')} after the views`);
    await serve.stop();
    if (options.explain) await explainViews(dialect, url, t, Date.now());
    return rows;
  } finally {
    await serve.stop();
  }
}

export async function benchInboxScale(options: InboxScaleOptions): Promise<InboxScaleRow[]> {
  if (options.dialect === 'postgres') return withPostgresDatabase((url) => benchOn('postgres', url, options));
  const dir = mkdtempSync(join(tmpdir(), 'clerk-sync-bench-inbox-'));
  try {
    return await benchOn('sqlite', join(dir, 'inbox.db'), options);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const DIALECT_LABEL: Record<InboxScaleDialect, string> = { sqlite: 'SQLite', postgres: 'PostgreSQL' };

export function inboxScaleTable(rows: InboxScaleRow[]): string {
  const lines = ['| database | events | view | median ms | max ms | probe max ms |', '|---|---:|---|---:|---:|---:|'];
  for (const r of rows) {
    const probe = `${r.probeMaxMs}${r.probeResets ? ` (${r.probeResets} reset)` : ''}`;
    const view = r.failed ? `${r.view} (${r.failed} failed: ${r.error})` : r.view;
    lines.push(`| ${DIALECT_LABEL[r.dialect]} | ${r.events.toLocaleString('en-US')} | ${view} | ${r.medianMs} | ${r.maxMs} | ${probe} |`);
  }
  return lines.join('\n');
}

export function inboxSeedTable(seeds: InboxScaleSeed[]): string {
  const mib = (n: number) => (n / 2 ** 20).toFixed(0);
  const lines = ['| database | events | body bytes | seeded in s | statistics in s | database MiB | events table + indexes MiB | attempts MiB | serve ready in s |', '|---|---:|---:|---:|---:|---:|---:|---:|---:|'];
  for (const s of seeds) lines.push(`| ${DIALECT_LABEL[s.dialect]} | ${s.events.toLocaleString('en-US')} | ${s.bodyBytes} | ${s.seedSec.toFixed(1)} | ${s.analyzeSec.toFixed(1)} | ${mib(s.dbBytes)} | ${mib(s.eventsBytes)} | ${mib(s.attemptsBytes)} | ${s.serveStartSec.toFixed(1)} |`);
  return lines.join('\n');
}

/** For the summary: the slowest view's median per database, and the worst probe on SQLite. */
export function inboxScaleSummary(rows: InboxScaleRow[]): string {
  if (rows.length === 0) return 'n/a';
  const worst = (d: InboxScaleDialect) => {
    const of = rows.filter((r) => r.dialect === d);
    return of.length ? of.reduce((a, b) => (b.medianMs > a.medianMs ? b : a)) : null;
  };
  const parts = (['sqlite', 'postgres'] as const).map((d) => {
    const w = worst(d);
    return w ? `${DIALECT_LABEL[d]} ${w.medianMs} ms (${w.view})` : null;
  });
  const probe = Math.max(0, ...rows.filter((r) => r.dialect === 'sqlite').map((r) => r.probeMaxMs));
  return `slowest view: ${parts.filter(Boolean).join(', ')}; longest SQLite event-loop block ${probe} ms`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const events = Number(args.find((a) => /^\d+$/.test(a)) ?? 100_000);
  const which = args.find((a) => ['sqlite', 'postgres', 'both'].includes(a)) ?? 'both';
  const explain = args.includes('--explain');
  const sqliteAnalyze = !args.includes('--no-analyze');
  const rows: InboxScaleRow[] = [];
  const seeds: InboxScaleSeed[] = [];
  for (const dialect of ['sqlite', 'postgres'] as const) {
    if (which !== 'both' && which !== dialect) continue;
    rows.push(...(await benchInboxScale({ dialect, events, rounds: 3, explain, sqliteAnalyze, onSeeded: (s) => seeds.push(s) })));
  }
  console.log(`\n${inboxScaleTable(rows)}\n\n${inboxSeedTable(seeds)}\n\nsummary: ${inboxScaleSummary(rows)}`);
}
