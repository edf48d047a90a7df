// Recipes: Kysely, on PostgreSQL or SQLite alike. schema/kysely.ts is generated:
// `clerk-sync schema --format kysely`; the app's database interface extends ClerkSyncTables.
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, ParseJSONResultsPlugin, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import type { ClerkSyncTables } from './schema/kysely.js';

interface PostsTable {
  id: number;
  author_id: string;
  title: string;
}

export interface Database extends ClerkSyncTables {
  posts: PostsTable;
}

// Times are epoch milliseconds in bigint columns: read them as numbers (node-postgres returns
// int8 as strings otherwise; clerk-sync sets the same parser when it is loaded in the process).
pg.types.setTypeParser(pg.types.builtins.INT8, Number);

export function connect(url: string): Kysely<Database> {
  if (/^postgres(ql)?:\/\//.test(url)) return new Kysely<Database>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url }) }) });
  // SQLite keeps JSON as text: the plugin parses it, so `payload` reads as a User on both.
  return new Kysely<Database>({ dialect: new SqliteDialect({ database: new BetterSqlite3(url) }), plugins: [new ParseJSONResultsPlugin()] });
}

/** A user (not deleted) with their primary email, and all their addresses. */
export async function userWithPrimaryEmail(db: Kysely<Database>, userId: string) {
  const user = await db
    .selectFrom('clerk_users')
    .select(['id', 'first_name', 'last_name', 'primary_email_address'])
    .where('id', '=', userId)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  if (!user) return undefined;
  const email_addresses = await db
    .selectFrom('clerk_user_email_addresses')
    .select(['email_address', 'is_primary', 'verification_status'])
    .where('user_id', '=', userId)
    .orderBy('email_address')
    .execute();
  return { ...user, email_addresses };
}

/** The active members of an organization, with their roles. */
export function activeMembers(db: Kysely<Database>, organizationId: string) {
  return db
    .selectFrom('clerk_organization_memberships as m')
    .innerJoin('clerk_users as u', 'u.id', 'm.user_id')
    .select(['u.id as user_id', 'u.first_name', 'm.role', 'm.role_name'])
    .where('m.organization_id', '=', organizationId)
    .where('m.deleted_at', 'is', null)
    .where('u.deleted_at', 'is', null)
    .orderBy('m.created_at')
    .execute();
}

/** Every post with its author; a deleted author (or one not synced yet) reads as null. */
export function postsWithAuthors(db: Kysely<Database>) {
  return db
    .selectFrom('posts as p')
    .leftJoin('clerk_users as u', (join) => join.onRef('u.id', '=', 'p.author_id').on('u.deleted_at', 'is', null))
    .select(['p.id', 'p.title', 'u.id as author_id', 'u.first_name as author_first_name', 'u.primary_email_address as author_email'])
    .orderBy('p.id')
    .execute();
}

/** How many subscriptions are active now. */
export async function activeSubscriptionCount(db: Kysely<Database>): Promise<number> {
  const row = await db.selectFrom('clerk_subscriptions').select((eb) => eb.fn.countAll<number>().as('n')).where('status', '=', 'active').executeTakeFirstOrThrow();
  return Number(row.n);
}
