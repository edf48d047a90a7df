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
export async function runStatements(db: Kysely<any>, statements: readonly Statement[]): Promise<void> {
  if (statements.length > 0) await db.executeQuery(CompiledQuery.raw(BATCH, [statements]));
}
