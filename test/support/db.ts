import { randomBytes } from 'node:crypto';
import { relative } from 'node:path';
import { describe } from 'node:test';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { openDatabase, type Database } from '../../src/store/database.js';
import type { DialectName } from '../../src/store/dialect.js';
import { migrateToLatest } from '../../src/store/migrate.js';
import { onFileEnd, tempDbPath } from './env.js';
import { PGBOUNCER, startPgBouncer, type PgBouncer } from './pgbouncer.js';
import { executable, need, postgresUserIfRoot, requireForFile } from './prerequisites.js';

/**
 * Where tests create their PostgreSQL databases; the server must be reachable (tests fail, never
 * skip). `npm test` (scripts/test.mjs) starts a throwaway server when nothing answers here.
 */
export const TEST_PG_URL = process.env.CLERK_SYNC_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** The targets CLERK_SYNC_TEST_DIALECTS lists, or `fallback` when it is not set. */
function listed(fallback: string): TestTarget[] {
  const list = (process.env.CLERK_SYNC_TEST_DIALECTS ?? fallback).split(',').map((s) => s.trim());
  return list.filter((d): d is TestTarget => d === 'sqlite' || d === 'postgres' || d === 'pgbouncer');
}

/** Both dialects unless narrowed, e.g. CLERK_SYNC_TEST_DIALECTS=sqlite for a quick local run. */
export function testDialects(): DialectName[] {
  return needing(listed('sqlite,postgres').filter((d): d is DialectName => d !== 'pgbouncer'));
}

/**
 * Where a suite runs: a dialect, or `pgbouncer`: PostgreSQL through a real PgBouncer in
 * transaction mode, reached by its plain URL (nothing tells clerk-sync it is pooled).
 */
export type TestTarget = DialectName | 'pgbouncer';

/** testDialects() and, unless CLERK_SYNC_TEST_DIALECTS leaves it out, `pgbouncer`. */
export function testTargets(): TestTarget[] {
  return needing(listed('sqlite,postgres,pgbouncer'));
}

/**
 * describe() for a suite that runs only on PostgreSQL, directly or through PgBouncer: when
 * CLERK_SYNC_TEST_DIALECTS leaves that target out (e.g. `=sqlite`), it registers nothing.
 */
export function describeOn(target: 'postgres' | 'pgbouncer', name: string, fn: () => void): void {
  if (!listed('sqlite,postgres,pgbouncer').includes(target)) return;
  needing([target]);
  describe(name, fn);
}

const checked = new Set<string>();
/**
 * What the targets a file runs on need is checked once per file, as it registers its tests: it
 * fails with one line if PostgreSQL could not be had (scripts/test.mjs puts the reason in
 * CLERK_SYNC_TEST_PG_UNAVAILABLE) or PgBouncer is not installed.
 */
function needing<T extends TestTarget>(targets: T[]): T[] {
  const file = process.argv[1] ? relative(fileURLToPath(new URL('../../', import.meta.url)), process.argv[1]) : 'this test file';
  const unavailable = process.env.CLERK_SYNC_TEST_PG_UNAVAILABLE;
  if (targets.some((t) => t !== 'sqlite') && unavailable && !checked.has('postgres')) {
    checked.add('postgres');
    requireForFile(`${file} (PostgreSQL tests; CLERK_SYNC_TEST_DIALECTS=sqlite leaves them out)`, need(() => `PostgreSQL: ${unavailable}`));
  }
  if (targets.includes('pgbouncer' as T) && !checked.has('pgbouncer')) {
    checked.add('pgbouncer');
    requireForFile(`${file} (PgBouncer tests; CLERK_SYNC_TEST_DIALECTS=sqlite,postgres leaves them out)`, executable(PGBOUNCER, 'PgBouncer', 'apt-get install pgbouncer'), postgresUserIfRoot());
  }
  return targets;
}

/** The SQL dialect a target speaks. */
export const dialectOf = (target: TestTarget): DialectName => (target === 'sqlite' ? 'sqlite' : 'postgres');

let bouncer: Promise<PgBouncer> | undefined;

/** One PgBouncer per test file, in front of the test server. */
export function testPgBouncer(): Promise<PgBouncer> {
  const server = new URL(TEST_PG_URL);
  return (bouncer ??= startPgBouncer({ host: server.hostname, port: Number(server.port || 5432) }));
}

/** A fresh, empty database of the given dialect, dropped when the test file ends. */
export async function freshDatabaseUrl(dialect: TestTarget): Promise<string> {
  if (dialect === 'sqlite') return tempDbPath();
  const name = `clerk_sync_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: TEST_PG_URL });
  try {
    await admin.connect();
  } catch (error) {
    throw new Error(`PostgreSQL tests need a server at ${TEST_PG_URL} (set CLERK_SYNC_TEST_PG, or CLERK_SYNC_TEST_DIALECTS=sqlite to run SQLite only): ${(error as Error).message}`);
  }
  await admin.query(`create database ${name}`);
  await admin.end();
  onFileEnd(async () => {
    const c = new pg.Client({ connectionString: TEST_PG_URL });
    await c.connect();
    await c.query(`drop database if exists ${name} with (force)`);
    await c.end();
  });
  if (dialect === 'pgbouncer') return (await testPgBouncer()).url(name);
  const url = new URL(TEST_PG_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

/** freshDatabaseUrl() with clerk-sync's tables in it, as `clerk-sync migrate` leaves it. */
export async function migratedDatabaseUrl(target: TestTarget): Promise<string> {
  const url = await freshDatabaseUrl(target);
  const database = await openDatabase(url);
  try {
    await migrateToLatest(database);
  } finally {
    await database.close();
  }
  return url;
}

/** Opens the database at `url` for `fn`, and closes it after. */
export async function withDatabase<T>(url: string, fn: (database: Database) => Promise<T>): Promise<T> {
  const database = await openDatabase(url);
  try {
    return await fn(database);
  } finally {
    await database.close();
  }
}

/**
 * A fresh database where PostgreSQL detects deadlocks after 20 ms instead of 1 s: tests whose
 * workers race (a deadlock fails an event, its quick retry applies it) stay short.
 */
export async function freshDatabaseWithQuickDeadlocks(target: TestTarget): Promise<string> {
  const url = await freshDatabaseUrl(target);
  if (target !== 'sqlite') {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const { rows } = await client.query<{ name: string }>('select current_database() as name');
    await client.query(`alter database "${rows[0]!.name}" set deadlock_timeout = '20ms'`);
    await client.end();
  }
  return url;
}
