/**
 * Processing where no process runs between requests (Vercel, Netlify, AWS Lambda): inline before
 * the answer, after it through waitUntil, and from a scheduler's drain route; with no worker loop
 * anywhere. Each on SQLite, PostgreSQL, and PostgreSQL through a transaction-mode PgBouncer.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sql } from 'kysely';
import pg from 'pg';
import { clerkSyncLambda, type LambdaHttpEvent } from '../src/adapters/lambda/index.js';
import { createClerkSync, type ClerkSync, type ClerkSyncOptions } from '../src/clerk-sync.js';
import { eventFixture } from '../src/events/fixtures.js';
import { drainHandler } from '../src/serverless/drain-handler.js';
import { detectServerless } from '../src/serverless/runtime.js';
import { openDatabase } from '../src/store/database.js';
import { migrateToLatest } from '../src/store/migrate.js';
import { signWebhook } from '../src/verify/index.js';
import { freshDatabaseUrl, TEST_PG_URL, testTargets, type TestTarget } from './support/db.js';
import { newSecret, onFileEnd } from './support/env.js';

/** Runs `fn` with these environment variables set (undefined: unset), then restores them. */
async function withEnv<T>(vars: Record<string, string | undefined>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  const apply = (v: Record<string, string | undefined>) => {
    for (const [k, value] of Object.entries(v)) {
      if (value === undefined) delete process.env[k];
      else process.env[k] = value;
    }
  };
  apply(vars);
  try {
    return await fn();
  } finally {
    apply(saved);
  }
}

async function instance(target: TestTarget, options: ClerkSyncOptions = {}): Promise<ClerkSync> {
  const sync = await createClerkSync({ database: await freshDatabaseUrl(target), secret: newSecret(), ...options });
  await sync.start();
  onFileEnd(() => sync.stop());
  return sync;
}

function signedRequest(event: unknown, secret: string): Request {
  const body = JSON.stringify(event);
  return new Request('http://localhost/api/webhooks', { method: 'POST', headers: { ...signWebhook(body, secret).headers, 'content-type': 'application/json' }, body });
}

const status = (sync: ClerkSync, id: string) =>
  sync.database.db.selectFrom('clerk_webhook_events').select(['status', 'attempts', 'last_error']).where('svix_id', '=', id).executeTakeFirst();
const user = (sync: ClerkSync, id: string) => sync.database.db.selectFrom('clerk_users').select(['id', 'first_name']).where('id', '=', id).executeTakeFirst();

describe('serverless host detection', () => {
  it('Vercel, AWS Lambda and Netlify turn it on; CLERK_SYNC_SERVERLESS overrides either way', () => {
    assert.equal(detectServerless({}).serverless, false);
    assert.deepEqual(detectServerless({ VERCEL: '1' }), { serverless: true, reason: 'running on Vercel (VERCEL is set)' });
    assert.equal(detectServerless({ AWS_LAMBDA_FUNCTION_NAME: 'webhooks' }).serverless, true);
    assert.equal(detectServerless({ NETLIFY: 'true' }).serverless, true);
    assert.equal(detectServerless({ VERCEL: '1', CLERK_SYNC_SERVERLESS: '0' }).serverless, false);
    assert.equal(detectServerless({ CLERK_SYNC_SERVERLESS: 'true' }).serverless, true);
    assert.throws(() => detectServerless({ CLERK_SYNC_SERVERLESS: 'maybe' }), /CLERK_SYNC_SERVERLESS must be 1, true, 0 or false/);
  });
});

