import { Kysely } from 'kysely';
import type { Logger } from '../log.js';
import type { DialectName } from './dialect.js';
import type { ClerkSyncDatabase } from './schema.js';
import { openSqlite, type SqliteDurability } from './sqlite.js';

export interface Database {
  readonly db: Kysely<ClerkSyncDatabase>;
  readonly dialect: DialectName;
  /** Where it points, with any password removed: safe to log. */
  readonly description: string;
  /**
   * Calls `onCommit` when another process commits new events (PostgreSQL LISTEN/NOTIFY). Null on
   * SQLite, where one process writes and notifies its own worker directly.
   */
  subscribeToEvents(onCommit: () => void, logger: Logger): { close(): Promise<void> } | null;
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** SQLite only; see SqliteDurability. */
  durability?: SqliteDurability;
  /** PostgreSQL only: connections per process. */
  poolSize?: number;
}

export const DEFAULT_DATABASE = './clerk-sync.db';

/**
 * `postgres://` / `postgresql://` URLs select PostgreSQL; anything else is a SQLite file path
 * (`sqlite:` or `file:` prefixes allowed, `:memory:` for a throwaway database).
 */
export async function openDatabase(url: string = DEFAULT_DATABASE, options: OpenDatabaseOptions = {}): Promise<Database> {
  if (/^postgres(ql)?:\/\//i.test(url)) {
    const { openPostgres } = await import('./postgres.js');
    const { listen, EVENTS_CHANNEL } = await import('./postgres-listen.js');
    const db = openPostgres(url, { poolSize: options.poolSize });
    return {
      db,
      dialect: 'postgres',
      description: redactUrl(url),
      subscribeToEvents: (onCommit, logger) => listen(url, EVENTS_CHANNEL, onCommit, logger),
      close: () => db.destroy(),
    };
  }
  const path = url.replace(/^(sqlite|file):(\/\/)?/i, '');
  const { db } = openSqlite(path, { durability: options.durability });
  return { db, dialect: 'sqlite', description: `sqlite:${path}`, subscribeToEvents: () => null, close: () => db.destroy() };
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
