/**
 * The Prisma recipes of examples/querying/ (prisma.ts, prisma/, prisma.config.ts), run as an app
 * runs them: the committed clerk.prisma is what `clerk-sync schema --format prisma` renders today;
 * `prisma validate` and `prisma generate` accept the schema folder (offline: the CLI's
 * schema-engine download is skipped, which these two commands do not use); the generated client
 * type-checks the recipes and rejects a wrong column and a wrong model; and the recipes, through
 * the generated client and Prisma's driver adapter, read the rows the real sync wrote from real
 * webhooks, on SQLite and PostgreSQL.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaPg } from '@prisma/adapter-pg';
import ts from 'typescript';
import prismaConfig from '../examples/querying/prisma.config.js';
import { MIGRATION_TABLE } from '../src/store/migrate.js';
import { renderSchema, schemaTables } from '../src/tables/formats/index.js';
import { testDialects } from './support/db.js';
import { repoTempDir } from './support/env.js';
import { syncQueryingWorld, type QueryingWorld } from './support/querying-world.js';

const EXAMPLE = fileURLToPath(new URL('../examples/querying/', import.meta.url));
const example = (path: string) => readFileSync(join(EXAMPLE, path), 'utf8');

/**
 * The Prisma CLI fetches its schema-engine binary when it starts, whatever the command, and fails
 * offline ("request to https://binaries.prisma.sh/... failed"); validate and generate never run it,
 * so any executable stands in. CHECKPOINT_DISABLE stops the update check (a lookup of
 * checkpoint.prisma.io, which fails quietly offline).
 */
const OFFLINE = { PRISMA_SCHEMA_ENGINE_BINARY: '/bin/true', CHECKPOINT_DISABLE: '1' };

function prisma(cwd: string, command: 'validate' | 'generate'): Promise<{ code: number; output: string; ms: number }> {
  const start = Date.now();
  return new Promise((resolve) => {
    execFile('npx', ['--no', 'prisma', command], { cwd, env: { ...process.env, ...OFFLINE }, timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, output: `${stdout}${stderr}`.trim(), ms: Date.now() - start });
    });
  });
}

/** The recipes of examples/querying/prisma.ts, as the test calls them (the file is typed by a generated client; the check below type-checks it against one). */
interface Recipes {
  userWithPrimaryEmail(prisma: unknown, userId: string): Promise<unknown>;
  activeMembers(prisma: unknown, orgId: string): Promise<unknown>;
  postsWithAuthors(prisma: unknown): Promise<unknown>;
  activeSubscriptionCount(prisma: unknown): Promise<unknown>;
}

/** Every table clerk-sync creates: the synced ones, its own, and its migrations table. */
const clerkSyncTables = () => [...schemaTables({ internal: true }).map((t) => t.name), MIGRATION_TABLE].sort();

describe('examples/querying/prisma: the committed files are current', () => {
  it('prisma/clerk.prisma is `clerk-sync schema --format prisma`', () => {
    assert.equal(example('prisma/clerk.prisma'), renderSchema('prisma'), 'examples/querying/prisma/clerk.prisma is stale: regenerate it with `clerk-sync schema --format prisma --out examples/querying/prisma/clerk.prisma`');
  });

  it('prisma.config.ts declares every table clerk-sync creates external, so that Migrate leaves them alone', () => {
    assert.equal(prismaConfig.experimental?.externalTables, true);
    assert.deepEqual([...(prismaConfig.tables?.external ?? [])].sort(), clerkSyncTables().map((t) => `public.${t}`));
  });
});

