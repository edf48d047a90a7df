import type { SqlWriter } from '../store/sql-writer.js';

/**
 * Serializes this transaction with the deletion of a parent (organization or user), on PostgreSQL
 * where workers run concurrently. Without it, a membership inserted while its organization's
 * deletion runs in another transaction would be missed by both: the insert does not see the
 * uncommitted tombstone, the cascade does not see the uncommitted membership.
 *
 * Writers of child rows take a shared transaction-level advisory lock on the parent's id, a
 * deletion takes it exclusively (lockForDeletion) before it writes the tombstone: children of one
 * parent do not wait for each other, a deletion waits for them, and they for it; the statements
 * after the lock see what the other side committed (each statement takes a fresh snapshot). No
 * answer is needed, so the lock queues with the writes (see `run`). Call it before touching any
 * child row, organization before user. SQLite runs one writer at a time: nothing to do there (as
 * the inbox's claim adds `for update skip locked` on PostgreSQL only).
 */
export async function lockParent(sql: SqlWriter, table: ParentTable, id: string | null): Promise<void> {
  const lock = id === null ? null : sql.dialect.parentLock(table, id, 'shared');
  if (lock) await sql.run(lock);
}

/** The deletion's side of lockParent: waits for transactions writing the parent's children, and holds them off. */
export async function lockForDeletion(sql: SqlWriter, table: ParentTable, id: string): Promise<void> {
  const lock = sql.dialect.parentLock(table, id, 'exclusive');
  if (lock) await sql.run(lock);
}

type ParentTable = 'clerk_organizations' | 'clerk_users';