for (const target of testTargets()) {
  describe(`AWS Lambda: inline processing, the handler invoked directly [${target}]`, () => {
    it('applies the event before the answer, with no worker loop; base64 bodies and REST events too', async () => {
      const secret = newSecret();
      const handled: string[] = [];
      const handler = await withEnv({ AWS_LAMBDA_FUNCTION_NAME: 'clerk-webhooks' }, async () => {
        const h = clerkSyncLambda({ key: `lambda-${target}-${Math.random()}`, secret, database: await freshDatabaseUrl(target), logger: undefined, handlers: { 'user.created': (e) => void handled.push(e.data.id) } });
        await h.ready();
        return h;
      });
      const sync = await handler.ready();
      onFileEnd(() => sync.stop());
      assert.equal(sync.serverless, true, 'AWS_LAMBDA_FUNCTION_NAME selects the serverless mode');
      assert.equal(sync.worker?.running, false, 'no worker loop');

      const invoke = (event: unknown, shape: 'v2' | 'rest-base64') => {
        const body = JSON.stringify(event);
        const headers = Object.fromEntries(Object.entries(signWebhook(body, secret).headers).map(([k, v]) => [k.toUpperCase(), v])); // as sent, any case
        const request: LambdaHttpEvent = shape === 'v2'
          ? { requestContext: { http: { method: 'POST' } }, headers, body, isBase64Encoded: false }
          : { httpMethod: 'POST', headers, body: Buffer.from(body).toString('base64'), isBase64Encoded: true };
        return handler(request);
      };
      for (const shape of ['v2', 'rest-base64'] as const) {
        const event = eventFixture('user.created');
        event.data.first_name = `Lambda ${shape}`;
        const answer = await invoke(event, shape);
        assert.equal(answer.statusCode, 200, answer.body);
        // Nothing runs once a Lambda has answered: the row must be there already.
        assert.equal((await user(sync, event.data.id))?.first_name, `Lambda ${shape}`);
        assert.ok(handled.includes(event.data.id), 'the handler ran before the answer');
      }
      const tampered = await handler({ requestContext: { http: { method: 'POST' } }, headers: signWebhook('{}', secret).headers, body: '{"x":1}' });
      assert.equal(tampered.statusCode, 401);
      assert.equal(JSON.parse(tampered.body).error.code, 'invalid_signature');
    });

    it('a stored event is never answered with an error: a failing handler answers 200 (retried later), a slow one answers within the budget', async () => {
      const secret = newSecret();
      let release: () => void = () => {};
      const slow = new Promise<void>((r) => (release = r));
      const sync = await withEnv({ AWS_LAMBDA_FUNCTION_NAME: 'clerk-webhooks' }, () =>
        instance(target, {
          secret,
          serverless: { budgetMs: 300 },
          handlers: {
            'organization.created': () => {
              throw new Error('the CRM is down');
            },
            'user.created': () => slow,
          },
        }),
      );
      onFileEnd(() => release());
      const failing = signedRequest(eventFixture('organization.created'), secret);
      const id = failing.headers.get('svix-id')!;
      const res = await sync.handleRequest(failing);
      assert.equal(res.status, 200);
      assert.deepEqual(await status(sync, id), { status: 'failed', attempts: 1, last_error: 'the CRM is down' });

      const t0 = performance.now();
      const hanging = await sync.handleRequest(signedRequest(eventFixture('user.created'), secret));
      const elapsed = performance.now() - t0;
      assert.equal(hanging.status, 200);
      assert.ok(elapsed < 2000, `answered after ${Math.round(elapsed)} ms: the 300 ms budget bounds the wait`);
      release();
    });
  });

  describe(`after the response, through waitUntil [${target}]`, () => {
    it('answers first, then processes inside the promise handed to waitUntil', async () => {
      const secret = newSecret();
      const kept: Promise<unknown>[] = [];
      let release: () => void = () => {};
      const gate = new Promise<void>((r) => (release = r));
      let handled = false;
      const sync = await instance(target, { secret, serverless: true, waitUntil: (p) => void kept.push(p), handlers: { 'user.created': () => gate.then(() => void (handled = true)) } });
      assert.equal(sync.worker?.running, false);
      const event = eventFixture('user.created');
      const request = signedRequest(event, secret);
      const res = await sync.handleRequest(request);
      assert.equal(res.status, 200);
      assert.equal(handled, false, 'answered while the handler still waits');
      assert.equal(kept.length, 1, 'the processing was handed to waitUntil');
      release();
      await kept[0];
      assert.equal((await status(sync, request.headers.get('svix-id')!))?.status, 'done');
      assert.ok(await user(sync, event.data.id));
    });

    it("a request's own waitUntil (Netlify's context.waitUntil) is used; one that refuses the work falls back to inline, warned once", async () => {
      const secret = newSecret();
      const warnings: string[] = [];
      const sync = await instance(target, { secret, serverless: true, logger: { debug() {}, info() {}, error() {}, warn: (m) => void warnings.push(m) } });
      const kept: Promise<unknown>[] = [];
      const first = signedRequest(eventFixture('user.created'), secret);
      assert.equal((await sync.handleRequest(first, { waitUntil: (p) => void kept.push(p) })).status, 200);
      assert.equal(kept.length, 1, "the request's waitUntil got the work");
      await kept[0];
      assert.equal((await status(sync, first.headers.get('svix-id')!))?.status, 'done');
      const refusing = () => {
        throw new Error('`after` was called outside a request scope');
      };
      for (let i = 0; i < 2; i++) {
        const request = signedRequest(eventFixture('user.created'), secret);
        assert.equal((await sync.handleRequest(request, { waitUntil: refusing })).status, 200);
        assert.equal((await status(sync, request.headers.get('svix-id')!))?.status, 'done', 'processed before the answer');
      }
      assert.equal(warnings.filter((w) => /waitUntil refused the work/.test(w)).length, 1);
    });

    it('concurrent deliveries share one run instead of piling up transactions, and none is left behind', async () => {
      const secret = newSecret();
      const kept: Promise<unknown>[] = [];
      const sync = await instance(target, { secret, serverless: true, waitUntil: (p) => void kept.push(p) });
      const events = Array.from({ length: 40 }, () => eventFixture('user.created'));
      const answers = await Promise.all(events.map((e) => sync.handleRequest(signedRequest(e, secret))));
      assert.deepEqual(answers.map((a) => a.status), events.map(() => 200));
      await Promise.all(kept);
      assert.ok(new Set(kept).size < kept.length, 'deliveries arriving during a run joined it');
      const rows = await sync.database.db.selectFrom('clerk_webhook_events').select('status').execute();
      assert.deepEqual(rows.map((r) => r.status), events.map(() => 'done'));
    });
  });

  describe(`the drain route for a scheduler [${target}]`, () => {
    it('refuses calls without the cron secret, and applies retries that came due while no webhook arrived', async () => {
      const secret = newSecret();
      let mailServiceDown = true;
      const sync = await instance(target, {
        secret,
        serverless: true,
        worker: { retrySchedule: [200] },
        handlers: {
          'user.created': () => {
            if (mailServiceDown) throw new Error('the mail service is down');
          },
        },
      });
      const cron = drainHandler(sync, { secret: 'cron-secret-0123456789abcdef' });
      const call = (headers: Record<string, string> = {}, method = 'GET') => cron(new Request('http://localhost/api/cron/clerk-sync', { method, headers }));
      assert.equal((await call()).status, 401);
      assert.equal((await call({ authorization: 'Bearer wrong' })).status, 401);
      assert.equal((await call({ authorization: 'cron-secret-0123456789abcdef' })).status, 401, 'only as a bearer token');
      assert.equal((await call({ authorization: 'Bearer cron-secret-0123456789abcdef' }, 'PUT')).status, 405);
      const unset = await withEnv({ CRON_SECRET: undefined }, () => drainHandler(sync)(new Request('http://localhost/', { headers: { authorization: 'Bearer anything' } })));
      assert.equal(unset.status, 401);
      assert.match(((await unset.json()) as { error: { message: string } }).error.message, /CRON_SECRET is not set/);

      const event = eventFixture('user.created');
      const request = signedRequest(event, secret);
      assert.equal((await sync.handleRequest(request)).status, 200);
      const id = request.headers.get('svix-id')!;
      assert.equal((await status(sync, id))?.status, 'failed', 'the first attempt failed (inline)');
      mailServiceDown = false;
      await new Promise((r) => setTimeout(r, 300)); // the retry comes due; no delivery, no loop
      assert.equal((await status(sync, id))?.status, 'failed', 'nothing runs between requests');
      const drained = await call({ authorization: 'Bearer cron-secret-0123456789abcdef' });
      assert.equal(drained.status, 200);
      const summary = (await drained.json()) as Record<string, unknown>;
      assert.equal(summary.done, 1);
      assert.equal(summary.more_due, false);
      assert.deepEqual(await status(sync, id), { status: 'done', attempts: 2, last_error: null });
      assert.ok(await user(sync, event.data.id));
    });
  });
}

