/**
 * Compile-time checks (run by `npm run typecheck`) of the generated schemas in examples/querying/
 * (`clerk-sync schema`): a query naming a column the table does not have, or a field the JSON
 * column's catalog type does not have, is a compile error; the right ones compile.
 */
import { eq } from 'drizzle-orm';
import type { BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import type { NodePgDatabase } from 'drizzle-orm/node-postgres';
import type { Kysely } from 'kysely';
import * as pgSchema from '../../examples/querying/schema/drizzle-pg.js';
import * as sqliteSchema from '../../examples/querying/schema/drizzle-sqlite.js';
import type { ClerkSyncTables } from '../../examples/querying/schema/kysely.js';

declare const pg: NodePgDatabase<typeof pgSchema>;
declare const sqlite: BetterSQLite3Database<typeof sqliteSchema>;
declare const kysely: Kysely<ClerkSyncTables>;

export async function drizzlePgIsTyped(): Promise<void> {
  const [user] = await pg.select().from(pgSchema.clerkUsers).where(eq(pgSchema.clerkUsers.first_name, 'Ada'));
  const first: string | null | undefined = user?.payload?.first_name;
  const banned: boolean | null | undefined = user?.banned;
  const createdAt: number | null | undefined = user?.created_at;
  const metadata: Record<string, unknown> | null | undefined = user?.public_metadata;
  void [first, banned, createdAt, metadata];
  // @ts-expect-error: clerk_users has no column `firstname`.
  void pg.select().from(pgSchema.clerkUsers).where(eq(pgSchema.clerkUsers.firstname, 'Ada'));
  // @ts-expect-error: a User payload has no field `firstname`.
  void user?.payload?.firstname;
  // @ts-expect-error: times are numbers, not strings.
  const asText: string | null | undefined = user?.created_at;
  void asText;
  const withEmails = await pg.query.clerkUsers.findFirst({ with: { email_addresses: true } });
  const linked: Array<{ type: string; id: string }> | null | undefined = withEmails?.email_addresses[0]?.linked_to;
  void linked;
}

export async function drizzleSqliteIsTyped(): Promise<void> {
  const [member] = await sqlite.select().from(sqliteSchema.clerkOrganizationMemberships).where(eq(sqliteSchema.clerkOrganizationMemberships.role, 'org:admin'));
  const permissions: string[] | null | undefined = member?.permissions;
  const orgName: string | undefined = member?.payload?.organization.name;
  void [permissions, orgName];
  // @ts-expect-error: memberships have no column `org_id`.
  void sqlite.select().from(sqliteSchema.clerkOrganizationMemberships).where(eq(sqliteSchema.clerkOrganizationMemberships.org_id, 'org_1'));
  // @ts-expect-error: an OrganizationMembership payload has no field `organisation`.
  void member?.payload?.organisation;
}

export async function kyselyIsTyped(): Promise<void> {
  const user = await kysely.selectFrom('clerk_users').select(['id', 'payload']).where('deleted_at', 'is', null).executeTakeFirst();
  const first: string | null | undefined = user?.payload?.first_name;
  void first;
  // @ts-expect-error: clerk_users has no column `firstname`.
  await kysely.selectFrom('clerk_users').select(['firstname']).execute();
  // @ts-expect-error: a User payload has no field `firstname`.
  void user?.payload?.firstname;
  // @ts-expect-error: posts are the app's table, not clerk-sync's.
  await kysely.selectFrom('posts').selectAll().execute();
}
