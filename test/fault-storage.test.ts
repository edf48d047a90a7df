/**
 * Storage fault tests on SQLite with real kernel faults: the disk holding the database fills up,
 * and the file system goes read-only under the running server (as ext4 does on an I/O error).
 * The receiver must answer 503 + Retry-After with a body naming the problem, stay up, and lose
 * nothing it acknowledged; once the fault is gone, events are accepted again and all processed.
 * (PostgreSQL going away is test/pg-outage.test.ts.)
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { describe, it } from 'node:test';
import { eventFixture } from '../src/events/fixtures.js';
import { openDatabase } from '../src/store/database.js';
import { signWebhook } from '../src/verify/index.js';
import { startServe, type ServeProcess } from './support/cli.js';
import { newSecret, waitFor } from './support/env.js';
import { ext4Disk, faultDiskPrerequisites, tinyTmpfs } from './support/fault-disk.js';
import { healthz, isRunning, logLines, sendUser, stopServe, type Sent } from './support/fault-serve.js';
import { requireForFile } from './support/prerequisites.js';

requireForFile('test/fault-storage.test.ts (real disk faults: a full tmpfs, an ext4 image gone read-only)', ...faultDiskPrerequisites());

interface Ledger {
  /** svix-id -> user id of every event answered 200. */
  answered: Map<string, string>;
  statuses: Map<number, number>;
}

function ledger(): Ledger {
  return { answered: new Map(), statuses: new Map() };
}

async function send(serve: ServeProcess, secret: string, book: Ledger): Promise<Sent> {
  const r = await sendUser(serve, secret);
  book.statuses.set(r.status, (book.statuses.get(r.status) ?? 0) + 1);
  if (r.status === 200) book.answered.set(r.id, r.userId);
  return r;
}

function assertStoreUnavailable(r: Sent, problem: RegExp): void {
  assert.equal(r.status, 503, JSON.stringify(r.body));
  assert.equal(r.headers.get('retry-after'), '5');
  assert.match(r.headers.get('content-type') ?? '', /^application\/json/);
  assert.equal(r.body.error.code, 'store_unavailable');
  assert.match(r.body.error.message, problem);
  assert.match(r.body.error.message, /retry after 5 s/);
}

/** Every answered event is stored, processed once, and its user row exists. */
async function assertNothingLost(dbPath: string, book: Ledger, poison: string): Promise<{ stored: number }> {
  const database = await openDatabase(dbPath);
  try {
    const db = database.db;
    await waitFor(async () => {
      const open = await db.selectFrom('clerk_webhook_events').select((eb) => eb.fn.countAll<number>().as('n')).where('status', '<>', 'done').where('svix_id', '<>', poison).executeTakeFirstOrThrow();
      return Number(open.n) === 0;
    }, { timeoutMs: 30_000, intervalMs: 100, what: 'every stored event to be processed' });
    const failing = await db.selectFrom('clerk_webhook_events').select(['status', 'last_error']).where('svix_id', '=', poison).executeTakeFirstOrThrow();
    assert.ok(failing.status !== 'done' && failing.last_error, `the poison event is still failing (${JSON.stringify(failing)}); if it now succeeds, use another one`);
    const stored = new Set((await db.selectFrom('clerk_webhook_events').select('svix_id').execute()).map((r) => r.svix_id));
    const lost = [...book.answered.keys()].filter((id) => !stored.has(id));
    assert.deepEqual(lost, [], 'events answered 200 but not stored');
    const users = new Set((await db.selectFrom('clerk_users').select('id').execute()).map((r) => r.id));
    assert.deepEqual([...book.answered.values()].filter((id) => !users.has(id)), [], 'users of answered events missing from clerk_users');
    const attempts = await db.selectFrom('clerk_webhook_attempts').select(['svix_id']).where('outcome', '=', 'done').execute();
    assert.equal(attempts.length, stored.size - 1, 'one successful attempt per stored event');
    return { stored: stored.size };
  } finally {
    await database.close();
  }
}

/**
 * An event whose processing fails on every attempt (a user without an id cannot be synced),
 * retried every second: it makes the worker write to the database while the fault lasts, so the
 * worker meets the fault too.
 */
/**
 * An event whose processing fails every time, and is retried (a PermanentError or a content error
 * would be dead at once): a trigger in the database refuses its user row, as an app's own
 * constraint might, so the worker keeps coming back to it.
 */
async function sendPoison(serve: ServeProcess, secret: string, dbPath: string): Promise<string> {
  const raw = new BetterSqlite3(dbPath);
  raw.exec(`create trigger if not exists refuse_poison before insert on clerk_users when new.first_name = 'Poison'
    begin select raise(abort, 'refused by the app''s own rule'); end`);
  raw.close();
  const e = eventFixture('user.created');
  e.data.first_name = 'Poison';
  const body = JSON.stringify(e);
  const signed = signWebhook(body, secret);
  const res = await fetch(serve.url, { method: 'POST', headers: { ...signed.headers, 'content-type': 'application/json' }, body });
  assert.equal(res.status, 200, await res.text());
  return signed.id;
}

const RETRY_EVERY_SECOND = Array.from({ length: 60 }, () => '1s').join(',');

const report = (what: string, fields: Record<string, unknown>) => console.log(`fault-storage ${JSON.stringify({ fault: what, ...fields })}`);

