import { Kysely } from 'kysely';
import { createLogger, type Logger } from '../log.js';
import type { DialectName } from './dialect.js';
import { driverUrl } from './pg-url.js';
import { choosePgSchema, eventsChannel, PG_SCHEMA_ENV } from './pg-schema.js';
import { choosePoolMode, DIRECT_URL_ENV, POOL_MODE_ENV, type PgPoolMode } from './pool-mode.js';
import type { ClerkSyncDatabase } from './schema.js';
import type BetterSqlite3 from 'better-sqlite3';
import type { SqliteDurability } from './sqlite.js';

export interface Database {
  readonly db: Kysely<ClerkSyncDatabase>;
  readonly dialect: DialectName;
  /** Where it points, with any password removed: safe to log. */
  readonly description: string;
  /** PostgreSQL: how the URL reaches the server (see pool-mode.ts). Null on SQLite. */
  readonly poolMode: PgPoolMode | null;
  /** PostgreSQL: the schema of clerk-sync's tables when not `public` (see pg-schema.ts). Null on SQLite and for `public`. */
  readonly pgSchema: string | null;
  /**
   * SQLite: the connection itself, for the receiver's group commit (src/inbox/writer.ts), which
   * runs its statements synchronously instead of one promise each. Only inside
   * `db.connection().execute()`, which keeps every other transaction off it. Null on PostgreSQL.
   */
  readonly sqlite: BetterSqlite3.Database | null;
  /**
   * SQLite: null when a write transaction may begin on `sqlite` now, else a promise to await
   * first: the checkpoint thread is rewinding the WAL (sqlite-checkpointer.ts). Transactions
   * through `db` wait by themselves. Always null on PostgreSQL.
   */
  writeTurn(): Promise<unknown> | null;
  /**
   * Calls `onCommit` when another process commits new events (PostgreSQL LISTEN/NOTIFY). Null on
   * SQLite, where one process writes and notifies its own worker directly.
   */
  subscribeToEvents(onCommit: () => void, logger: Logger): { close(): Promise<void> } | null;
  /**
   * Runs `work` where schema changes belong: over DIRECT_URL's own connection when one is given
   * (the pooler stays out of migrations), else on `db`.
   */
  direct<T>(work: (db: Kysely<ClerkSyncDatabase>) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** SQLite only; see SqliteDurability. */
  durability?: SqliteDurability;
  /** PostgreSQL only: connections per process. */
  poolSize?: number;
  /** PostgreSQL only: close connections idle this long (ms). */
  idleTimeoutMs?: number;
  /** PostgreSQL only: `session` or `transaction`; default $CLERK_SYNC_PG_POOL_MODE, else detected from the URL (pool-mode.ts). */
  pgPoolMode?: PgPoolMode;
  /** PostgreSQL only: a URL past the pooler, for migrations and LISTEN. Default $DIRECT_URL. */
  directUrl?: string;
  /** PostgreSQL only: the schema for clerk-sync's tables. Default $CLERK_SYNC_PG_SCHEMA, else `public`. */
  pgSchema?: string;
  /** Where warnings go (a pooler detected, a DIRECT_URL ignored); default: stderr. */
  logger?: Logger;
}

export const DEFAULT_DATABASE = './clerk-sync.db';

/**
 * `postgres://` / `postgresql://` URLs select PostgreSQL; anything else is a SQLite file path
 * (`sqlite:` or `file:` prefixes allowed, `:memory:` for a throwaway database).
 */
export async function openDatabase(url: string = DEFAULT_DATABASE, options: OpenDatabaseOptions = {}): Promise<Database> {
  if (isPostgresUrl(url)) return openPostgresDatabase(url, options);
  // Loaded on demand, as the PostgreSQL driver is: an app on one database loads no other's driver.
  const { openSqlite } = await import('./sqlite.js');
  const path = sqlitePath(url)!;
  const { db, raw, writeTurn } = openSqlite(path, { durability: options.durability });
  return { db, dialect: 'sqlite', description: `sqlite:${path}`, poolMode: null, pgSchema: null, sqlite: raw, writeTurn, subscribeToEvents: () => null, direct: (work) => work(db), close: () => db.destroy() };
}

const isPostgresUrl = (url: string) => /^postgres(ql)?:\/\//i.test(url);

/** The SQLite file a database URL names, or null for a PostgreSQL URL. */
export function sqlitePath(url: string): string | null {
  return isPostgresUrl(url) ? null : url.replace(/^(sqlite|file):(\/\/)?/i, '');
}

async function openPostgresDatabase(url: string, options: OpenDatabaseOptions): Promise<Database> {
  const { openPostgres } = await import('./postgres.js');
  const { listen } = await import('./postgres-listen.js');
  const logger = options.logger ?? createLogger('warn');
  const { mode } = choosePoolMode(url, options.pgPoolMode ?? process.env[POOL_MODE_ENV]);
  const given = usableDirectUrl(url, options.directUrl ?? process.env[DIRECT_URL_ENV], logger);
  const directUrl = given && driverUrl(given);
  const schema = choosePgSchema(options.pgSchema ?? process.env[PG_SCHEMA_ENV]);
  const target = driverUrl(url);
  const postgres = openPostgres(target, { mode, logger, schema, poolSize: options.poolSize, idleTimeoutMs: options.idleTimeoutMs });
  return {
    db: postgres.db,
    dialect: 'postgres',
    description: schema ? `${redactUrl(url)} (schema ${schema})` : redactUrl(url),
    pgSchema: schema,
    sqlite: null,
    writeTurn: () => null,
    get poolMode() {
      return postgres.mode;
    },
    // A transaction-mode pooler delivers notifications to no one in particular: LISTEN only
    // past it; without a direct URL the worker polls.
    subscribeToEvents: (onCommit, log) => {
      if (directUrl) return listen(directUrl, eventsChannel(schema), onCommit, log);
      return postgres.mode === 'session' ? listen(target, eventsChannel(schema), onCommit, log) : null;
    },
    async direct(work) {
      if (!directUrl) return work(postgres.db);
      const direct = openPostgres(directUrl, { mode: 'session', logger, schema, poolSize: 1 });
      try {
        return await work(direct.db);
      } finally {
        await direct.db.destroy();
      }
    },
    close: () => postgres.db.destroy(),
  };
}

/**
 * DIRECT_URL when it names the same database as `url` (a Prisma app's DIRECT_URL may belong to
 * another database than the one clerk-sync was given: migrating that one would be wrong).
 */
function usableDirectUrl(url: string, directUrl: string | undefined, logger: Logger): string | null {
  if (!directUrl || directUrl.trim() === '') return null;
  const dbName = (u: string) => {
    try {
      return decodeURIComponent(new URL(u).pathname.replace(/^\//, '')) || null;
    } catch {
      return null;
    }
  };
  if (!isPostgresUrl(directUrl) || dbName(directUrl) !== dbName(url)) {
    logger.warn(`${DIRECT_URL_ENV} is not used: it does not name the same PostgreSQL database as the database URL`, { direct_url: redactUrl(directUrl), database: redactUrl(url) });
    return null;
  }
  return directUrl;
}

export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
  }
}
