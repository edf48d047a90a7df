import { Fragment, ident, join, q, raw, TextCache } from '../store/sql.js';
import type { SqlWriter } from '../store/sql-writer.js';
import { insertHead, insertText, shapeOf, valuesOf, type Row, type RowOf, type SyncedTable } from './rows.js';

const inserts = new TextCache();

/**
 * Plain multi-row insert; `ignoreConflicts`: a conflict on `id` keeps the stored row (for immutable
 * records). With `when`, each row is inserted only if that condition holds, one statement per row
 * (PostgreSQL infers parameter types from the target columns in `insert ... select ? where`, but
 * not through a multi-row `values` list).
 */
export async function insertRows<T extends SyncedTable>(sql: SqlWriter, table: T, rows: readonly RowOf<T>[], options: { ignoreConflicts?: boolean; when?: Fragment } = {}): Promise<void> {
  if (rows.length === 0) return;
  const columns = Object.keys(rows[0]!);
  const ignore = options.ignoreConflicts ?? false;
  const onConflict = ignore ? ' on conflict ("id") do nothing' : '';
  const { when } = options;
  if (when === undefined) {
    const text = inserts.get([table, ignore, ...shapeOf(columns, rows)], () => `${insertText(table, columns, rows)}${onConflict}`);
    return sql.run(new Fragment(text, valuesOf(columns, rows)));
  }
  for (const row of rows as readonly Row[]) {
    const text = inserts.get([table, ignore, when.sql, ...shapeOf(columns, [row])], () =>
      `insert into ${table} (${columns.map(ident).join(', ')}) select ${columns.map((c) => (row[c] instanceof Fragment ? (row[c] as Fragment).sql : '?')).join(', ')} where ${when.sql}${onConflict}`);
    await sql.run(new Fragment(text, [...valuesOf(columns, [row]), ...when.params]));
  }
}

/**
 * Records a deletion: inserts the tombstone when the entity was never seen, else sets `deleted_at`
 * (the first deletion time stays) and whatever `set` adds (erasure of personal data).
 */
export async function insertTombstone<T extends SyncedTable>(sql: SqlWriter, table: T, row: RowOf<T> & { id: string; deleted_at: number }, set: Partial<Record<keyof RowOf<T> & string, Fragment>> = {}): Promise<void> {
  const updates = [
    raw(`"deleted_at" = coalesce(${table}.deleted_at, excluded.deleted_at)`),
    ...Object.entries(set).map(([column, expr]) => q`${raw(`${ident(column)} = `)}${expr}`),
  ];
  await sql.run(q`${insertHead(table, Object.keys(row), [row])} on conflict ("id") do update set ${join(updates)}`);
}