describe('SQLite storage faults', () => {
  it('disk full: 503 + Retry-After naming the full disk, the server stays up, and recovers losing nothing', { timeout: 120_000 }, async () => {
    const disk = tinyTmpfs(8 * 1024 * 1024);
    const dbPath = join(disk.dir, 'clerk-sync.db');
    const secret = newSecret();
    const serve = await startServe(['--db', dbPath, '--retry-schedule', RETRY_EVERY_SECOND], { CLERK_WEBHOOK_SIGNING_SECRET: secret });
    const book = ledger();
    try {
      for (let i = 0; i < 30; i++) assert.equal((await send(serve, secret, book)).status, 200);
      const poison = await sendPoison(serve, secret, dbPath);

      disk.fill();
      // The WAL may still have room from before (SQLite reuses it after a checkpoint), so it
      // takes a few more events to hit the full disk; from then on every commit must fail cleanly.
      let first503: Sent | undefined;
      let sentWhileFull = 0;
      for (; sentWhileFull < 3000 && !first503; sentWhileFull++) {
        const r = await send(serve, secret, book);
        if (r.status === 503) first503 = r;
        else assert.equal(r.status, 200, JSON.stringify(r.body));
      }
      assert.ok(first503, `no 503 after ${sentWhileFull} events on a full disk`);
      assertStoreUnavailable(first503, /disk .*is full; free disk space/);
      for (let i = 0; i < 20; i++) {
        const r = await send(serve, secret, book);
        if (r.status !== 200) assertStoreUnavailable(r, /full/);
      }
      assert.equal(await healthz(serve), 200);
      await new Promise((r) => setTimeout(r, 2500)); // the worker retries the poison event on the full disk
      assert.ok(isRunning(serve), 'the process stays up on a full disk');

      disk.free();
      await waitFor(async () => (await send(serve, secret, book)).status === 200, { timeoutMs: 20_000, intervalMs: 200, what: 'events accepted once space is back' });
      for (let i = 0; i < 20; i++) assert.equal((await send(serve, secret, book)).status, 200);

      const { stored } = await assertNothingLost(dbPath, book, poison);
      const workerErrors = logLines(serve, /worker could not process a batch/);
      assert.ok(workerErrors.length > 0, 'the worker met the fault');
      assert.ok(workerErrors.every((l) => l.retry_in_ms > 0), 'the worker backs off');
      assert.ok(isRunning(serve));
      report('disk full', { requests: [...book.statuses.values()].reduce((a, b) => a + b), statuses: Object.fromEntries(book.statuses), answered2xx: book.answered.size, stored, workerBackoffs: workerErrors.length, eventsLost: 0 });
    } catch (error) {
      console.error(serve.logs().split('\n').filter((l) => !l.includes('"event processed"')).slice(-30).join('\n'));
      throw error;
    } finally {
      await stopServe(serve);
    }
  });

  it('file system goes read-only under the server: 503 + Retry-After, stays up; after repair nothing acknowledged is lost', { timeout: 120_000 }, async () => {
    const disk = ext4Disk(32);
    const dbPath = join(disk.dir, 'clerk-sync.db');
    const secret = newSecret();
    // synchronous=FULL: a commit is on the disk before its 200. With NORMAL the last commits live
    // in the page cache, which a file system that dies read-only never writes back (see Durability).
    const args = ['--db', dbPath, '--durability', 'full', '--retry-schedule', RETRY_EVERY_SECOND];
    const env = { CLERK_WEBHOOK_SIGNING_SECRET: secret };
    let serve = await startServe(args, env);
    const book = ledger();
    try {
      for (let i = 0; i < 30; i++) assert.equal((await send(serve, secret, book)).status, 200);
      const poison = await sendPoison(serve, secret, dbPath);

      disk.failReadOnly();
      const during: Sent[] = [];
      for (let i = 0; i < 25; i++) during.push(await send(serve, secret, book));
      for (const r of during) assertStoreUnavailable(r, /read-only|I\/O error/);
      assert.equal(await healthz(serve), 200);
      await new Promise((r) => setTimeout(r, 2500)); // the worker retries the poison event on the read-only disk
      assert.ok(isRunning(serve), 'the process stays up on a read-only file system');
      const workerErrors = logLines(serve, /worker could not process a batch/);
      assert.ok(workerErrors.length > 0, 'the worker met the fault');
      assert.ok(workerErrors.every((l) => l.retry_in_ms > 0), 'the worker backs off');

      // SQLite keeps its file descriptors, so a repaired disk needs a new process: as in production.
      await stopServe(serve);
      disk.repair();
      serve = await startServe(args, env);
      for (let i = 0; i < 20; i++) assert.equal((await send(serve, secret, book)).status, 200);
      const { stored } = await assertNothingLost(dbPath, book, poison);
      report('read-only file system', { requests: [...book.statuses.values()].reduce((a, b) => a + b), statuses: Object.fromEntries(book.statuses), answered2xx: book.answered.size, stored, rejected503: during.length, message: during[0]!.body.error.message, workerBackoffs: workerErrors.length, eventsLost: 0 });
    } catch (error) {
      console.error(serve.logs().split('\n').filter((l) => !l.includes('"event processed"')).slice(-30).join('\n'));
      throw error;
    } finally {
      await stopServe(serve);
    }
  });
});
