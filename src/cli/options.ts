import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { InvalidArgumentError, Option } from 'commander';
import type { Kysely } from 'kysely';
import { parseDuration, UNIT_MS, type DurationUnit } from '../duration.js';
import type { Logger } from '../log.js';
import { DEFAULT_RETRY_SCHEDULE } from '../worker/retry-schedule.js';
import { DEFAULT_DATABASE, openDatabase, sqlitePath, type Database, type OpenDatabaseOptions } from '../store/database.js';
import { MIGRATION_TABLE } from '../store/migrate.js';
import { isUnreachable } from '../store/errors.js';
import { DIRECT_URL_ENV, POOL_MODE_ENV, type PgPoolMode } from '../store/pool-mode.js';
import { PG_SCHEMA_ENV } from '../store/pg-schema.js';

export const dbOption = () =>
  new Option('--db <url>', 'SQLite file path or postgres:// URL').env('DATABASE_URL').default(DEFAULT_DATABASE);

/** The worker's settings, the same for `serve` (its in-process worker) and `worker`. */
export const retryScheduleOption = () =>
  new Option('--retry-schedule <delays>', 'delays between attempts before an event is dead').env('CLERK_SYNC_RETRY_SCHEDULE').default(DEFAULT_RETRY_SCHEDULE);
export const concurrencyOption = (defaultValue: number) =>
  new Option('--concurrency <n>', 'batches processed at once, each in its own transaction (more than 1 helps PostgreSQL only: SQLite has one writer)')
    .env('CLERK_SYNC_CONCURRENCY')
    .default(defaultValue)
    .argParser(positiveInt('--concurrency'));
export const batchSizeOption = () => new Option('--batch-size <n>', 'most events per processing transaction (default 64)').env('CLERK_SYNC_BATCH_SIZE').argParser(positiveInt('--batch-size'));
export const logLevelOption = () => new Option('--log-level <level>', 'log verbosity').choices(['debug', 'info', 'warn', 'error', 'silent']).env('LOG_LEVEL').default('info');

/** `--retention 30d`: finished events older than this are purged hourly (off by default). */
export const retentionOption = () =>
  new Option('--retention <duration>', 'purge finished (done, skipped) events older than this, hourly: 30d, 90d, ... (at least 2d; default: keep them)')
    .env('CLERK_SYNC_RETENTION')
    .argParser(duration('--retention'));

/** `--reconcile-every 24h`: reconcile with Clerk's Backend API on a schedule (CLERK_SECRET_KEY). */
export const reconcileEveryOption = () =>
  new Option('--reconcile-every <duration>', "reconcile with Clerk's Backend API this often, deletions included (needs CLERK_SECRET_KEY): 24h, 6h, ... (at least 1m; one run at a time across all processes)")
    .env('CLERK_SYNC_RECONCILE_EVERY')
    .argParser(duration('--reconcile-every'));

/** The Backend API for scheduled reconciles (a stand-in in tests); Clerk's by default. */
export const clerkApiUrlOption = () => new Option('--clerk-api-url <url>', "Clerk Backend API base URL for --reconcile-every").env('CLERK_API_URL');

/** How PostgreSQL is reached; only matters behind a pooler (see docs/deploy.md). */
export const pgPoolModeOption = () =>
  new Option('--pg-pool-mode <mode>', "PostgreSQL behind a pooler: transaction (PgBouncer/Supavisor in transaction mode) or session; detected from the URL when not given (Neon's -pooler hosts, Supabase's port 6543, ?pgbouncer=true)")
    .choices(['session', 'transaction'])
    .env(POOL_MODE_ENV);

/** `--pg-schema clerk`: clerk-sync's tables, migrations and NOTIFY channel in that schema instead of `public`. */
export const pgSchemaOption = () =>
  new Option('--pg-schema <name>', "PostgreSQL schema for clerk-sync's tables (created by migrate/serve if missing); default public").env(PG_SCHEMA_ENV);

