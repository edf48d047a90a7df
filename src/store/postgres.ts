import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { ClerkSyncDatabase } from './schema.js';

// Our bigint columns hold epoch milliseconds, far inside Number's exact range.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

export function openPostgres(url: string, options: { poolSize?: number } = {}): Kysely<ClerkSyncDatabase> {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? 10,
    keepAlive: true,
    // Fail fast while the server is down: the receiver answers 503, the worker backs off.
    connectionTimeoutMillis: 5_000,
    // A worker that hangs inside a transaction releases its claimed events after this.
    idle_in_transaction_session_timeout: 60_000,
  });
  // A client losing its connection (server restart, failover) must not crash the process: idle
  // ones report through the pool, checked-out ones through themselves; the query in flight fails.
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  return new Kysely<ClerkSyncDatabase>({ dialect: new PostgresDialect({ pool }) });
}
