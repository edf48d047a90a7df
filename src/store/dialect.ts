import { sql, type Kysely, type RawBuilder } from 'kysely';
import { IDLE_IN_TRANSACTION_TIMEOUT_MS, type PgPoolMode } from './pool-mode.js';
import { Fragment, join, q, raw } from './sql.js';

export type DialectName = 'sqlite' | 'postgres';

/** A row an entity lock names: a table and an id (see sync/entity-locks.ts). */
export interface LockKey {
  table: string;
  id: string;
}

/**
 * Everything that differs between SQLite and PostgreSQL outside the drivers, in one place (as
 * Kysely keeps its dialects apart): how portable SQL is written and bound, how transactions lock
 * what they write, and what the worker's batches can count on. Code elsewhere asks its dialect;
 * it does not test which one it has. The inbox's claim (inbox/queue.ts) keeps its own two queries.
 */
export interface SqlDialect {
  readonly name: DialectName;
  /** Column types whose spelling differs. */
  readonly columnTypes: { json: RawBuilder<unknown>; bool: RawBuilder<unknown> };
  /** Portable text (`?` placeholders, `{json}`) in this dialect's spelling. */
  render(text: string): string;
  /** A parameter as the driver takes it. */
  bind(value: unknown): unknown;
  /**
   * Whether a batch's writes should travel together (see SqlWriter): each statement is a round
   * trip to a PostgreSQL server; SQLite runs in process, where a statement costs no more alone.
   */
  readonly defersWrites: boolean;
  /** Whether one statement inserting many rows beats one prepared statement per row (the inbox). */
  readonly multiRowInserts: boolean;
  /**
   * A transaction-level lock on a parent row, shared (its children are being written) or
   * exclusive (it is being deleted); null where one writer at a time makes locks moot (SQLite).
   */
  parentLock(table: string, id: string, mode: 'shared' | 'exclusive'): Fragment | null;
  /**
   * Takes transaction-level try-locks on `keys`, which never wait, and returns the indexes of
   * those another transaction holds; null where one writer at a time makes them moot.
   */
  tryLocks(db: Kysely<any>, keys: readonly LockKey[]): Promise<Set<number>> | null;
  /** Deletes run as few statements as the dialect allows (each statement is a round trip on PostgreSQL). */
  combineDeletes(deletes: readonly Fragment[]): Fragment[];
  /** Settings for a worker's transaction, given how the server is reached. */
  batchSettings(poolMode: PgPoolMode | null): Fragment[];
  /** How long a worker's batch may hold the database by default (ms): see Worker. */
  readonly batchBudgetMs: number;
  /** Whether the worker runs in the receiver's event loop and should stand back for it (LoopShare). */
  readonly sharesEventLoop: boolean;
  /**
   * After a batch that took every due event, how long from its start the worker lets the next
   * events gather before it claims again (ms): fewer, fuller transactions. An idle worker still
   * starts at once on the first event.
   */
  readonly gatherMs: number;
  /**
   * SQL for which of a counter's rows this connection adds to (inbox/rollups.ts): its own on
   * PostgreSQL, so concurrent transactions do not queue on one hot row; one will do where a
   * single writer runs at a time.
   */
  readonly counterShard: string;
}

function renderCache(build: (text: string) => string): (text: string) => string {
  const cache = new Map<string, string>();
  return (text) => {
    let out = cache.get(text);
    if (out === undefined) {
      out = build(text);
      // Statement shapes are few (multi-row inserts vary by row count); bound it anyway.
      if (cache.size >= 1000) cache.clear();
      cache.set(text, out);
    }
    return out;
  };
}