for (const dialect of testDialects()) {
  describe(`examples/querying/prisma on ${dialect}`, () => {
    // The example's layout, in a folder whose imports resolve the repository's node_modules:
    // prisma.config.ts, prisma/{schema,clerk}.prisma, prisma.ts; the client goes to .generated/prisma.
    const dir = repoTempDir();
    let world: Promise<QueryingWorld>;
    let client: { $disconnect(): Promise<void> } | undefined;

    before(() => {
      world = syncQueryingWorld(dialect);
      world.catch(() => {}); // awaited by the test that reads it; an early failure must not go unhandled
      mkdirSync(join(dir, 'prisma'));
      copyFileSync(join(EXAMPLE, 'prisma.ts'), join(dir, 'prisma.ts'));
      const clerk = example('prisma/clerk.prisma');
      let schema = example('prisma/schema.prisma');
      let config = example('prisma.config.ts');
      if (dialect === 'sqlite') {
        // What an app on SQLite changes: the provider, and table names without a schema.
        const [pgSchema, pgConfig] = [schema, config];
        schema = schema.replace('provider = "postgresql"', 'provider = "sqlite"');
        config = config.replace('`public.${table}`', 'table');
        assert.ok(schema !== pgSchema && config !== pgConfig, 'the SQLite variant of schema.prisma and prisma.config.ts was not made: did the files change?');
      }
      writeFileSync(join(dir, 'prisma/clerk.prisma'), clerk);
      writeFileSync(join(dir, 'prisma/schema.prisma'), schema);
      writeFileSync(join(dir, 'prisma.config.ts'), config);
    });

    after(async () => {
      await client?.$disconnect();
    });

    it('`prisma validate` accepts the schema folder', async (t) => {
      const run = await prisma(dir, 'validate');
      t.diagnostic(`prisma validate took ${run.ms} ms`);
      assert.equal(run.code, 0, `prisma validate failed:\n${run.output}`);
    });

    it('`prisma generate` writes the client', async (t) => {
      const run = await prisma(dir, 'generate');
      t.diagnostic(`prisma generate took ${run.ms} ms`);
      assert.equal(run.code, 0, `prisma generate failed:\n${run.output}`);
    });

    it('the generated client types the recipes, and rejects a wrong column and a wrong model', () => {
      // An unused @ts-expect-error is itself an error: no diagnostic proves both mistakes are caught.
      const check = join(dir, 'check.ts');
      writeFileSync(
        check,
        `import type { PrismaClient } from './.generated/prisma/client.js';
import { activeMembers, activeSubscriptionCount, postsWithAuthors, userWithPrimaryEmail } from './prisma.js';

declare const prisma: PrismaClient;

export async function correct() {
  const users = await prisma.clerkUsers.findMany({ where: { first_name: 'Ada', deleted_at: null }, select: { id: true, created_at: true } });
  const createdAt: bigint | null | undefined = users[0]?.created_at;
  // @ts-expect-error: bigint columns are BigInt, not number
  const asNumber: number | null | undefined = users[0]?.created_at;
  const user = await userWithPrimaryEmail(prisma, 'user_1');
  const isPrimary: boolean | undefined = user?.email_addresses[0]?.is_primary;
  const members: Array<{ user_id: string; first_name: string | null; role: string | null; joined_at: number | null }> = await activeMembers(prisma, 'org_1');
  const posts = await postsWithAuthors(prisma);
  const author: { first_name: string | null; primary_email_address: string | null } | null | undefined = posts[0]?.author;
  const count: number = await activeSubscriptionCount(prisma);
  return { createdAt, asNumber, isPrimary, members, author, count };
}

export async function mistakes() {
  // @ts-expect-error: the column is first_name
  await prisma.clerkUsers.findMany({ where: { firstname: 'Ada' } });
  // @ts-expect-error: the model is clerkUsers (table clerk_users)
  await prisma.clerkUser.findMany();
}
`,
      );
      const program = ts.createProgram([check], {
        strict: true,
        module: ts.ModuleKind.NodeNext,
        moduleResolution: ts.ModuleResolutionKind.NodeNext,
        target: ts.ScriptTarget.ES2022,
        types: ['node'],
        skipLibCheck: true,
        noEmit: true,
        noUnusedLocals: true,
        verbatimModuleSyntax: true,
      });
      const diagnostics = ts.getPreEmitDiagnostics(program).map((d) => {
        const where = d.file && d.start !== undefined ? `${d.file.fileName.slice(dir.length + 1)}:${d.file.getLineAndCharacterOfPosition(d.start).line + 1}: ` : '';
        return `${where}${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
      });
      assert.deepEqual(diagnostics, []);
    });

    it('the recipes read what the sync wrote', async () => {
      const w = await world;
      const { PrismaClient } = await import(pathToFileURL(join(dir, '.generated/prisma/client.ts')).href);
      const adapter = dialect === 'sqlite' ? new PrismaBetterSqlite3({ url: `file:${w.url}` }) : new PrismaPg({ connectionString: w.url });
      const db = new PrismaClient({ adapter });
      client = db;
      // The same file the example holds (the copy above is for the type check; it imports only types).
      const recipes: Recipes = await import(pathToFileURL(join(EXAMPLE, 'prisma.ts')).href);

      assert.deepEqual(await recipes.userWithPrimaryEmail(db, w.ada), {
        id: w.ada,
        first_name: 'Ada',
        last_name: 'Test',
        primary_email_address: 'ada@example.com',
        email_addresses: [
          { email_address: 'ada@example.com', is_primary: true, verification_status: 'verified' },
          { email_address: 'ada.old@example.com', is_primary: false, verification_status: 'verified' },
        ],
      });
      assert.equal(await recipes.userWithPrimaryEmail(db, w.linus), null, 'a deleted user is no user');

      const minute = (m: number) => Date.UTC(2026, 0, 1) + m * 60_000;
      assert.deepEqual(await recipes.activeMembers(db, w.acme), [
        { user_id: w.ada, first_name: 'Ada', role: 'org:admin', role_name: 'Admin', joined_at: minute(10) },
        { user_id: w.grace, first_name: 'Grace', role: 'org:member', role_name: 'Member', joined_at: minute(11) },
      ]);

      // Linus's row is there, a tombstone: deleted_at set, name and email erased. The recipe
      // filters tombstones out (`deleted_at: null`), so post 3 has `author: null`, not an author
      // whose every field is null.
      const tombstone = await db.clerkUsers.findUnique({ where: { id: w.linus }, select: { first_name: true, primary_email_address: true, deleted_at: true } });
      assert.equal(typeof tombstone?.deleted_at, 'bigint');
      assert.deepEqual({ ...tombstone, deleted_at: null }, { first_name: null, primary_email_address: null, deleted_at: null });
      assert.deepEqual(await recipes.postsWithAuthors(db), [
        { id: 1, author_id: w.ada, title: 'On engines', author: { first_name: 'Ada', primary_email_address: 'ada@example.com' } },
        { id: 2, author_id: w.grace, title: 'On compilers', author: { first_name: 'Grace', primary_email_address: 'grace@example.com' } },
        { id: 3, author_id: w.linus, title: 'On kernels', author: null },
      ]);

      assert.equal(await recipes.activeSubscriptionCount(db), 1);

      // prisma.config.ts names every table clerk-sync created here (on SQLite without a schema).
      const tables: Array<{ name: string }> =
        dialect === 'sqlite'
          ? await db.$queryRawUnsafe(`select name from sqlite_master where type = 'table' and name not like 'sqlite_%' and name <> 'posts'`)
          : await db.$queryRawUnsafe(`select table_name as name from information_schema.tables where table_schema = 'public' and table_name <> 'posts'`);
      assert.deepEqual(tables.map((t) => t.name).sort(), clerkSyncTables());
    });
  });
}
