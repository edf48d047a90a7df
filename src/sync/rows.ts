import type { ClerkSyncDatabase } from '../store/schema.js';
import { Fragment, ident } from '../store/sql.js';

/** How rows of the synced tables become `insert ... values` statements: their values, shapes and text. */

/** The tables the sync writes. */
export type SyncedTable = Exclude<keyof ClerkSyncDatabase, `clerk_sync_${string}` | `clerk_webhook_${string}`>;

/**
 * A row to write to `T`: its columns (checked against ClerkSyncDatabase, so a wrong column name
 * is a compile error), each a value or an SQL expression (a subquery, a `case`).
 */
export type RowOf<T extends SyncedTable> = { [K in keyof ClerkSyncDatabase[T]]?: unknown };

/** A row to write: column -> value, or -> SQL expression (a subquery, a `case`). */
export type Row = Record<string, unknown>;


/** The parameters of `insert ... values (...), (...)`, row by row, expressions' own inlined. */
export function valuesOf(columns: readonly string[], rows: readonly Row[]): unknown[] {
  const params: unknown[] = [];
  for (const row of rows) {
    for (const c of columns) {
      const v = row[c];
      if (v instanceof Fragment) for (const p of v.params) params.push(p);
      else params.push(v);
    }
  }
  return params;
}

/** What the text of `insert ... values` depends on: columns, row count, and which values are which expressions. */
export function shapeOf(columns: readonly string[], rows: readonly Row[]): unknown[] {
  const shape: unknown[] = [rows.length, columns.length, ...columns];
  for (const row of rows) {
    for (const c of columns) {
      const v = row[c];
      shape.push(v instanceof Fragment ? v.sql : null);
    }
  }
  return shape;
}

/** `insert into t (a, b) values (?, ?), (?, ?)`, expressions inlined. */
export function insertText(table: string, columns: readonly string[], rows: readonly Row[]): string {
  const tuples = rows.map((row) => `(${columns.map((c) => (row[c] instanceof Fragment ? (row[c] as Fragment).sql : '?')).join(', ')})`);
  return `insert into ${table} (${columns.map(ident).join(', ')}) values ${tuples.join(', ')}`;
}

export function insertHead(table: string, columns: readonly string[], rows: readonly Row[]): Fragment {
  return new Fragment(insertText(table, columns, rows), valuesOf(columns, rows));
}

/**
 * Rows with distinct `id`s (the last one wins; one statement may not touch a row twice), in id
 * order, so that concurrent multi-row upserts lock rows in the same order.
 */
export function distinctById<T extends Row>(rows: readonly T[]): T[] {
  const byId = new Map<string, T>();
  const anonymous: T[] = [];
  for (const r of rows) {
    if (typeof r.id === 'string') byId.set(r.id, r);
    else anonymous.push(r);
  }
  const sorted = [...byId.keys()].sort().map((id) => byId.get(id)!);
  return anonymous.length === 0 ? sorted : [...sorted, ...anonymous];
}

