import { CompiledQuery, type Kysely, type QueryResult } from 'kysely';
import type { SqlDialect } from './dialect.js';
import type { Fragment } from './sql.js';

/** A statement in its dialect's own form (`$1` placeholders on PostgreSQL, `?` on SQLite). */
export interface Statement {
  readonly sql: string;
  readonly parameters: readonly unknown[];
}

/** Marks the query that carries a batch; the PostgreSQL connection (postgres.ts) unpacks it. */
export const BATCH = '-- clerk-sync statement batch';

/**
 * The statements of one transaction, in its dialect: how the sync (and the outcome writes of the
 * worker) write. A writer that defers queues the statements whose results nobody reads and sends
 * them together at the next flush (or before the next statement that reads), in one round trip:
 * node-pg waits for each statement's answer before it sends the next, and on loopback that wait
 * and its system calls cost more than most of our statements do. A deferred statement that
 * fails, fails the flush (and the transaction). Only where the dialect gains from it (PostgreSQL);
 * on SQLite statements always run at once.
 */
export class SqlWriter {
  readonly #queue: Statement[] | null;

  constructor(
    /** The transaction (or database) written to. */
    readonly db: Kysely<any>,
    readonly dialect: SqlDialect,
    { deferred = false }: { deferred?: boolean } = {},
  ) {
    this.#queue = deferred && dialect.defersWrites ? [] : null;
  }

  /** Whether statements are queued: then reading any answer costs a flush. */
  get deferred(): boolean {
    return this.#queue !== null;
  }

  /** Portable SQL in this dialect's form. */
  compile(fragment: Fragment): Statement {
    return { sql: this.dialect.render(fragment.sql), parameters: fragment.params.map(this.dialect.bind) };
  }

  /** Runs a statement whose result nobody reads: queued while deferring, at once otherwise. */
  run(statement: Fragment | Statement): Promise<void> {
    const s = 'params' in statement ? this.compile(statement) : statement;
    if (this.#queue) {
      this.#queue.push(s);
      return Promise.resolve();
    }
    return this.db.executeQuery(CompiledQuery.raw(s.sql, s.parameters as unknown[])).then(() => {});
  }

  /** Runs a statement and returns its result; the queued ones go first. */
  async exec<R = Record<string, unknown>>(fragment: Fragment): Promise<QueryResult<R>> {
    await this.flush();
    const { sql, parameters } = this.compile(fragment);
    return this.db.executeQuery<R>(CompiledQuery.raw(sql, parameters as unknown[]));
  }

  /** Sends the queued statements, in order, in one round trip. */
  async flush(): Promise<void> {
    if (!this.#queue || this.#queue.length === 0) return;
    const statements = this.#queue.splice(0);
    await this.db.executeQuery(CompiledQuery.raw(BATCH, [statements]));
  }
}
