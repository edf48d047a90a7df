/**
 * The PostgreSQL schema clerk-sync's tables live in: `public` unless told otherwise
 * (`--pg-schema clerk`). clerk-sync's SQL names its tables unqualified, and the schema is chosen
 * by `search_path`: a startup parameter on a direct or session connection, `set local` in each
 * transaction through a transaction-mode pooler (see postgres.ts). Tables, the migrations table
 * and the LISTEN/NOTIFY channel all follow it, so installations in two schemas of one database
 * never see each other's events.
 */
import { DatabaseConfigError } from './pg-url.js';

export const PG_SCHEMA_ENV = 'CLERK_SYNC_PG_SCHEMA';

const DEFAULT_SCHEMA = 'public';
/** Lower-case and short, so it needs no quoting anywhere and `clerk_sync_events_<schema>` stays a valid channel name. */
const VALID = /^[a-z_][a-z0-9_]{0,39}$/;

/** The schema to use: null for `public` (nothing to set), else a validated name. */
export function choosePgSchema(value: string | undefined | null): string | null {
  const v = value?.trim();
  if (!v || v === DEFAULT_SCHEMA) return null;
  if (!VALID.test(v)) {
    throw new DatabaseConfigError(`--pg-schema (${PG_SCHEMA_ENV}) must be a lower-case name of letters, digits and _ (at most 40 characters, not starting with a digit), got "${value}"`);
  }
  return v;
}

/** The channel the inbox's insert trigger notifies (see migration 007): one per schema. */
export function eventsChannel(schema: string | null): string {
  return schema ? `clerk_sync_events_${schema}` : 'clerk_sync_events';
}
