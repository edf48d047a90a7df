import { createHash, randomBytes } from 'node:crypto';
import { Kysely, PostgresDialect, type PostgresPool, type PostgresPoolClient } from 'kysely';
import pg from 'pg';
import type { Logger } from '../log.js';
import { IDLE_IN_TRANSACTION_TIMEOUT_MS, POOL_MODE_ENV, type PgPoolMode } from './pool-mode.js';
import type { ClerkSyncDatabase } from './schema.js';
import { BATCH, type Statement } from './sql-writer.js';

// Our bigint columns hold epoch milliseconds, far inside Number's exact range.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

export interface PostgresOptions {
  mode: PgPoolMode;
  logger: Logger;
  /** Connections per process (10). */
  poolSize?: number;
  /** Close a connection idle this long (ms); default node-pg's 10 s. */
  idleTimeoutMs?: number;
  /** The schema of clerk-sync's tables, when not `public` (pg-schema.ts): put first on search_path. */
  schema?: string | null;
}

export interface Postgres {
  readonly db: Kysely<ClerkSyncDatabase>;
  /** As chosen, or `transaction` once a pooler's error showed that is what the URL reaches. */
  readonly mode: PgPoolMode;
}

export function openPostgres(url: string, options: PostgresOptions): Postgres {
  const connections = new Connections(url, options);
  return {
    db: new Kysely<ClerkSyncDatabase>({ dialect: new PostgresDialect({ pool: connections }) }),
    get mode() {
      return connections.mode;
    },
  };
}

/** How Kysely opens a transaction (`begin`, or `start transaction` with settings). */
const TRANSACTION_START = /^(begin|start transaction)\b/i;

/** Distinct statements kept prepared per connection (each kind); the rest run unnamed. */
const MAX_PREPARED = 256;

interface ConnectionState {
  /** Prepared through the protocol by node-pg (`cs_` names). Session mode only. */
  readonly named: Set<string>;
  /** Prepared with SQL `prepare` by statement batches (`cb_` names; node-pg must not know them). Session mode only. */
  readonly batched: Set<string>;
  /** Inside `begin` … `commit`/`rollback`, as Kysely sends them. */
  inTransaction: boolean;
  /** Its prepared statements can no longer be trusted: drop the connection when it is released. */
  broken: boolean;
}

/**
 * The pool Kysely draws from. In session mode it names the statements it sends, so PostgreSQL
 * plans each shape once per connection; in transaction mode (a pooler lends a server connection
 * per transaction, see pool-mode.ts) nothing it sends outlives a transaction.
 *
 * A URL not known to be pooled is taken as direct, and a pooler in transaction mode gives itself
 * away: PgBouncer refuses the `idle_in_transaction_session_timeout` startup parameter, and a
 * pooler that lets it through fails a named statement prepared on another server connection.
 * Either error switches to transaction mode for good, with one warning; statements outside a
 * transaction are retried at once, a transaction fails and its caller runs it again.
 */
class Connections implements PostgresPool {
  #mode: PgPoolMode;
  #pool: pg.Pool;
  readonly #url: string;
  readonly #options: PostgresOptions;
  readonly #states = new WeakMap<pg.PoolClient, ConnectionState>();

  constructor(url: string, options: PostgresOptions) {
    this.#url = url;
    this.#options = options;
    this.#mode = options.mode;
    this.#pool = this.#newPool();
  }

  get mode(): PgPoolMode {
    return this.#mode;
  }

