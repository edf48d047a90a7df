import type { Table } from '../define.js';
import { TABLES } from '../tables.js';
import { renderDrizzle } from './drizzle.js';
import { renderKysely } from './kysely.js';
import { renderPrisma } from './prisma.js';
import { renderSql } from './sql.js';

/** What `clerk-sync schema --format` renders. */
export const SCHEMA_FORMATS = {
  'drizzle-pg': (t: readonly Table[]) => renderDrizzle(t, 'postgres'),
  'drizzle-sqlite': (t: readonly Table[]) => renderDrizzle(t, 'sqlite'),
  prisma: renderPrisma,
  kysely: renderKysely,
  'sql-pg': (t: readonly Table[]) => renderSql(t, 'postgres'),
  'sql-sqlite': (t: readonly Table[]) => renderSql(t, 'sqlite'),
} as const;

export type SchemaFormat = keyof typeof SCHEMA_FORMATS;

export const isSchemaFormat = (f: string): f is SchemaFormat => Object.hasOwn(SCHEMA_FORMATS, f);

/** The synced `clerk_*` tables, plus the inbox and clerk-sync's bookkeeping when `internal`. */
export function schemaTables(options: { internal?: boolean } = {}): Table[] {
  return TABLES.filter((t) => options.internal || !t.internal);
}

export function renderSchema(format: SchemaFormat, options: { internal?: boolean } = {}): string {
  return SCHEMA_FORMATS[format](schemaTables(options));
}