export const directUrlOption = () => new Option('--direct-url <url>', 'PostgreSQL URL past the pooler, used for migrations and LISTEN').env(DIRECT_URL_ENV);

/** The database options a command was given, for openDatabase. */
export function pgSettings(opts: { pgPoolMode?: string; directUrl?: string; pgSchema?: string }): Pick<OpenDatabaseOptions, 'pgPoolMode' | 'directUrl' | 'pgSchema'> {
  return { pgPoolMode: opts.pgPoolMode as PgPoolMode | undefined, directUrl: opts.directUrl, pgSchema: opts.pgSchema };
}

export const secretOption = (what = 'signing secret (whsec_...); several separated by spaces or commas for rotation') =>
  new Option('--secret <whsec>', what).env('CLERK_WEBHOOK_SIGNING_SECRET');

export function positiveInt(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a positive whole number, got "${value}"`);
    return n;
  };
}

export function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError(`port must be 0-65535, got "${value}"`);
  return n;
}

/** `2h`, `30m`, `15s`, `7d` ago, or an ISO date, as epoch ms. */
export function since(value: string): number {
  const rel = /^(\d+)(s|m|h|d)$/.exec(value);
  if (rel) return Date.now() - Number(rel[1]) * UNIT_MS[rel[2] as DurationUnit];
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new InvalidArgumentError(`expected a duration like 2h, 30m, 7d or a date like 2026-01-31T12:00:00Z, got "${value}"`);
  return t;
}

/** Commander parser for a duration option (`--delay 250`, `--timeout 15s`). */
export function duration(name: string) {
  return (value: string): number => {
    const ms = parseDuration(value, 'ms');
    if (ms === null) throw new InvalidArgumentError(`${name} must be a duration like 250 (ms), 500ms, 5s, 2m or 1h, got "${value}"`);
    return ms;
  };
}

/** Commander parser for a number within [min, max]. */
export function numberIn(name: string, min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n < min || n > max) throw new InvalidArgumentError(`${name} must be a number from ${min} to ${max}, got "${value}"`);
    return n;
  };
}

/**
 * Runs start-up work that needs the database (migrations), retrying while it is unreachable, so
 * instances started before their database (a deploy, a failover) come up by themselves.
 */
export async function waitForDatabase<T>(work: () => Promise<T>, logger: Logger, onRetry?: (error: unknown) => void): Promise<T> {
  for (let delayMs = 500; ; delayMs = Math.min(delayMs * 2, 10_000)) {
    try {
      return await work();
    } catch (error) {
      if (!isUnreachable(error)) throw error;
      onRetry?.(error);
      logger.warn('database unreachable; retrying', { error: (error as Error).message, retry_in_ms: delayMs });
      await new Promise((r) => setTimeout(r, delayMs));
    }
  }
}

/**
 * The database a command that reads (or adds to) an existing inbox works on. Only serve, worker
 * and migrate create one: a mistyped --db must not become a new, empty database that answers
 * "0 events" or "no such table". A missing SQLite file, or a database without clerk-sync's
 * tables, is refused with the place looked at.
 */
export async function openExistingDatabase(url: string, options: OpenDatabaseOptions = {}): Promise<Database> {
  const path = sqlitePath(url);
  if (path !== null && path !== ':memory:' && !existsSync(path)) {
    throw new InvalidArgumentError(`there is no database at ${resolve(path)}: check --db (or DATABASE_URL); \`clerk-sync serve\` or \`clerk-sync migrate\` creates one`);
  }
  const database = await openDatabase(url, options);
  try {
    await (database.db as Kysely<any>).selectFrom(MIGRATION_TABLE).select('name').limit(1).execute();
  } catch (error) {
    await database.close();
    const e = error as { code?: unknown; message?: unknown };
    if (e.code === '42P01' || /no such table/.test(String(e.message))) {
      throw new InvalidArgumentError(`${database.description} has no clerk-sync tables: is it the right database? \`clerk-sync migrate --db ...\` creates them`);
    }
    throw error;
  }
  return database;
}
