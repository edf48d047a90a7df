import { sql, type Expression, type Kysely, type SqlBool } from 'kysely';

/**
 * Upsert keyed by `id` that only ever moves a row forward: the write happens when the row is new,
 * or is not deleted and the incoming version (`updated_at`, or whatever `versionColumn` holds) is
 * at least as new as the stored one. The guard runs inside the database, so concurrent workers
 * applying events of one entity leave the newest state whatever order they commit in.
 */
export async function upsertNewer(
  db: Kysely<any>,
  table: string,
  row: Record<string, unknown>,
  options: { versionColumn?: string; conflict?: string } = {},
): Promise<void> {
  const version = options.versionColumn ?? 'updated_at';
  const conflict = options.conflict ?? 'id';
  const update: Record<string, Expression<unknown>> = {};
  for (const column of Object.keys(row)) {
    if (column !== conflict) update[column] = sql.ref(`excluded.${column}`);
  }
  await db
    .insertInto(table)
    .values(row)
    .onConflict((oc) =>
      oc
        .column(conflict)
        .doUpdateSet(update)
        .where(sql<SqlBool>`${sql.ref(`${table}.deleted_at`)} is null`)
        .where(sql<SqlBool>`(${sql.ref(`${table}.${version}`)} is null or ${sql.ref(`excluded.${version}`)} >= ${sql.ref(`${table}.${version}`)})`),
    )
    .execute();
}
