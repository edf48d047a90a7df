// Querying clerk-sync's tables with Prisma 7 (the prisma/ folder: the app's schema.prisma beside
// clerk-sync's generated clerk.prisma). Generate the client first, from examples/querying/:
//
//   npx prisma generate        # writes .generated/prisma/ (git-ignored)
//
// and connect through a driver adapter (Prisma 7 has no built-in drivers):
//
//   import { PrismaClient } from './.generated/prisma/client.js';
//   import { PrismaPg } from '@prisma/adapter-pg';
//   const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: process.env.DATABASE_URL }) });
//   // SQLite (provider = "sqlite" in schema.prisma; clerk.prisma is the same for both):
//   // import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
//   // new PrismaClient({ adapter: new PrismaBetterSqlite3({ url: 'file:./clerk-sync.db' }) })
//
// This file type-checks only once the client is generated, so the repository's tsconfig leaves
// it out; test/querying-prisma.test.ts generates a client and type-checks and runs it.
//
// Read these tables, never write them: clerk-sync is their only writer. Rows with `deleted_at`
// set are tombstones (a deleted user keeps its id, its personal data erased), and the times are
// Clerk's epoch milliseconds in `bigint` columns, which Prisma returns as BigInt: converted here
// with Number() (safe: milliseconds stay far below 2^53).
import type { PrismaClient } from './.generated/prisma/client.js';

/** A user that is not deleted, with the primary email address and every address (primary first), or null. */
export async function userWithPrimaryEmail(prisma: PrismaClient, userId: string) {
  return prisma.clerkUsers.findFirst({
    where: { id: userId, deleted_at: null },
    select: {
      id: true,
      first_name: true,
      last_name: true,
      // Denormalized by clerk-sync: the address of primary_email_address_id, no join needed.
      primary_email_address: true,
      email_addresses: {
        select: { email_address: true, is_primary: true, verification_status: true },
        orderBy: [{ is_primary: 'desc' }, { email_address: 'asc' }],
      },
    },
  });
}

/**
 * The organization's active members, oldest membership first: memberships not ended
 * (deleted_at null) whose user is synced and not deleted. A membership can arrive before its
 * user (webhooks come in any order); the relation filter leaves it out until the user is there.
 */
export async function activeMembers(prisma: PrismaClient, orgId: string) {
  const rows = await prisma.clerkOrganizationMemberships.findMany({
    where: { organization_id: orgId, deleted_at: null, user: { is: { deleted_at: null } } },
    orderBy: [{ created_at: 'asc' }, { id: 'asc' }],
    select: { role: true, role_name: true, created_at: true, user: { select: { id: true, first_name: true } } },
  });
  return rows.flatMap(({ user, role, role_name, created_at }) =>
    user ? [{ user_id: user.id, first_name: user.first_name, role, role_name, joined_at: created_at === null ? null : Number(created_at) }] : [],
  );
}

/**
 * Every post with its author, or `author: null` when the author is deleted (a tombstone: the row
 * is there, its name and email erased) or not synced yet: a left join. Posts (the app's model)
 * has no relation field to ClerkUsers (see prisma/schema.prisma), so the authors come from a
 * second query, one for all the posts, joined here.
 */
export async function postsWithAuthors(prisma: PrismaClient) {
  const posts = await prisma.posts.findMany({ orderBy: { id: 'asc' } });
  const authors = await prisma.clerkUsers.findMany({
    where: { id: { in: [...new Set(posts.map((p) => p.author_id))] }, deleted_at: null },
    select: { id: true, first_name: true, primary_email_address: true },
  });
  const byId = new Map(authors.map(({ id, ...author }) => [id, author]));
  return posts.map((post) => ({ ...post, author: byId.get(post.author_id) ?? null }));
}

/** How many subscriptions are active now (Clerk Billing). */
export async function activeSubscriptionCount(prisma: PrismaClient): Promise<number> {
  return prisma.clerkSubscriptions.count({ where: { status: 'active' } });
}
