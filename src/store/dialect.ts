import { sql, type RawBuilder } from 'kysely';

export type DialectName = 'sqlite' | 'postgres';

/** Column types whose spelling differs between SQLite and PostgreSQL. */
export function columnTypes(dialect: DialectName): { json: RawBuilder<unknown>; bool: RawBuilder<unknown> } {
  return dialect === 'postgres' ? { json: sql`jsonb`, bool: sql`boolean` } : { json: sql`text`, bool: sql`integer` };
}
