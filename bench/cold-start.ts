/**
 * Cold start: how long a fresh Node process takes to answer its first delivery, as a serverless
 * function's first request after a deploy or an idle spell. Each start is a new `node` running
 * cold-start-child.mjs on the compiled build, against a database that is already migrated; the
 * parent times it from spawn, the child from its own process start.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { eventFixture } from '../src/events/fixtures.js';
import { openDatabase } from '../src/store/database.js';
import { migrateToLatest } from '../src/store/migrate.js';
import { DIRECT_URL_ENV, POOL_MODE_ENV } from '../src/store/pool-mode.js';
import { cliArgs } from './cli.js';
import { withPostgresDatabase } from './pg.js';
import { withPgBouncer } from './pgbouncer.js';

const CHILD = fileURLToPath(new URL('./cold-start-child.mjs', import.meta.url));

export interface ColdStartRow {
  database: string;
  starts: number;
  /** Medians, ms. In the child, since its process began: its imports done, start() done, its answer ready. */
  importMs: number;
  readyMs: number;
  answerMs: number;
  /** Medians, ms, measured here from spawn: to the answer's line on stdout, and to the exit. */
  spawnToAnswerMs: number;
  spawnToExitMs: number;
  /** The slowest start, spawn to answer. */
  slowestMs: number;
}

interface Start {
  importMs: number;
  readyMs: number;
  answerMs: number;
  spawnToAnswerMs: number;
  spawnToExitMs: number;
}

/** One cold start: spawns `node args` (the child, or a script that prints a line as it does) and times it. */
function coldStart(args: string[]): Promise<Start> {
  // The child sees no pool-mode setting of this shell: a plain URL is detected as users' are.
  const env = { ...process.env };
  delete env[POOL_MODE_ENV];
  delete env[DIRECT_URL_ENV];
  const t0 = performance.now();
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let spawnToAnswerMs = 0;
  child.stdout.on('data', (d) => {
    if (spawnToAnswerMs === 0) spawnToAnswerMs = performance.now() - t0;
    out += d;
  });
  child.stderr.on('data', (d) => (err += d));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => {
      const spawnToExitMs = performance.now() - t0;
      try {
        const line = JSON.parse(out.trim().split('\n')[0]!) as { importMs: number; readyMs: number; answerMs: number; status: number };
        if (code !== 0 || line.status !== 200) throw new Error(`answered ${line.status}, exit code ${code}`);
        resolve({ importMs: line.importMs, readyMs: line.readyMs, answerMs: line.answerMs, spawnToAnswerMs, spawnToExitMs });
      } catch (error) {
        reject(new Error(`cold start (node ${args.slice(0, 2).join(' ')}) failed (${(error as Error).message}): ${out}${err}`));
      }
    });
  });
}

/** What a cold start runs against: a database URL or file, or nothing (Node alone, the floor). */
interface Target {
  label: string;
  database: string | null;
}

/** Node itself, starting and printing a line as the child does: the floor under every cold start on this machine. */
const BARE_NODE = 'const t = performance.now(); console.log(JSON.stringify({ importMs: t, readyMs: t, answerMs: t, status: 200 }))';

/**
 * `starts` cold starts of each target, taken in turn (bare node, SQLite, PostgreSQL, through
 * PgBouncer, and again), so that this VM's drift over a minute touches every row alike. The
 * databases are migrated first, as a deploy leaves them; afterwards every delivery must be
 * stored and processed: in serverless mode without `waitUntil`, as on AWS Lambda, the event is
 * applied before the answer, so that is in the time.
 */
export async function benchColdStart(options: { starts?: number } = {}): Promise<ColdStartRow[]> {
  const starts = options.starts ?? 10;
  cliArgs(); // builds dist/ once, which the child imports
  const dir = mkdtempSync(join(tmpdir(), 'clerk-sync-bench-'));
  try {
    return await withPostgresDatabase((url) => withPgBouncer(async (bouncer) => {
      const file = join(dir, 'cold.db');
      const targets: Target[] = [
        { label: 'bare node (prints a line: the floor)', database: null },
        { label: 'SQLite (a migrated file)', database: file },
        { label: 'PostgreSQL, direct', database: url },
        { label: 'PostgreSQL through PgBouncer (plain URL, detected)', database: bouncer.pooled(url) },
      ];
      const sqlite = await openDatabase(file);
      const postgres = await openDatabase(url);
      try {
        await migrateToLatest(sqlite);
        await migrateToLatest(postgres);
        // A provider's pooler is already running, with server connections open: one query
        // through it first, so the first cold start does not also pay for PgBouncer's own
        // connection to the server.
        const client = new pg.Client({ connectionString: bouncer.pooled(url) });
        await client.connect();
        await client.query('select 1');
        await client.end();
        const secret = `whsec_${randomBytes(24).toString('base64')}`;
        const runs = targets.map((): Start[] => []);
        for (let i = 0; i < starts; i++) {
          for (const [t, target] of targets.entries()) {
            const event = JSON.stringify(eventFixture('user.created'));
            runs[t]!.push(await coldStart(target.database === null ? ['-e', BARE_NODE] : [CHILD, target.database, secret, event]));
          }
        }
        // SQLite took `starts` deliveries; PostgreSQL as many directly and as many through PgBouncer.
        for (const [database, expected] of [[sqlite, starts], [postgres, 2 * starts]] as const) {
          const done = await database.db.selectFrom('clerk_webhook_events').select((eb) => eb.fn.countAll().as('n')).where('status', '=', 'done').executeTakeFirstOrThrow();
          if (Number(done.n) !== expected) throw new Error(`cold starts on ${database.description}: ${done.n} of ${expected} deliveries were processed`);
        }
        return targets.map((target, t) => summarize(target.label, runs[t]!));
      } finally {
        await sqlite.close();
        await postgres.close();
      }
    }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function summarize(label: string, runs: Start[]): ColdStartRow {
  const median = (key: keyof Start) => Math.round(runs.map((r) => r[key]).sort((a, b) => a - b)[Math.floor((runs.length - 1) / 2)]!);
  return {
    database: label, starts: runs.length,
    importMs: median('importMs'), readyMs: median('readyMs'), answerMs: median('answerMs'), spawnToAnswerMs: median('spawnToAnswerMs'), spawnToExitMs: median('spawnToExitMs'),
    slowestMs: Math.round(Math.max(...runs.map((r) => r.spawnToAnswerMs))),
  };
}

export function coldStartTable(rows: ColdStartRow[]): string {
  const lines = [
    '| database | cold starts | imports done ms | start() done ms | answered ms | spawn → answer printed ms | spawn → exit ms | slowest spawn → answer ms |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows) lines.push(`| ${r.database} | ${r.starts} | ${r.importMs} | ${r.readyMs} | ${r.answerMs} | ${r.spawnToAnswerMs} | ${r.spawnToExitMs} | ${r.slowestMs} |`);
  return lines.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(coldStartTable(await benchColdStart({ starts: Number(process.argv[2] ?? 10) })));
}