  #newPool(): pg.Pool {
    const pool = new pg.Pool({
      connectionString: this.#url,
      max: this.#options.poolSize ?? 10,
      keepAlive: true,
      ...(this.#options.idleTimeoutMs === undefined ? {} : { idleTimeoutMillis: this.#options.idleTimeoutMs }),
      // Fail fast while the server is down: the receiver answers 503, the worker backs off.
      connectionTimeoutMillis: 5_000,
      // A startup parameter is session state: transaction mode sets it per transaction instead
      // (the worker's `set local`, the schema's below), and poolers refuse it.
      ...(this.#mode === 'session' ? { idle_in_transaction_session_timeout: IDLE_IN_TRANSACTION_TIMEOUT_MS } : {}),
      ...(this.#mode === 'session' && this.#options.schema ? { options: `-c search_path=${this.#options.schema}` } : {}),
    });
    // A client losing its connection (server restart, failover) must not crash the process: idle
    // ones report through the pool, checked-out ones through themselves; the query in flight fails.
    pool.on('error', () => {});
    pool.on('connect', (client) => client.on('error', () => {}));
    return pool;
  }

  end(): Promise<void> {
    return this.#pool.end();
  }

  async connect(): Promise<PostgresPoolClient> {
    let client: pg.PoolClient;
    const pool = this.#pool;
    try {
      client = await pool.connect();
    } catch (error) {
      if (!isStartupParameterRefused(error)) throw error;
      this.#switchToTransactionMode(error);
      // Its pool was opened with the startup parameter: try again in the new one, without it.
      if (pool === this.#pool) throw error;
      client = await this.#pool.connect();
    }
    let state = this.#states.get(client);
    if (!state) this.#states.set(client, (state = { named: new Set(), batched: new Set(), inTransaction: false, broken: false }));
    const known = state;
    return {
      release: (destroy?: boolean) => client.release(destroy || known.broken),
      query: (async (sql: unknown, parameters?: ReadonlyArray<unknown>) => {
        if (typeof sql !== 'string') return client.query(sql as never);
        const run = () => (sql === BATCH ? this.#runBatch(client, known, parameters![0] as readonly Statement[]) : this.#query(client, known, sql, parameters as unknown[]));
        // Through a transaction-mode pooler, no session setting survives: the schema goes on
        // search_path in each transaction, and a lone statement gets a transaction of its own.
        const schemaPath = this.#mode === 'transaction' && this.#options.schema ? `set local search_path to ${this.#options.schema}` : null;
        const starts = TRANSACTION_START.test(sql);
        const ends = sql === 'commit' || sql === 'rollback';
        if (schemaPath && !known.inTransaction && !starts && !ends) {
          await client.query('begin');
          try {
            await client.query(schemaPath);
            const result = await run();
            await client.query('commit');
            return result;
          } catch (error) {
            await client.query('rollback').catch(() => {});
            throw error;
          }
        }
        const result = await run();
        if (starts) {
          known.inTransaction = true;
          if (schemaPath) await client.query(schemaPath);
        } else if (ends) known.inTransaction = false;
        return result;
      }) as unknown as PostgresPoolClient['query'],
    };
  }

  async #query(client: pg.PoolClient, state: ConnectionState, sql: string, parameters: unknown[] | undefined) {
    if (this.#mode === 'transaction') return client.query(sql, parameters);
    const name = `cs_${statementHash(sql)}`;
    if (!state.named.has(name) && state.named.size >= MAX_PREPARED) return client.query(sql, parameters);
    state.named.add(name);
    try {
      return await client.query({ name, text: sql, values: parameters });
    } catch (error) {
      if (!isPreparedStatementMismatch(error)) throw error;
      this.#switchToTransactionMode(error);
      state.broken = true;
      if (state.inTransaction) throw error;
      return client.query(sql, parameters);
    }
  }

  #switchToTransactionMode(error: unknown): void {
    if (this.#mode === 'transaction') return;
    this.#mode = 'transaction';
    this.#options.logger.warn(
      `PostgreSQL is reached through a transaction-mode pooler: switched to pooled mode. Say so to skip this detection: --pg-pool-mode transaction, ${POOL_MODE_ENV}=transaction, or ?pgbouncer=true in the URL`,
      { error: (error as Error).message },
    );
    // Connections go on as they are (a statement named before the switch is never sent again);
    // only new ones must come without the startup parameter. The pool that had it never got a
    // connection from a pooler that refuses it, and is left to its failing attempts.
    if (isStartupParameterRefused(error)) this.#pool = this.#newPool();
  }

  /**
   * A statement batch (see runStatements) as one simple-protocol query of `execute name('literal',
   * ...)`, each shape prepared once with SQL `prepare`. In session mode the prepared statements are
   * kept for the connection's next batches; in transaction mode they live only for this batch (a
   * `deallocate` closes it) under names of their own, since one left behind by a failed batch
   * stays on a server connection that other clients' transactions will use.
   */
  async #runBatch(client: pg.PoolClient, state: ConnectionState, statements: readonly Statement[]) {
    const pooled = this.#mode === 'transaction';
    const prepared = pooled ? new Set<string>() : state.batched;
    const suffix = pooled ? `_${randomBytes(4).toString('hex')}` : '';
    try {
      let text = '';
      for (const s of statements) {
        if (s.parameters.length === 0) {
          // Nothing to bind, and some statements (`set local ...`) cannot be prepared: send as is.
          text += `${s.sql};\n`;
          continue;
        }
        const name = `cb_${statementHash(s.sql)}${suffix}`;
        if (!prepared.has(name)) {
          if (prepared.size >= MAX_PREPARED) {
            // Rare shapes past the limit run on their own, in order.
            if (text !== '') await client.query(text);
            text = '';
            await client.query(s.sql, s.parameters as unknown[]);
            continue;
          }
          text += `prepare ${name} as ${s.sql};\n`;
          prepared.add(name);
        }
        text += `execute ${name}(${s.parameters.map(literal).join(', ')});\n`;
      }
      if (pooled) for (const name of prepared) text += `deallocate ${name};\n`;
      if (text !== '') await client.query(text);
      return { command: 'BATCH', rowCount: 0, rows: [] };
    } catch (error) {
      // Which of its `prepare`s ran is unknown: the connection is dropped.
      state.broken = true;
      throw error;
    }
  }
}

/** PgBouncer (and poolers like it) refuse startup parameters they do not track. */
function isStartupParameterRefused(error: unknown): boolean {
  return /unsupported startup parameter/i.test((error as Error | null)?.message ?? '');
}

/**
 * A named statement met a server connection that is not the one it was prepared on: it is
 * missing there (26000), or another client's statement of the same name is (42P05).
 */
function isPreparedStatementMismatch(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown } | null;
  return (e?.code === '26000' || e?.code === '42P05') && /prepared statement "c[sb]_/.test(String(e.message));
}

const hashes = new Map<string, string>();

function statementHash(sql: string): string {
  let hash = hashes.get(sql);
  if (hash === undefined) {
    if (hashes.size >= 4096) hashes.clear();
    hashes.set(sql, (hash = createHash('sha1').update(sql).digest('hex').slice(0, 24)));
  }
  return hash;
}

/**
 * A parameter as an SQL literal. Every value is quoted (an untyped literal), so PostgreSQL converts
 * it to the parameter's type exactly as it converts a bound text parameter. `E''` with doubled
 * backslashes reads the same whatever standard_conforming_strings says.
 */
function literal(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  let text: string;
  if (typeof value === 'string') text = value;
  else if (typeof value === 'number' || typeof value === 'bigint') text = String(value);
  else if (typeof value === 'boolean') text = value ? 'true' : 'false';
  else if (value instanceof Date) text = value.toISOString();
  else if (Buffer.isBuffer(value)) text = `\\x${value.toString('hex')}`;
  else if (Array.isArray(value)) throw new TypeError('array parameters are not supported in statement batches');
  else text = JSON.stringify(value);
  const quoted = text.replaceAll("'", "''");
  return text.includes('\\') ? `E'${quoted.replaceAll('\\', '\\\\')}'` : `'${quoted}'`;
}
