import { createHash } from 'node:crypto';
import { Kysely, PostgresDialect, type PostgresPool, type PostgresPoolClient } from 'kysely';
import pg from 'pg';
import type { ClerkSyncDatabase } from './schema.js';
import { BATCH, type Statement } from './statement-batch.js';

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
  return new Kysely<ClerkSyncDatabase>({ dialect: new PostgresDialect({ pool: withPreparedStatements(pool) }) });
}

/** Distinct statements kept prepared per connection (each kind); the rest run unnamed. */
const MAX_PREPARED = 256;

interface ConnectionState {
  /** Prepared through the protocol by node-pg (`cs_` names). */
  readonly named: Set<string>;
  /** Prepared with SQL `prepare` by statement batches (`cb_` names; node-pg must not know them). */
  readonly batched: Set<string>;
  /** A batch failed part-way: which of its `prepare`s ran is unknown, so the connection is dropped. */
  broken: boolean;
}

const states = new WeakMap<pg.PoolClient, ConnectionState>();

/**
 * Kysely sends every query unnamed, so PostgreSQL parses and plans it each time. Our hot
 * statements repeat with the same text, so name them: node-pg then prepares each once per
 * connection and only binds parameters afterwards (about 40% less time per upsert, measured).
 */
function withPreparedStatements(pool: pg.Pool): PostgresPool {
  return {
    end: () => pool.end(),
    async connect(): Promise<PostgresPoolClient> {
      const client = await pool.connect();
      let state = states.get(client);
      if (!state) states.set(client, (state = { named: new Set(), batched: new Set(), broken: false }));
      const known = state;
      return {
        release: (destroy?: boolean) => client.release(destroy || known.broken),
        query: ((sql: unknown, parameters?: ReadonlyArray<unknown>) => {
          if (typeof sql !== 'string') return client.query(sql as never);
          if (sql === BATCH) return runBatch(client, known, parameters![0] as readonly Statement[]);
          const name = `cs_${statementHash(sql)}`;
          if (!known.named.has(name) && known.named.size >= MAX_PREPARED) return client.query(sql, parameters as unknown[]);
          known.named.add(name);
          return client.query({ name, text: sql, values: parameters as unknown[] });
        }) as unknown as PostgresPoolClient['query'],
      };
    },
  };
}

/**
 * A statement batch (see runStatements) as one simple-protocol query: `execute name('literal', ...)`
 * of statements prepared once per connection with SQL `prepare`, so they are still planned once.
 */
async function runBatch(client: pg.PoolClient, state: ConnectionState, statements: readonly Statement[]) {
  try {
    let text = '';
    for (const s of statements) {
      if (s.parameters.length === 0) {
        // Nothing to bind, and some statements (`set local ...`) cannot be prepared: send as is.
        text += `${s.sql};\n`;
        continue;
      }
      const name = `cb_${statementHash(s.sql)}`;
      if (!state.batched.has(name)) {
        if (state.batched.size >= MAX_PREPARED) {
          // Rare shapes past the limit run on their own, in order.
          if (text !== '') await client.query(text);
          text = '';
          await client.query(s.sql, s.parameters as unknown[]);
          continue;
        }
        text += `prepare ${name} as ${s.sql};\n`;
        state.batched.add(name);
      }
      text += `execute ${name}(${s.parameters.map(literal).join(', ')});\n`;
    }
    if (text !== '') await client.query(text);
    return { command: 'BATCH', rowCount: 0, rows: [] };
  } catch (error) {
    state.broken = true;
    throw error;
  }
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
