import { Fragment, ident, raw, TextCache } from '../store/sql.js';
import type { SqlWriter } from '../store/sql-writer.js';
import { insertText, shapeOf, valuesOf, type Row, type RowOf, type SyncedTable } from './rows.js';

export interface UpsertOptions {
  /** Column holding the entity's version; default `updated_at`. */
  versionColumn?: string;
  /** Equal versions apply too (default), so a replay rewrites the same values; false: only a newer version applies. */
  applyEqual?: boolean;
  /** Conflict target; default `id`. */
  conflict?: string;
  /** A stored row with `deleted_at` set never changes again (default true; false for tables without `deleted_at`). */
  tombstone?: boolean;
  /** One more condition the update must meet; may reference the stored row (`<table>.col`) and `excluded.col`. */
  guard?: Fragment;
  /** Update expressions for some columns, instead of `excluded.<col>`. */
  set?: Record<string, Fragment>;
}

/**
 * Upsert keyed by `id` that only ever moves a row forward: the write happens when the row is new,
 * or is not deleted and the incoming version (`updated_at`, or whatever `versionColumn` holds) is
 * at least as new as the stored one, and the optional `guard` holds. The guard runs inside the
 * database, so concurrent workers applying events of one entity leave the newest state whatever
 * order they commit in.
 *
 * Several rows may be written at once; they must have the same columns and distinct ids. The
 * statement only runs when the transaction next needs an answer (see `run`).
 */
export async function upsertNewer<T extends SyncedTable>(sql: SqlWriter, table: T, rows: RowOf<T> | readonly RowOf<T>[], options: UpsertOptions = {}): Promise<void> {
  const list: readonly Row[] = Array.isArray(rows) ? rows : [rows as Row];
  if (list.length > 0) await sql.run(upsertStatement(table, list, options, false));
}

/**
 * upsertNewer that answers whether a row was written, from the rows the statement returns. The
 * rows it wrote (or found newer) stay locked until commit, so the caller may then replace what
 * hangs off them (child rows) without racing another worker. Costs a round trip on PostgreSQL.
 */
export async function upsertNewerApplied<T extends SyncedTable>(sql: SqlWriter, table: T, rows: RowOf<T> | readonly RowOf<T>[], options: UpsertOptions = {}): Promise<boolean> {
  const list: readonly Row[] = Array.isArray(rows) ? rows : [rows as Row];
  if (list.length === 0) return false;
  const result = await sql.exec(upsertStatement(table, list, options, true));
  return result.rows.length > 0;
}

const upserts = new TextCache();

/** `returning`: the statement answers with the ids it wrote (upsertNewerApplied). */
function upsertStatement(table: string, rows: readonly Row[], options: UpsertOptions, returning: boolean): Fragment {
  const columns = Object.keys(rows[0]!);
  const conflict = options.conflict ?? 'id';
  const params = valuesOf(columns, rows);
  for (const c of columns) {
    const expr = c === conflict ? undefined : options.set?.[c];
    if (expr) for (const p of expr.params) params.push(p);
  }
  if (options.guard) for (const p of options.guard.params) params.push(p);

  const shape: unknown[] = [
    table, options.versionColumn, options.applyEqual, options.conflict, options.tombstone, options.guard?.sql, returning,
    ...shapeOf(columns, rows),
  ];
  if (options.set) for (const c of columns) shape.push(options.set[c]?.sql);
  return new Fragment(upserts.get(shape, () => upsertText(table, columns, rows, options, returning)), params);
}

function upsertText(table: string, columns: readonly string[], rows: readonly Row[], options: UpsertOptions, returning: boolean): string {
  const version = ident(options.versionColumn ?? 'updated_at');
  const conflict = options.conflict ?? 'id';
  let text = `${insertText(table, columns, rows)} on conflict (${ident(conflict)}) do update set `;
  text += columns
    .filter((c) => c !== conflict)
    .map((c) => `${ident(c)} = ${options.set?.[c]?.sql ?? `excluded.${ident(c)}`}`)
    .join(', ');
  text += ' where ';
  if (options.tombstone ?? true) text += `${table}.deleted_at is null and `;
  text += `(${table}.${version} is null or excluded.${version} ${options.applyEqual === false ? '>' : '>='} ${table}.${version})`;
  if (options.guard) text += ` and ${options.guard.sql}`;
  if (returning) text += ` returning ${ident(conflict)}`;
  return text;
}

/**
 * Guard for statuses that are final: once the stored row holds one of `final`, an event whose own
 * status is not final (an older `created` arriving late, say) does not apply, whatever its version.
 * Decided on the event's status as sent, not on what the row will hold: a session of a deleted
 * user is stored `ended`, yet the event that carried `active` must not overwrite `revoked`.
 * Returns the guard to use for an event of a given status (none when that status is final).
 */
export function staysFinal(table: string, final: readonly string[]): (incoming: string | null) => Fragment | undefined {
  const guard = raw(`(${table}.status is null or ${table}.status not in (${final.map((s) => `'${s}'`).join(', ')}))`);
  return (incoming) => (incoming !== null && final.includes(incoming) ? undefined : guard);
}

/** `coalesce(<table>.col, excluded.col)`: the first value written stays (tombstone times). */
export function keepFirst(table: string, column: string): Fragment {
  return raw(`coalesce(${table}.${ident(column)}, excluded.${ident(column)})`);
}

/** `coalesce(excluded.col, <table>.col)`: a payload that lacks the value does not erase it. */
export function keepKnown(table: string, column: string): Fragment {
  return raw(`coalesce(excluded.${ident(column)}, ${table}.${ident(column)})`);
}

