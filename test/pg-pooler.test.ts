/**
 * PostgreSQL through a transaction-mode pooler, as Neon's and Supabase's pooled URLs reach it:
 * detection without configuration, the errors that give a pooler away, DIRECT_URL, and the
 * commands a user runs, all against a real PgBouncer (Debian's, transaction mode).
 * The core, randomized, replay and multi-process suites also run through it (`pgbouncer` target).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sql } from 'kysely';
import { eventFixture } from '../src/events/fixtures.js';
import type { Logger } from '../src/log.js';
import { openDatabase, type Database } from '../src/store/database.js';
import { migrateToLatest, pendingMigrations } from '../src/store/migrate.js';
import { choosePoolMode } from '../src/store/pool-mode.js';
import { describeOn, freshDatabaseUrl, TEST_PG_URL } from './support/db.js';
import { newSecret, onFileEnd, waitFor } from './support/env.js';
import { startPgBouncer } from './support/pgbouncer.js';
import { startService } from './support/service.js';
import { runCli, startServe } from './support/cli.js';

function recordingLogger(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  return { warnings, debug() {}, info() {}, warn: (msg) => void warnings.push(msg), error: (msg) => void warnings.push(msg) };
}

async function open(url: string, options: Parameters<typeof openDatabase>[1] = {}): Promise<Database> {
  const database = await openDatabase(url, options);
  onFileEnd(() => database.close());
  return database;
}

/** The database's name and a URL to it through `bouncer`. */
async function pooledDatabase(bouncer: { url(db: string): string }): Promise<{ name: string; direct: string; pooled: string }> {
  const direct = await freshDatabaseUrl('postgres');
  const name = new URL(direct).pathname.slice(1);
  return { name, direct, pooled: bouncer.url(name) };
}

const server = () => {
  const u = new URL(TEST_PG_URL);
  return { host: u.hostname, port: Number(u.port || 5432) };
};

describe('pool mode detection', () => {
  it('knows the providers’ pooled URLs, Prisma’s flag and an explicit setting; anything else is direct', () => {
    const mode = (url: string, explicit?: string) => choosePoolMode(url, explicit).mode;
    assert.equal(mode('postgres://u:p@ep-cool-river-123456-pooler.us-east-2.aws.neon.tech/neondb?sslmode=require'), 'transaction');
    assert.equal(mode('postgres://u:p@ep-cool-river-123456.us-east-2.aws.neon.tech/neondb?sslmode=require'), 'session');
    assert.equal(mode('postgres://postgres.abcd:p@aws-0-eu-central-1.pooler.supabase.com:6543/postgres'), 'transaction');
    assert.equal(mode('postgres://postgres.abcd:p@aws-0-eu-central-1.pooler.supabase.com:5432/postgres'), 'session', "Supabase's port 5432 is its session pooler");
    assert.equal(mode('postgresql://app@db.internal:6432/app?pgbouncer=true'), 'transaction');
    assert.equal(mode('postgresql://app@db.internal:6432/app?pgbouncer=false'), 'session');
    assert.equal(mode('postgresql://app@db.internal/app', 'transaction'), 'transaction');
    assert.equal(mode('postgres://u:p@ep-x-pooler.neon.tech/db', 'session'), 'session', 'an explicit setting wins');
    assert.equal(mode('postgresql://app@db.internal/app'), 'session');
    assert.throws(() => choosePoolMode('postgres://x/y', 'statement'), /must be "session" or "transaction"/);
  });
});

