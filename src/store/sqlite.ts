import BetterSqlite3 from 'better-sqlite3';
import { CompiledQuery, Kysely, SqliteAdapter, SqliteDialect, SqliteDriver, type DatabaseConnection, type DialectAdapter, type Driver, type SqliteDialectConfig } from 'kysely';
import type { ClerkSyncDatabase } from './schema.js';
import { SqliteBooleansPlugin } from './sqlite-booleans.js';
import { BACKSTOP_AUTOCHECKPOINT_PAGES, SqliteCheckpointer } from './sqlite-checkpointer.js';

/**
 * `normal`: WAL with synchronous=NORMAL. A commit is in the OS page cache before we answer, so
 *   it survives a crash or kill -9 of the process; the last commits can be lost on power loss.
 * `full`: synchronous=FULL. Every commit is fsynced before we answer, so it also survives power
 *   loss, at several times the cost per commit (group commit amortizes it).
 */
export type SqliteDurability = 'normal' | 'full';

export interface SqliteOptions {
  durability?: SqliteDurability;
}

export interface OpenedSqlite {
  db: Kysely<ClerkSyncDatabase>;
  raw: BetterSqlite3.Database;
  /** Null when a write transaction may begin now, else a promise to await first (SqliteCheckpointer.writeTurn). */
  writeTurn(): Promise<unknown> | null;
}

export function openSqlite(path: string, options: SqliteOptions = {}): OpenedSqlite {
  let raw: BetterSqlite3.Database;
  try {
    raw = new BetterSqlite3(path, { timeout: BUSY_TIMEOUT_MS });
    switchToWal(raw);
  } catch (error) {
    const locked = /^SQLITE_BUSY/.test(String((error as { code?: string }).code));
    throw new Error(
      `cannot open the SQLite database ${path}: ${(error as Error).message}. ` +
        (locked
          ? `Another process held its lock for ${BUSY_TIMEOUT_MS / 1000} s: check for a stuck clerk-sync or another program writing to it, or pass another --db`
          : 'Check that its directory exists and that this user can write there (SQLite also creates -wal and -shm files next to it), ' +
            'that the disk is not full or mounted read-only, or pass another --db'),
      { cause: error },
    );
  }
  raw.pragma(`synchronous = ${options.durability === 'full' ? 'FULL' : 'NORMAL'}`);
  let checkpointer: SqliteCheckpointer | null = null;
  if (!raw.memory) {
    checkpointer = new SqliteCheckpointer(path);
    raw.pragma(`wal_autocheckpoint = ${BACKSTOP_AUTOCHECKPOINT_PAGES}`);
    // Between checkpoints a burst can grow the WAL file to tens of MB; give that back afterwards.
    raw.pragma('journal_size_limit = 67108864');
  }
  const db = new Kysely<ClerkSyncDatabase>({
    dialect: new ClerkSqliteDialect({ database: withStatementCache(raw) }, raw, checkpointer),
    plugins: [new SqliteBooleansPlugin()],
  });
  return { db, raw, writeTurn: () => checkpointer?.writeTurn() ?? null };
}

/** How long a statement waits for another process's lock (a CLI command, a second worker) before failing. */
const BUSY_TIMEOUT_MS = 5000;

/**
 * Puts the file in WAL mode. Two processes opening a new file at once both try to switch it, each
 * holding a read lock when it asks for the write lock; SQLite answers the second SQLITE_BUSY at
 * once rather than wait (its busy handler would deadlock), so wait here and try again: by then the
 * other has let go (usually having switched the file itself, and then the pragma only reads).
 * CI met this when a test opened the file a Next.js app was opening at the same moment.
 */
function switchToWal(raw: BetterSqlite3.Database): void {
  const deadline = Date.now() + BUSY_TIMEOUT_MS;
  for (;;) {
    try {
      raw.pragma('journal_mode = WAL');
      return;
    } catch (error) {
      if (!/^SQLITE_BUSY/.test(String((error as { code?: string }).code)) || Date.now() >= deadline) throw error;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
    }
  }
}

/**
 * Kysely prepares every query anew; our queries repeat, so reuse compiled statements.
 * Bounded, so generated SQL (multi-row inserts of varying size) cannot grow it without limit.
 */
function withStatementCache(raw: BetterSqlite3.Database, max = 200) {
  const cache = new Map<string, BetterSqlite3.Statement>();
  return {
    close: () => raw.close(),
    prepare(sql: string) {
      let stmt = cache.get(sql);
      if (stmt === undefined) {
        stmt = raw.prepare(sql);
        if (cache.size >= max) cache.delete(cache.keys().next().value!);
        cache.set(sql, stmt);
      }
      return stmt;
    },
  };
}

/** SQLite runs DDL inside transactions, so migrations can be atomic; Kysely's stock adapter says it cannot. */
class ClerkSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

/**
 * Four fixes to Kysely's driver.
 * - Transactions begin IMMEDIATE: they take the write lock first, waiting on busy_timeout. A
 *   deferred transaction that reads and then writes fails at once with "database is locked" when
 *   another process committed in between (busy_timeout cannot help it), which is what concurrent
 *   `clerk-sync migrate` runs hit; every transaction of ours writes anyway. This is also the
 *   migration lock: the others wait, then find nothing left to do.
 * - SQLite rolls a transaction back by itself on some errors (a full disk, an I/O error); the
 *   stock driver's ROLLBACK then fails and its error replaces the one that says what happened,
 *   so roll back only a transaction that is still open.
 * - While the checkpoint thread rewinds the WAL, transactions wait for it without holding the
 *   event loop (SqliteCheckpointer.writeTurn), not in SQLite's busy handler, which sleeps.
 * - Closing waits for the checkpoint thread to stop before the connection closes (the stock
 *   driver does not await it).
 */
class ClerkSqliteDriver extends SqliteDriver {
  constructor(
    config: SqliteDialectConfig,
    private readonly raw: BetterSqlite3.Database,
    private readonly checkpointer: SqliteCheckpointer | null,
  ) {
    super(config);
  }

  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    const turn = this.checkpointer?.writeTurn();
    if (turn) await turn;
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }

  override async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    if (this.raw.inTransaction) await super.rollbackTransaction(connection);
  }

  override async destroy(): Promise<void> {
    await this.checkpointer?.stop();
    await super.destroy();
  }
}

class ClerkSqliteDialect extends SqliteDialect {
  constructor(
    private readonly config: SqliteDialectConfig,
    private readonly raw: BetterSqlite3.Database,
    private readonly checkpointer: SqliteCheckpointer | null,
  ) {
    super(config);
  }

  override createAdapter(): DialectAdapter {
    return new ClerkSqliteAdapter();
  }

  override createDriver(): Driver {
    return new ClerkSqliteDriver(this.config, this.raw, this.checkpointer);
  }
}