export const SQLITE: SqlDialect = {
  name: 'sqlite',
  columnTypes: { json: sql`text`, bool: sql`integer` },
  render: renderCache((text) => text.replaceAll('{json}', 'text')),
  // SQLite stores booleans as 0/1 and better-sqlite3 refuses to bind JS booleans.
  bind: (v) => (typeof v === 'boolean' ? (v ? 1 : 0) : v === undefined ? null : v),
  defersWrites: false,
  // A short statement prepared once and run per row, in process, is cheaper than compiling a
  // multi-row statement of a different size for every group commit.
  multiRowInserts: false,
  parentLock: () => null,
  tryLocks: () => null,
  combineDeletes: (deletes) => [...deletes],
  batchSettings: () => [],
  // One connection shared with the receiver, whose answers wait for the batch to commit. At a
  // steady 1,000 req/s the batches that set the p99 were the ones that ran into the budget (after
  // a pause, 30-60 events claimed): 8-12 ms with their claim and outcomes. 2 ms against 4, 8
  // alternating rounds: p99 6.3-15.5 ms (median 8.4) against 6.4-24.7 (median 17), CPU per event
  // the same, a backlog drained as fast (3,600-3,839 against 3,714-4,401 events/s). Earlier: 4 ms
  // against 10, p99 17-19 against 22-26 ms.
  batchBudgetMs: 2,
  sharesEventLoop: true,
  // At a steady 1,000 req/s the worker's batches held 1-2 events, each paying the claim, the
  // outcomes, the counters and a commit: 10 ms cut serve's CPU per event by 22-31% (836-922 µs to
  // 575-714; bench/ingest-cpu.ts --steady 1000), with the p99 unchanged.
  gatherMs: 10,
  counterShard: '0',
};

export const POSTGRES: SqlDialect = {
  name: 'postgres',
  columnTypes: { json: sql`jsonb`, bool: sql`boolean` },
  render: renderCache((text) => {
    let n = 0;
    return text.replace(/\?/g, () => `$${++n}`).replaceAll('{json}', 'jsonb');
  }),
  bind: (v) => (v === undefined ? null : v),
  defersWrites: true,
  multiRowInserts: true,
  parentLock: (table, id, mode) =>
    mode === 'shared' ? q`select pg_advisory_xact_lock_shared(hashtext(${table}), hashtext(${id}))` : q`select pg_advisory_xact_lock(hashtext(${table}), hashtext(${id}))`,
  async tryLocks(db, keys) {
    const { rows } = await sql<{ n: number }>`
      select n from unnest(${keys.map((k) => k.table)}::text[], ${keys.map((k) => k.id)}::text[]) with ordinality as k(t, id, n)
       where not pg_try_advisory_xact_lock(hashtext(t), hashtext(id))`.execute(db);
    return new Set(rows.map((r) => Number(r.n) - 1));
  },
  // One statement: the deletes as data-modifying CTEs (each statement costs the server about as
  // much as a small delete itself).
  combineDeletes(deletes) {
    if (deletes.length < 2) return [...deletes];
    const ctes = deletes.slice(0, -1).map((del, i) => q`${raw(`d${i} as (`)}${del}${raw(')')}`);
    return [q`with ${join(ctes)} ${deletes.at(-1)!}`];
  },
  batchSettings: (poolMode) => [
    // The commit need not wait for the server's disk: a batch lost in a server crash only leaves
    // its events pending (the receivers commit the inbox durably), and the worker applies them again.
    raw('set local synchronous_commit = off'),
    // Through a transaction-mode pooler no startup parameter cuts off a transaction that hangs:
    // this does, for this transaction only (postgres.ts sets it per connection otherwise).
    ...(poolMode === 'transaction' ? [raw(`set local idle_in_transaction_session_timeout = ${IDLE_IN_TRANSACTION_TIMEOUT_MS}`)] : []),
  ],
  // Workers on their own connections: nothing waits on a batch but its own events.
  batchBudgetMs: Infinity,
  sharesEventLoop: false,
  // Several workers take turns on a notification: one gathering leaves the work to another. Not measured.
  gatherMs: 0,
  counterShard: 'pg_backend_pid() % 16',
};

export function sqlDialect(name: DialectName): SqlDialect {
  return name === 'postgres' ? POSTGRES : SQLITE;
}

/** Column types whose spelling differs between SQLite and PostgreSQL (migrations). */
export function columnTypes(dialect: DialectName): SqlDialect['columnTypes'] {
  return sqlDialect(dialect).columnTypes;
}
