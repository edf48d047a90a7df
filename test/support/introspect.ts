import { sql, type Kysely } from 'kysely';
import type { DialectName } from '../../src/store/dialect.js';
import type { Table } from '../../src/tables/define.js';
import { physicalType } from '../../src/tables/render.js';

/** A table as a database reports it, or as a schema describes it, in the same terms. */
export interface TableShape {
  /** name → `type [not null] [default N]`, the type as the database spells it. */
  columns: Record<string, string>;
  primaryKey: string[];
  /** name → `[unique ]index (a, b)[ partial]`. */
  indexes: Record<string, string>;
}

export type SchemaShape = Record<string, TableShape>;

const index = (columns: string[], unique: boolean, partial: boolean) => `${unique ? 'unique ' : ''}index (${columns.join(', ')})${partial ? ' partial' : ''}`;
const column = (type: string, notNull: boolean, dflt: string | number | null) => `${type}${notNull ? ' not null' : ''}${dflt === null ? '' : ` default ${dflt}`}`;

/** The shape a table description says the database has. */
export function describedShape(tables: readonly Table[], dialect: DialectName): SchemaShape {
  const shape: SchemaShape = {};
  for (const t of tables) {
    shape[t.name] = {
      columns: Object.fromEntries(t.columns.map((c) => [c.name, column(physicalType(c, dialect), !c.nullable, c.default)])),
      primaryKey: t.primaryKey,
      indexes: Object.fromEntries(t.indexes.map((i) => [i.name, index(i.columns, i.unique, i.where !== null)])),
    };
  }
  return shape;
}

/**
 * The `clerk_*` tables of a database as it reports them (the migrations' own bookkeeping table
 * aside). A primary key column counts as not null (SQLite would take a NULL in a text key, and
 * nothing writes one).
 */
export async function introspect(db: Kysely<any>, dialect: DialectName): Promise<SchemaShape> {
  const shape: SchemaShape = {};
  if (dialect === 'sqlite') {
    const { rows: tables } = await sql<{ name: string }>`select name from sqlite_master where type = 'table' and name like 'clerk\\_%' escape '\\' and name <> 'clerk_sync_migrations' order by name`.execute(db);
    for (const { name } of tables) {
      const { rows: cols } = await sql<{ name: string; type: string; notnull: number; dflt_value: string | null; pk: number }>`select name, type, "notnull", dflt_value, pk from pragma_table_info(${name})`.execute(db);
      const { rows: idx } = await sql<{ name: string; unique: number; origin: string; partial: number }>`select name, "unique", origin, partial from pragma_index_list(${name})`.execute(db);
      const indexes: Record<string, string> = {};
      for (const i of idx.filter((i) => i.origin === 'c')) {
        const { rows: ic } = await sql<{ name: string }>`select name from pragma_index_info(${i.name}) order by seqno`.execute(db);
        indexes[i.name] = index(ic.map((c) => c.name), i.unique === 1, i.partial === 1);
      }
      shape[name] = {
        columns: Object.fromEntries(cols.map((c) => [c.name, column(c.type.toLowerCase(), c.notnull === 1 || c.pk > 0, c.dflt_value)])),
        primaryKey: cols.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk).map((c) => c.name),
        indexes,
      };
    }
    return shape;
  }
  const { rows: cols } = await sql<{ table_name: string; column_name: string; data_type: string; is_nullable: string; column_default: string | null }>`
    select table_name, column_name, data_type, is_nullable, column_default from information_schema.columns
     where table_schema = current_schema() and table_name like 'clerk\\_%' and table_name <> 'clerk_sync_migrations'
     order by table_name, ordinal_position`.execute(db);
  for (const c of cols) {
    const t = (shape[c.table_name] ??= { columns: {}, primaryKey: [], indexes: {} });
    // A bigserial's default is its sequence: the column is `serial` in the description, no default.
    const dflt = c.column_default === null || c.column_default.startsWith('nextval(') ? null : c.column_default;
    t.columns[c.column_name] = column(c.data_type, c.is_nullable === 'NO', dflt);
  }
  const { rows: idx } = await sql<{ table: string; name: string; columns: string[]; unique: boolean; primary: boolean; partial: boolean }>`
    select t.relname as table, i.relname as name, x.indisunique as unique, x.indisprimary as primary, x.indpred is not null as partial,
           array(select a.attname from unnest(x.indkey) with ordinality k(attnum, n) join pg_attribute a on a.attrelid = t.oid and a.attnum = k.attnum order by k.n)::text[] as columns
      from pg_index x join pg_class i on i.oid = x.indexrelid join pg_class t on t.oid = x.indrelid join pg_namespace s on s.oid = t.relnamespace
     where s.nspname = current_schema() and t.relname like 'clerk\\_%' and t.relname <> 'clerk_sync_migrations'`.execute(db);
  for (const i of idx) {
    const t = shape[i.table]!;
    if (i.primary) t.primaryKey = i.columns;
    else t.indexes[i.name] = index(i.columns, i.unique, i.partial);
  }
  return shape;
}

/** Every difference between two shapes, one line each: empty when they agree. */
export function differences(expected: SchemaShape, actual: SchemaShape, names: { expected: string; actual: string }): string[] {
  const out: string[] = [];
  const keys = (a: object, b: object) => [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  for (const table of keys(expected, actual)) {
    const e = expected[table];
    const a = actual[table];
    if (!e || !a) {
      out.push(`${table}: only in ${e ? names.expected : names.actual}`);
      continue;
    }
    for (const c of keys(e.columns, a.columns)) {
      if (e.columns[c] !== a.columns[c]) out.push(`${table}.${c}: ${names.expected} says ${e.columns[c] ?? '(no such column)'}, ${names.actual} says ${a.columns[c] ?? '(no such column)'}`);
    }
    if (e.primaryKey.join(',') !== a.primaryKey.join(',')) out.push(`${table}: primary key (${e.primaryKey.join(', ')}) in ${names.expected}, (${a.primaryKey.join(', ')}) in ${names.actual}`);
    for (const i of keys(e.indexes, a.indexes)) {
      if (e.indexes[i] !== a.indexes[i]) out.push(`${table} index ${i}: ${names.expected} says ${e.indexes[i] ?? '(none)'}, ${names.actual} says ${a.indexes[i] ?? '(none)'}`);
    }
  }
  return out;
}
