// Recipes: Drizzle ORM on SQLite (drizzle-orm/better-sqlite3): drizzle-pg.ts on PostgreSQL, where
// only the imports and the connection differ. schema/drizzle-sqlite.ts is generated: `clerk-sync schema --format drizzle-sqlite`.
import { and, asc, count, eq, isNull, relations } from 'drizzle-orm';
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import * as clerk from './schema/drizzle-sqlite.js';

const { clerkOrganizationMemberships: memberships, clerkSubscriptions: subscriptions, clerkUsers: users } = clerk;

/** The app's own table: posts written by Clerk users. No foreign key: the author may arrive later than the post. */
export const posts = sqliteTable('posts', {
  id: integer('id').primaryKey(),
  author_id: text('author_id').notNull(),
  title: text('title').notNull(),
});
export const postsRelations = relations(posts, ({ one }) => ({ author: one(users, { fields: [posts.author_id], references: [users.id] }) }));

export const schema = { ...clerk, posts, postsRelations };
export type Db = BetterSQLite3Database<typeof schema>;

/** The file clerk-sync writes (WAL mode: the app reads while clerk-sync writes). */
export const connect = (path: string) => drizzle(path, { schema });

/** A user (not deleted) with their primary email, and all their addresses through the relation. */
export function userWithPrimaryEmail(db: Db, userId: string) {
  return db.query.clerkUsers.findFirst({
    columns: { id: true, first_name: true, last_name: true, primary_email_address: true },
    where: and(eq(users.id, userId), isNull(users.deleted_at)),
    with: { email_addresses: { columns: { email_address: true, is_primary: true, verification_status: true }, orderBy: (e, { asc }) => [asc(e.email_address)] } },
  });
}

/** The active members of an organization, with their roles. Both sides can be tombstones: exclude both. */
export function activeMembers(db: Db, organizationId: string) {
  return db
    .select({ user_id: users.id, first_name: users.first_name, role: memberships.role, role_name: memberships.role_name })
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.user_id))
    .where(and(eq(memberships.organization_id, organizationId), isNull(memberships.deleted_at), isNull(users.deleted_at)))
    .orderBy(asc(memberships.created_at));
}

/** Every post with its author; a deleted author (or one not synced yet) reads as null. */
export function postsWithAuthors(db: Db) {
  return db
    .select({ id: posts.id, title: posts.title, author: { id: users.id, first_name: users.first_name, email: users.primary_email_address } })
    .from(posts)
    .leftJoin(users, and(eq(users.id, posts.author_id), isNull(users.deleted_at)))
    .orderBy(asc(posts.id));
}

/** How many subscriptions are active now. */
export async function activeSubscriptionCount(db: Db): Promise<number> {
  const [row] = await db.select({ n: count() }).from(subscriptions).where(eq(subscriptions.status, 'active'));
  return row!.n;
}
