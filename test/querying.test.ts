/**
 * The querying recipes of docs/querying.md, run as an app runs them (examples/querying/): on
 * rows the real sync wrote from real webhooks, on SQLite and PostgreSQL, with drizzle-orm (through
 * the generated schemas), Kysely (through the generated interfaces) and plain SQL; and the
 * committed generated schemas are exactly what `clerk-sync schema` renders today.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { eq } from 'drizzle-orm';
import { sql } from 'kysely';
import { renderSchema, type SchemaFormat } from '../src/tables/formats/index.js';
import * as drizzlePg from '../examples/querying/drizzle-pg.js';
import * as drizzleSqlite from '../examples/querying/drizzle-sqlite.js';
import * as kysely from '../examples/querying/kysely.js';
import { testDialects } from './support/db.js';
import { syncQueryingWorld, type QueryingWorld } from './support/querying-world.js';

const example = (path: string) => readFileSync(new URL(`../examples/querying/${path}`, import.meta.url), 'utf8');

describe('examples: the committed generated schemas are current', () => {
  const committed: Array<[SchemaFormat, string]> = [
    ['drizzle-pg', 'schema/drizzle-pg.ts'],
    ['drizzle-sqlite', 'schema/drizzle-sqlite.ts'],
    ['kysely', 'schema/kysely.ts'],
    ['sql-pg', 'schema/postgres.sql'],
    ['sql-sqlite', 'schema/sqlite.sql'],
    ['drizzle-pg', '../nextjs/lib/clerk-schema/pg.ts'],
    ['drizzle-sqlite', '../nextjs/lib/clerk-schema/sqlite.ts'],
  ];
  for (const [format, path] of committed) {
    it(`${path} is \`clerk-sync schema --format ${format}\``, () => {
      assert.equal(example(path), renderSchema(format), `regenerate it: npx tsx src/cli/main.ts schema --format ${format} --out examples/querying/${path}`);
    });
  }
});

/** What every recipe must find in the world of test/support/querying-world.ts. */
function expectations(w: QueryingWorld) {
  return {
    user: { id: w.ada, first_name: 'Ada', last_name: 'Test', primary_email_address: 'ada@example.com' },
    addresses: [
      { email_address: 'ada.old@example.com', is_primary: false, verification_status: 'verified' },
      { email_address: 'ada@example.com', is_primary: true, verification_status: 'verified' },
    ],
    members: [
      { user_id: w.ada, first_name: 'Ada', role: 'org:admin', role_name: 'Admin' },
      { user_id: w.grace, first_name: 'Grace', role: 'org:member', role_name: 'Member' },
    ],
    // Linus is deleted: his post stays, with no author.
    posts: [
      { id: 1, title: 'On engines', author_id: w.ada, author_first_name: 'Ada', author_email: 'ada@example.com' },
      { id: 2, title: 'On compilers', author_id: w.grace, author_first_name: 'Grace', author_email: 'grace@example.com' },
      { id: 3, title: 'On kernels', author_id: null, author_first_name: null, author_email: null },
    ],
    activeSubscriptions: 1,
  };
}

