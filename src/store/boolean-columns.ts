import type { SqlBool } from 'kysely';
import type { ClerkSyncDatabase } from './schema.js';

type BooleanKeys<Table> = { [K in keyof Table]-?: [NonNullable<Table[K]>] extends [SqlBool] ? K : never }[keyof Table];
/** Every boolean column name of every table, from the schema's types. */
type BooleanColumn = { [T in keyof ClerkSyncDatabase]: BooleanKeys<ClerkSyncDatabase[T]> }[keyof ClerkSyncDatabase];

const NAMES = [
  'has_image', 'banned', 'locked', 'password_enabled', 'two_factor_enabled', 'admin_delete_enabled', 'is_primary', 'reserved',
  'reserved_for_second_factor', 'default_second_factor', 'email_address_verified', 'is_creator_eligible', 'revoked', 'is_locked',
  'delivered_by_clerk', 'is_free_trial',
] as const satisfies readonly BooleanColumn[];

// A boolean column added to the schema without its name here fails to compile.
const complete: [Exclude<BooleanColumn, (typeof NAMES)[number]>] extends [never] ? true : never = true;
void complete;

/**
 * The boolean columns (the same name is boolean in every table that has it). SQLite returns them
 * as 0/1: readers that answer both dialects alike turn them back into booleans.
 */
export const BOOLEAN_COLUMNS: ReadonlySet<string> = new Set(NAMES);
