/**
 * The shape of a table clerk-sync owns, as data: what `clerk-sync schema` renders for each ORM,
 * and what test/tables-agree.test.ts checks against the tables the migrations actually create.
 */

/**
 * Portable column types; the spelling per database is the migrations' (src/store/dialect.ts):
 * `boolean` is 0/1 `integer` on SQLite, `json` is `text` on SQLite and `jsonb` on PostgreSQL,
 * `serial` an auto-incrementing `integer` primary key on SQLite and `bigserial` on PostgreSQL.
 * Times are `bigint` Unix epoch milliseconds.
 */
export type ColumnType = 'text' | 'integer' | 'bigint' | 'real' | 'boolean' | 'json' | 'serial';

export interface Column {
  name: string;
  type: ColumnType;
  nullable: boolean;
  /** A constant default the database fills in. */
  default: number | null;
  /**
   * The TypeScript type of the value, in terms of `clerk-sync/events` types: what a JSON column
   * holds once parsed, or a narrower type for a text column (a status union).
   */
  ts: string | null;
  doc: string | null;
}

export interface Index {
  name: string;
  columns: string[];
  unique: boolean;
  /** The condition of a partial index, in SQL both databases read alike. */
  where: string | null;
}

/**
 * A row of this table names a row of another one (no foreign key in the database: webhooks
 * arrive in any order, so the other row may not be there yet, or any more).
 */
export interface Relation {
  /** The name of the one row on this side (`user`). */
  name: string;
  columns: string[];
  table: string;
  references: string[];
  /** The name of the many rows on the other side (`email_addresses`). */
  inverse: string;
}

export interface Table {
  name: string;
  doc: string;
  /** The inbox and clerk-sync's own bookkeeping, rather than Clerk's data. */
  internal: boolean;
  columns: Column[];
  primaryKey: string[];
  /** The name of a primary key the migrations named explicitly (composite keys). */
  primaryKeyName: string | null;
  indexes: Index[];
  relations: Relation[];
}

/** A column written as SQL reads: `text`, `text not null`, `integer not null default 0`, `text primary key`. */
export type ColumnSpec = string | { sql: string; ts?: string; doc?: string };

export interface TableSpec {
  doc: string;
  internal?: boolean;
  columns: Record<string, ColumnSpec>;
  /** A composite primary key, with the name the migration gave it. */
  primaryKey?: { name: string; columns: string[] };
  /** Index name to its columns; `{ columns, unique, where }` for the others. */
  indexes?: Record<string, string[] | { columns: string[]; unique?: boolean; where?: string }>;
  relations?: Record<string, { columns: string[]; table: string; references?: string[]; inverse: string }>;
}

const COLUMN = /^(text|integer|bigint|real|boolean|json|serial)( not null)?( primary key)?( default (-?\d+))?$/;

function column(name: string, spec: ColumnSpec): Column & { primaryKey: boolean } {
  const { sql, ts = null, doc = null } = typeof spec === 'string' ? { sql: spec } : spec;
  const m = COLUMN.exec(sql);
  if (!m) throw new Error(`column ${name}: cannot read "${sql}" (expected e.g. "text not null")`);
  const primaryKey = m[3] !== undefined || m[1] === 'serial';
  return { name, type: m[1] as ColumnType, nullable: !m[2] && !primaryKey, default: m[5] === undefined ? null : Number(m[5]), ts, doc, primaryKey };
}

export function table(name: string, spec: TableSpec): Table {
  const columns = Object.entries(spec.columns).map(([n, s]) => column(n, s));
  const primaryKey = spec.primaryKey?.columns ?? columns.filter((c) => c.primaryKey).map((c) => c.name);
  const names = new Set(columns.map((c) => c.name));
  const known = (cols: string[], what: string) => {
    for (const c of cols) if (!names.has(c)) throw new Error(`${name}: ${what} names a column it does not have: ${c}`);
  };
  known(primaryKey, 'the primary key');
  const indexes = Object.entries(spec.indexes ?? {}).map(([n, i]): Index => {
    const { columns: cols, unique = false, where = null } = Array.isArray(i) ? { columns: i } : i;
    known(cols, `index ${n}`);
    return { name: n, columns: cols, unique, where };
  });
  const relations = Object.entries(spec.relations ?? {}).map(([n, r]): Relation => {
    known(r.columns, `relation ${n}`);
    return { name: n, columns: r.columns, table: r.table, references: r.references ?? ['id'], inverse: r.inverse };
  });
  return {
    name,
    doc: spec.doc,
    internal: spec.internal ?? false,
    columns: columns.map(({ primaryKey: _, ...c }) => c),
    primaryKey,
    primaryKeyName: spec.primaryKey?.name ?? null,
    indexes,
    relations,
  };
}

/** A JSON column holding `ts` (a type of `clerk-sync/events`, or any TypeScript type). */
export const json = (ts: string, doc?: string): ColumnSpec => ({ sql: 'json', ts, ...(doc ? { doc } : {}) });

/** Metadata objects, as Clerk's API describes them. */
export const METADATA = 'Record<string, unknown>';

/** `created_at`, `updated_at` (and `deleted_at`) and `payload`: the columns most synced tables end with. */
export function versioned(payload: string, options: { deleted?: boolean } = {}): Record<string, ColumnSpec> {
  return {
    created_at: 'bigint',
    updated_at: 'bigint',
    ...(options.deleted ? { deleted_at: { sql: 'bigint', doc: 'Set when the row ended (Clerk deleted it, or it was found gone): the row stays, as a tombstone.' } } : {}),
    payload: json(payload, 'The latest full payload applied.'),
  };
}

/**
 * The tables, once their relations are known to hold together: each names a table and columns
 * that exist, and no relation name (on either side) takes the name of a column or of another
 * relation of its table, which an ORM would refuse.
 */
export function related(tables: Table[]): Table[] {
  const byName = new Map(tables.map((t) => [t.name, t]));
  const names = new Map(tables.map((t) => [t.name, new Set(t.columns.map((c) => c.name))]));
  const claim = (table: string, name: string, what: string) => {
    const taken = names.get(table)!;
    if (taken.has(name)) throw new Error(`${table}: ${what} "${name}" is already the name of a column or relation there`);
    taken.add(name);
  };
  for (const t of tables) {
    for (const r of t.relations) {
      const target = byName.get(r.table);
      if (!target) throw new Error(`${t.name}.${r.name}: no table ${r.table}`);
      for (const c of r.references) if (!target.columns.some((x) => x.name === c)) throw new Error(`${t.name}.${r.name}: ${r.table} has no column ${c}`);
      claim(t.name, r.name, 'relation');
      claim(r.table, r.inverse, `the inverse of ${t.name}.${r.name}`);
    }
  }
  return tables;
}