for (const dialect of testDialects()) {
  describe(`the querying recipes on synced rows [${dialect}]`, () => {
    let world: QueryingWorld;
    let expected: ReturnType<typeof expectations>;

    it('a synced world: users, a deleted user, an organization with members, subscriptions', async () => {
      world = await syncQueryingWorld(dialect);
      expected = expectations(world);
    });

    it('drizzle-orm, through the generated schema', async () => {
      const results =
        dialect === 'postgres'
          ? await withDrizzle(drizzlePg.connect(world.url), async (db) => {
              const [row] = await db.select().from(drizzlePg.schema.clerkUsers).where(eq(drizzlePg.schema.clerkUsers.id, world.ada));
              return { ...(await drizzleRecipes(drizzlePg, db, world)), payload: row!.payload, created_at: row!.created_at };
            })
          : await withDrizzle(drizzleSqlite.connect(world.url), async (db) => {
              const [row] = await db.select().from(drizzleSqlite.schema.clerkUsers).where(eq(drizzleSqlite.schema.clerkUsers.id, world.ada));
              return { ...(await drizzleRecipes(drizzleSqlite, db, world)), payload: row!.payload, created_at: row!.created_at };
            });
      const { email_addresses, ...user } = results.user!;
      assert.deepEqual(user, expected.user);
      assert.deepEqual(email_addresses, expected.addresses, 'booleans read as booleans on both databases');
      assert.equal(results.deletedUser, undefined, 'a tombstone is not a user');
      assert.deepEqual(results.members, expected.members);
      assert.deepEqual(results.posts, expected.posts);
      assert.equal(results.activeSubscriptions, expected.activeSubscriptions);
      // Typed JSON, parsed on both databases: the payload is the catalog's User.
      assert.equal(results.payload!.first_name, 'Ada');
      assert.equal(results.payload!.email_addresses.length, 2);
      assert.equal(typeof results.created_at, 'number');
    });

    it('Kysely, through the generated interfaces', async () => {
      const db = kysely.connect(world.url);
      try {
        const { email_addresses, ...user } = (await kysely.userWithPrimaryEmail(db, world.ada))!;
        assert.deepEqual(user, expected.user);
        // SQLite has no booleans: 0/1 (SqlBool), as the interfaces say.
        assert.deepEqual(email_addresses.map((e) => ({ ...e, is_primary: Boolean(e.is_primary) })), expected.addresses);
        assert.deepEqual(await kysely.activeMembers(db, world.acme), expected.members);
        assert.deepEqual(await kysely.postsWithAuthors(db), expected.posts);
        assert.equal(await kysely.activeSubscriptionCount(db), expected.activeSubscriptions);
        const row = await db.selectFrom('clerk_users').select(['payload', 'public_metadata']).where('id', '=', world.ada).executeTakeFirstOrThrow();
        assert.equal(row.payload?.first_name, 'Ada', 'JSON columns read parsed (ParseJSONResultsPlugin on SQLite)');
      } finally {
        await db.destroy();
      }
    });

    it('plain SQL (examples/querying/queries.sql)', async () => {
      const queries = Object.fromEntries([...example('queries.sql').matchAll(/^-- name: (\w+)\n([\s\S]*?);/gm)].map((m) => [m[1]!, m[2]!]));
      const db = kysely.connect(world.url);
      try {
        const run = async (name: string) => (await sql.raw(queries[name]!).execute(db)).rows as Record<string, unknown>[];
        // $1 bound as the driver binds it ($1 on PostgreSQL, ? on SQLite), through Kysely's sql tag.
        const bound = async (name: string, value: string) => {
          const [before, after] = queries[name]!.split('$1');
          return (await sql`${sql.raw(before!)}${value}${sql.raw(after!)}`.execute(db)).rows as Record<string, unknown>[];
        };
        assert.deepEqual(await bound('user_with_primary_email', world.ada), [expected.user]);
        const addresses = await bound('user_email_addresses', world.ada);
        assert.deepEqual(addresses.map((e) => ({ ...e, is_primary: Boolean(e.is_primary) })), expected.addresses);
        assert.deepEqual(await bound('active_members', world.acme), expected.members);
        assert.deepEqual(await run('posts_with_authors'), expected.posts);
        assert.equal(Number((await run('active_subscription_count'))[0]!.n), expected.activeSubscriptions);
      } finally {
        await db.destroy();
      }
    });
  });
}

/** The recipes both Drizzle files export, over their own database type. */
interface DrizzleRecipes<Db> {
  userWithPrimaryEmail(db: Db, userId: string): PromiseLike<{ email_addresses: unknown[] } | undefined>;
  activeMembers(db: Db, organizationId: string): PromiseLike<unknown[]>;
  postsWithAuthors(db: Db): PromiseLike<Array<{ id: number; title: string; author: { id: string | null; first_name: string | null; email: string | null } | null }>>;
  activeSubscriptionCount(db: Db): Promise<number>;
}

async function drizzleRecipes<Db>(recipes: DrizzleRecipes<Db>, db: Db, w: QueryingWorld) {
  return {
    user: await recipes.userWithPrimaryEmail(db, w.ada),
    deletedUser: await recipes.userWithPrimaryEmail(db, w.linus),
    members: await recipes.activeMembers(db, w.acme),
    posts: (await recipes.postsWithAuthors(db)).map((p) => ({ id: p.id, title: p.title, author_id: p.author?.id ?? null, author_first_name: p.author?.first_name ?? null, author_email: p.author?.email ?? null })),
    activeSubscriptions: await recipes.activeSubscriptionCount(db),
  };
}

/** Runs `fn` on a Drizzle database, then ends its node-postgres Pool or closes its better-sqlite3 handle. */
async function withDrizzle<Db extends { $client: object }, T>(db: Db, fn: (db: Db) => Promise<T>): Promise<T> {
  try {
    return await fn(db);
  } finally {
    const client = db.$client as { end?: () => Promise<void>; close?: () => unknown };
    if (client.end) await client.end();
    else client.close?.();
  }
}
