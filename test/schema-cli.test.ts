/** `clerk-sync schema` as a user runs it: formats, --out, --check for CI, --internal, and its errors. */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { renderSchema } from '../src/tables/formats/index.js';
import { runCli } from './support/cli.js';
import { tempDir } from './support/env.js';

describe('clerk-sync schema', () => {
  it('prints the synced clerk_* tables in the format asked, and the inbox only with --internal', async () => {
    const plain = await runCli(['schema', '--format', 'kysely']);
    assert.equal(plain.code, 0, plain.stderr);
    assert.equal(plain.stdout, renderSchema('kysely'));
    assert.match(plain.stdout, /export interface ClerkUsersTable \{/);
    assert.match(plain.stdout, /payload: Json<User> \| null;/);
    assert.doesNotMatch(plain.stdout, /clerk_webhook_events/);
    const internal = await runCli(['schema', '--format', 'sql-pg', '--internal']);
    assert.equal(internal.code, 0, internal.stderr);
    assert.match(internal.stdout, /create table clerk_webhook_events \(/);
    assert.match(internal.stdout, /create unique index clerk_organization_memberships_active on clerk_organization_memberships \(organization_id, user_id\) where deleted_at is null;/);
  });

  it('--out writes the file; --check exits 0 while it is current and 1 once it is stale or missing', async () => {
    const file = join(tempDir(), 'db', 'clerk-schema.ts');
    const wrote = await runCli(['schema', '--format', 'drizzle-pg', '--out', file]);
    assert.equal(wrote.code, 0, wrote.stderr);
    assert.match(wrote.stderr, /wrote 20 tables to .*clerk-schema\.ts \(drizzle-pg\)/);
    assert.equal(readFileSync(file, 'utf8'), renderSchema('drizzle-pg'));

    const current = await runCli(['schema', '--format', 'drizzle-pg', '--out', file, '--check']);
    assert.equal(current.code, 0, current.stderr);
    assert.match(current.stderr, /is up to date/);

    const edited = readFileSync(file, 'utf8').replace("    username: text('username'),\n", '');
    writeFileSync(file, edited);
    const stale = await runCli(['schema', '--format', 'drizzle-pg', '--out', file, '--check']);
    assert.equal(stale.code, 1);
    assert.match(stale.stderr, /is stale: run `clerk-sync schema --format drizzle-pg --out .*clerk-schema\.ts` and commit the result/);
    assert.equal(readFileSync(file, 'utf8'), edited, '--check writes nothing');

    const missing = await runCli(['schema', '--format', 'prisma', '--out', join(tempDir(), 'clerk.prisma'), '--check']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /does not exist/);
  });

  it('usage errors exit 2 and say what to do', async () => {
    const none = await runCli(['schema']);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /--format/);
    const unknown = await runCli(['schema', '--format', 'typeorm']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown format "typeorm": use one of drizzle-pg, drizzle-sqlite, prisma, kysely, sql-pg, sql-sqlite/);
    const check = await runCli(['schema', '--format', 'kysely', '--check']);
    assert.equal(check.code, 2);
    assert.match(check.stderr, /--check compares with a file: pass --out FILE too/);
    const unreadable = await runCli(['schema', '--format', 'kysely', '--out', tempDir(), '--check']);
    assert.equal(unreadable.code, 2);
    assert.match(unreadable.stderr, /cannot read .*: EISDIR/);
  });
});
