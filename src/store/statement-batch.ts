import { CompiledQuery, type Kysely } from 'kysely';

/** A statement in PostgreSQL's own form: `$1` placeholders. */
export interface Statement {
  readonly sql: string;
  readonly parameters: readonly unknown[];
}

/** Marks the query that carries a batch; the PostgreSQL connection (postgres.ts) unpacks it. */
export const BATCH = '-- clerk-sync statement batch';

/**
 * Runs statements in order, in one round trip, inside the caller's transaction; their results are
 * dropped. node-pg waits for each statement's answer before it sends the next, and on loopback
 * that wait and its system calls cost more than most of our statements do. Any failure fails the
 * batch (and the transaction, as any failing statement does). PostgreSQL only.
 */
async function runStatements(db: Kysely<any>, statements: readonly Statement[]): Promise<void> {
  if (statements.length > 0) await db.executeQuery(CompiledQuery.raw(BATCH, [statements]));
}

const deferred = new WeakMap<Kysely<any>, Statement[]>();

/**
 * From now on, `runLater` on this PostgreSQL transaction queues its statements, so that a batch
 * of events costs a few round trips rather than a few per event. Nothing to gain on SQLite, which
 * runs in-process: there, statements keep running at once.
 */
export function deferWrites(db: Kysely<any>, dialect: 'sqlite' | 'postgres'): void {
  if (dialect === 'postgres' && !deferred.has(db)) deferred.set(db, []);
}

/** Whether runLater only queues on this transaction: then reading any answer costs a flush. */
export function writesDeferred(db: Kysely<any>): boolean {
  return deferred.has(db);
}

/**
 * Runs a statement whose result nobody reads. While writes are deferred on this transaction it is
 * only queued: it runs, in order, at the next flushWrites, and fails the transaction there if it
 * fails. Anything that reads must flush first.
 */
export async function runLater(db: Kysely<any>, statement: Statement): Promise<void> {
  const queue = deferred.get(db);
  if (queue) queue.push(statement);
  else await db.executeQuery(CompiledQuery.raw(statement.sql, statement.parameters as unknown[]));
}

/** Sends the queued statements (one round trip); call before anything that must see their effects. */
export async function flushWrites(db: Kysely<any>): Promise<void> {
  const queue = deferred.get(db);
  if (!queue || queue.length === 0) return;
  deferred.set(db, []);
  await runStatements(db, queue);
}