for (const target of testTargets().filter((t) => t !== 'sqlite')) {
  describe(`serverless PostgreSQL defaults [${target}]`, () => {
    it('a burst of 30 concurrent deliveries uses at most 2 connections', async () => {
      const secret = newSecret();
      const kept: Promise<unknown>[] = [];
      const sync = await instance(target, { secret, serverless: true, waitUntil: (p) => void kept.push(p) });
      const name = (await sql<{ db: string }>`select current_database() as db`.execute(sync.database.db)).rows[0]!.db;
      const observer = new pg.Client({ connectionString: await freshDatabaseUrl('postgres') });
      await observer.connect();
      onFileEnd(() => observer.end());
      let most = 0;
      let watching = true;
      const watch = (async () => {
        while (watching) {
          const { rows } = await observer.query('select count(*)::int as n from pg_stat_activity where datname = $1', [name]);
          most = Math.max(most, rows[0].n);
          await new Promise((r) => setTimeout(r, 2));
        }
      })();
      const events = Array.from({ length: 30 }, () => eventFixture('user.created'));
      const answers = await Promise.all(events.map((e) => sync.handleRequest(signedRequest(e, secret))));
      await Promise.all(kept);
      watching = false;
      await watch;
      assert.deepEqual(answers.map((a) => a.status), events.map(() => 200));
      assert.ok(most >= 1 && most <= 2, `${most} server connections at most`);
    });

    it('a cold start does not run the migrations again: with the migration lock held elsewhere, it still starts at once', async () => {
      const url = await freshDatabaseUrl(target);
      const first = await openDatabase(url);
      await migrateToLatest(first);
      await first.close();
      // Hold the lock migrateToLatest takes, in the same database, past the pooler.
      const directUrl = new URL(TEST_PG_URL);
      directUrl.pathname = new URL(url).pathname;
      const direct = new pg.Client({ connectionString: directUrl.toString() });
      await direct.connect();
      onFileEnd(() => direct.end());
      await direct.query('begin');
      await direct.query('select pg_advisory_xact_lock(7307112604517634)');
      const t0 = performance.now();
      const sync = await instance(target, { database: url, serverless: true });
      assert.ok(performance.now() - t0 < 3000, 'start did not wait for the migration lock');
      assert.equal(sync.serverless, true);
      await direct.query('rollback');
    });
  });
}