describeOn('pgbouncer', 'through PgBouncer in transaction mode', () => {
  it('a plain URL: the refused startup parameter switches to pooled mode, with one warning naming the setting', async () => {
    const bouncer = await startPgBouncer(server());
    const { pooled } = await pooledDatabase(bouncer);
    const logger = recordingLogger();
    const database = await open(pooled, { logger });
    assert.equal(database.poolMode, 'session', 'nothing in the URL says it is pooled');
    await migrateToLatest(database);
    assert.equal(database.poolMode, 'transaction');
    await Promise.all(Array.from({ length: 20 }, () => sql`select 1`.execute(database.db)));
    assert.equal(logger.warnings.length, 1, logger.warnings.join('\n'));
    assert.match(logger.warnings[0]!, /transaction-mode pooler.*--pg-pool-mode transaction.*CLERK_SYNC_PG_POOL_MODE=transaction.*\?pgbouncer=true/);
    assert.equal(database.subscribeToEvents(() => {}, logger), null, 'no LISTEN through the pooler');
  });

  it('a pooler that lets the startup parameter through: a named statement gone missing switches it, and statements outside a transaction are retried at once', async () => {
    const bouncer = await startPgBouncer(server(), { ignoreStartupParameters: ['idle_in_transaction_session_timeout'] });
    const { pooled } = await pooledDatabase(bouncer);
    const logger = recordingLogger();
    const database = await open(pooled, { logger, poolSize: 8 });
    await migrateToLatest(database).catch(() => migrateToLatest(database)); // a transaction that met the switch runs again
    // Many connections taking turns on the pooler's server connections: a statement prepared on
    // one is soon executed on another.
    const results = await Promise.all(Array.from({ length: 400 }, (_, i) => sql<{ n: number }>`select ${i}::int as n`.execute(database.db)));
    assert.deepEqual(results.map((r) => r.rows[0]!.n), Array.from({ length: 400 }, (_, i) => i), 'every answer right, none failed');
    assert.equal(database.poolMode, 'transaction');
    assert.equal(logger.warnings.filter((w) => /transaction-mode pooler/.test(w)).length, 1, logger.warnings.join('\n'));
    assert.deepEqual(await pendingMigrations(database.db, 'postgres'), []);
  });

  it('?pgbouncer=true: pooled from the start, no warning; the worker applies events and polls instead of LISTEN', async () => {
    const bouncer = await startPgBouncer(server());
    const { pooled } = await pooledDatabase(bouncer);
    const logger = recordingLogger();
    const svc = await startService({ database: `${pooled}?pgbouncer=true`, logger, worker: { pollIntervalMs: 50 } });
    onFileEnd(() => svc.close());
    assert.equal(svc.sync.database.poolMode, 'transaction');
    const events = Array.from({ length: 30 }, () => eventFixture('user.created'));
    for (const e of events) assert.equal((await svc.send(e)).status, 200);
    await waitFor(async () => {
      const rows = await svc.sync.database.db.selectFrom('clerk_users').select('id').execute();
      return rows.length === events.length;
    }, { what: 'every user synced' });
    assert.deepEqual(logger.warnings, []);
    const prepared = await sql<{ n: number }>`select count(*)::int as n from pg_prepared_statements`.execute(svc.sync.database.db);
    assert.equal(prepared.rows[0]!.n, 0, 'no prepared statement outlives its transaction');
  });

  it('DIRECT_URL carries migrations and LISTEN past the pooler; one naming another database is ignored with a warning', async () => {
    const bouncer = await startPgBouncer(server());
    const { direct, pooled } = await pooledDatabase(bouncer);
    // A session past the pooler has clerk-sync's startup parameter; a pooled one cannot.
    const timeout = (db: Database['db']) => sql<{ v: string }>`select current_setting('idle_in_transaction_session_timeout') as v`.execute(db).then((r) => r.rows[0]!.v);
    const withDirect = await open(`${pooled}?pgbouncer=true`, { directUrl: direct });
    assert.equal(await withDirect.direct(timeout), '1min');
    assert.equal(await timeout(withDirect.db), '0');

    const logger = recordingLogger();
    const other = new URL(direct);
    other.pathname = '/postgres';
    const mismatched = await open(`${pooled}?pgbouncer=true`, { directUrl: other.toString(), logger });
    assert.equal(await mismatched.direct(timeout), '0', 'the pooled URL is used');
    assert.match(logger.warnings.join('\n'), /DIRECT_URL is not used: it does not name the same PostgreSQL database/);

    // LISTEN over the direct URL wakes a pooled worker at once, though it polls once a minute.
    const svc = await startService({ database: await open(`${pooled}?pgbouncer=true`, { directUrl: direct }), worker: { pollIntervalMs: 60_000 } });
    onFileEnd(() => svc.close());
    const writer = await open(`${pooled}?pgbouncer=true`);
    const receivedAt = Date.now();
    await writer.db.insertInto('clerk_webhook_events').values({
      svix_id: 'msg_from_another_process', type: 'user.created', status: 'pending', event_timestamp: receivedAt, instance_id: null, entity_id: null,
      headers: '{}', body: JSON.stringify(eventFixture('user.created')), received_at: receivedAt, next_attempt_at: receivedAt,
    } as never).execute();
    await waitFor(async () => (await writer.db.selectFrom('clerk_webhook_events').select('status').where('svix_id', '=', 'msg_from_another_process').executeTakeFirst())?.status === 'done', {
      timeoutMs: 3000, what: 'the notification to wake the worker',
    });
  });

  it('the CLI through the pooler by its plain URL: migrate, serve, trigger, events list, replay', async () => {
    const bouncer = await startPgBouncer(server());
    const { pooled } = await pooledDatabase(bouncer);
    const migrate = await runCli(['migrate', '--db', pooled, '--pg-pool-mode', 'transaction']);
    assert.equal(migrate.code, 0, migrate.stderr);
    assert.match(migrate.stdout, /^applied 001-core/);
    assert.doesNotMatch(migrate.stderr, /switched to pooled mode/, 'the flag says it: no detection needed');

    const secret = newSecret();
    const serve = await startServe(['--db', pooled], { CLERK_WEBHOOK_SIGNING_SECRET: secret });
    const ids: string[] = [];
    for (const name of ['Ada', 'Grace']) {
      const r = await runCli(['trigger', 'user.created', '--url', serve.url, '--secret', secret, '--set', `data.first_name=${name}`]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      ids.push(r.stdout.trim().split(' ')[0]!);
    }
    const database = await open(pooled, { pgPoolMode: 'transaction' });
    const status = (id: string) => database.db.selectFrom('clerk_webhook_events').select(['status', 'attempts']).where('svix_id', '=', id).executeTakeFirst();
    await waitFor(async () => (await Promise.all(ids.map(status))).every((r) => r?.status === 'done'), { what: 'both events processed by serve' });
    assert.equal(serve.logs().match(/switched to pooled mode/g)?.length, 1, 'one warning from serve');

    const list = await runCli(['events', 'list', '--db', pooled], { CLERK_SYNC_PG_POOL_MODE: 'transaction' });
    assert.equal(list.code, 0, list.stderr);
    for (const id of ids) assert.ok(list.stdout.includes(id), list.stdout);

    const replay = await runCli(['replay', ids[0]!, '--db', pooled, '--pg-pool-mode', 'transaction']);
    assert.equal(replay.code, 0, replay.stdout + replay.stderr);
    assert.deepEqual(await status(ids[0]!), { status: 'done', attempts: 1 }, 'replayed: a fresh attempt budget, applied again');
    const attempts = await database.db.selectFrom('clerk_webhook_attempts').select('attempt').where('svix_id', '=', ids[0]!).execute();
    assert.equal(attempts.length, 2, 'processed once by serve, once by replay');
  });
});
