import { Fragment, ident, join, q, raw, TextCache } from '../store/sql.js';
import type { SqlWriter } from '../store/sql-writer.js';

/** A row to write: column -> value, or -> SQL expression (a subquery, a `case`). */
export type Row = Record<string, unknown>;

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
export async function upsertNewer(sql: SqlWriter, table: string, rows: Row | readonly Row[], options: UpsertOptions = {}): Promise<void> {
  const list = Array.isArray(rows) ? rows : [rows as Row];
  if (list.length > 0) await sql.run(upsertStatement(table, list, options, false));
}

/**
 * upsertNewer that answers whether a row was written, from the rows the statement returns. The
 * rows it wrote (or found newer) stay locked until commit, so the caller may then replace what
 * hangs off them (child rows) without racing another worker. Costs a round trip on PostgreSQL.
 */
export async function upsertNewerApplied(sql: SqlWriter, table: string, rows: Row | readonly Row[], options: UpsertOptions = {}): Promise<boolean> {
  const list = Array.isArray(rows) ? rows : [rows as Row];
  if (list.length === 0) return false;
  const result = await sql.exec(upsertStatement(table, list, options, true));
  return result.rows.length > 0;
}

const upserts = new TextCache();
const inserts = new TextCache();

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

/** The parameters of `insert ... values (...), (...)`, row by row, expressions' own inlined. */
function valuesOf(columns: readonly string[], rows: readonly Row[]): unknown[] {
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
function shapeOf(columns: readonly string[], rows: readonly Row[]): unknown[] {
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
function insertText(table: string, columns: readonly string[], rows: readonly Row[]): string {
  const tuples = rows.map((row) => `(${columns.map((c) => (row[c] instanceof Fragment ? (row[c] as Fragment).sql : '?')).join(', ')})`);
  return `insert into ${table} (${columns.map(ident).join(', ')}) values ${tuples.join(', ')}`;
}

function insertHead(table: string, columns: readonly string[], rows: readonly Row[]): Fragment {
  return new Fragment(insertText(table, columns, rows), valuesOf(columns, rows));
}

/**
 * Plain multi-row insert; `ignoreConflicts`: a conflict on `id` keeps the stored row (for immutable
 * records). With `when`, each row is inserted only if that condition holds, one statement per row
 * (PostgreSQL infers parameter types from the target columns in `insert ... select ? where`, but
 * not through a multi-row `values` list).
 */
export async function insertRows(sql: SqlWriter, table: string, rows: readonly Row[], options: { ignoreConflicts?: boolean; when?: Fragment } = {}): Promise<void> {
  if (rows.length === 0) return;
  const columns = Object.keys(rows[0]!);
  const ignore = options.ignoreConflicts ?? false;
  const onConflict = ignore ? ' on conflict ("id") do nothing' : '';
  const { when } = options;
  if (when === undefined) {
    const text = inserts.get([table, ignore, ...shapeOf(columns, rows)], () => `${insertText(table, columns, rows)}${onConflict}`);
    return sql.run(new Fragment(text, valuesOf(columns, rows)));
  }
  for (const row of rows) {
    const text = inserts.get([table, ignore, when.sql, ...shapeOf(columns, [row])], () =>
      `insert into ${table} (${columns.map(ident).join(', ')}) select ${columns.map((c) => (row[c] instanceof Fragment ? (row[c] as Fragment).sql : '?')).join(', ')} where ${when.sql}${onConflict}`);
    await sql.run(new Fragment(text, [...valuesOf(columns, [row]), ...when.params]));
  }
}

/**
 * Records a deletion: inserts the tombstone when the entity was never seen, else sets `deleted_at`
 * (the first deletion time stays) and whatever `set` adds (erasure of personal data).
 */
export async function insertTombstone(sql: SqlWriter, table: string, row: Row & { id: string; deleted_at: number }, set: Record<string, Fragment> = {}): Promise<void> {
  const updates = [
    raw(`"deleted_at" = coalesce(${table}.deleted_at, excluded.deleted_at)`),
    ...Object.entries(set).map(([column, expr]) => q`${raw(`${ident(column)} = `)}${expr}`),
  ];
  await sql.run(q`${insertHead(table, Object.keys(row), [row])} on conflict ("id") do update set ${join(updates)}`);
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
