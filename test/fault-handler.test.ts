/**
 * Handler fault test: in one batch of events, a handler throws for one event, hangs forever for
 * another (ignoring ctx.signal) and is slow for a third. Each fault must stay with its own event:
 * the others of the batch and the events after it are applied once; the hanging one is cut off by
 * handlerTimeoutMs, retried, and dead-lettered; the slow one completes.
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClerkSync } from '../src/clerk-sync.js';
import { eventFixture } from '../src/events/fixtures.js';
import { createHttpServer } from '../src/server.js';
import { signWebhook } from '../src/verify/index.js';
import { freshDatabaseUrl, testDialects } from './support/db.js';
import { newSecret, waitFor } from './support/env.js';
import { faultSeed, Rng } from './support/random.js';

const SEED = faultSeed();
const TIMEOUT_MS = 800;
const SLOW_MS = 300;
const RETRIES = [200, 200]; // three attempts, then dead
const HEALTHY = 12;
const LATER = 10;

for (const dialect of testDialects()) describe(`handler faults [${dialect}] (CLERK_SYNC_SEED=${SEED})`, () => {
  it('a throwing, a hanging and a slow handler each affect only their own event', { timeout: 90_000 }, async (t) => {
    const rng = new Rng(SEED);
    const secret = newSecret();
    const database = await freshDatabaseUrl(dialect);

    // Store the first batch with a receiver that has no worker, so that one worker batch claims it all.
    const names = rng.shuffle([...Array.from({ length: HEALTHY }, (_, i) => `ok-${i}`), 'throws', 'hangs', 'slow']);
    const receiverOnly = await createClerkSync({ database, secret, worker: false });
    await receiverOnly.start();
    const ids = new Map<string, { svixId: string; userId: string }>();
    const request = (name: string) => {
      const event = eventFixture('user.created');
      event.data.first_name = name;
      const body = JSON.stringify(event);
      const signed = signWebhook(body, secret);
      ids.set(name, { svixId: signed.id, userId: event.data.id });
      return { body, headers: signed.headers };
    };
    for (const name of names) {
      const { body, headers } = request(name);
      const r = await receiverOnly.receive({ method: 'POST', headers, body: Buffer.from(body) });
      assert.equal(r.status, 200);
    }
    await receiverOnly.stop();

    const calls = new Map<string, number>();
    const slowFinished: number[] = [];
    const sync = await createClerkSync({
      database,
      secret,
      handlerTimeoutMs: TIMEOUT_MS,
      worker: { batchSize: 64, retrySchedule: RETRIES, pollIntervalMs: 20 },
      handlers: {
        'user.created': async (event) => {
          const name = event.data.first_name ?? '';
          calls.set(name, (calls.get(name) ?? 0) + 1);
          if (name === 'throws') throw new Error('handler failed on purpose');
          if (name === 'hangs') await new Promise(() => {}); // never settles, ignores ctx.signal
          if (name === 'slow') {
            await sleep(SLOW_MS);
            slowFinished.push(Date.now());
          }
        },
      },
    });
    await sync.start();
    const server = createHttpServer(sync);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/webhooks`;
    const db = sync.database.db;
    const rowOf = (name: string) => db.selectFrom('clerk_webhook_events').select(['status', 'attempts', 'last_error']).where('svix_id', '=', ids.get(name)!.svixId).executeTakeFirstOrThrow();
    const attemptsOf = (name: string) => db.selectFrom('clerk_webhook_attempts').select(['attempt', 'outcome', 'error', 'duration_ms']).where('svix_id', '=', ids.get(name)!.svixId).orderBy('attempt').execute();

    try {
      // Events sent after the faulty batch, over HTTP, while the faulty ones are being retried.
      await waitFor(async () => (await rowOf('ok-0')).status === 'done', { timeoutMs: 20_000, what: 'the first batch to be applied' });
      const later = Array.from({ length: LATER }, (_, i) => `later-${i}`);
      for (const name of later) {
        const { body, headers } = request(name);
        const res = await fetch(url, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body });
        assert.equal(res.status, 200, await res.text());
      }

      await waitFor(async () => (await rowOf('hangs')).status === 'dead' && (await rowOf('throws')).status === 'dead', { timeoutMs: 40_000, intervalMs: 50, what: 'the throwing and hanging events to be dead' });
      await waitFor(async () => {
        for (const name of later) if ((await rowOf(name)).status !== 'done') return false;
        return true;
      }, { timeoutMs: 20_000, what: 'the later events to be applied' });

      const users = new Set((await db.selectFrom('clerk_users').select('id').execute()).map((r) => r.id));
      for (const name of [...names.filter((n) => n !== 'throws' && n !== 'hangs'), ...later]) {
        assert.deepEqual({ name, ...(await rowOf(name)) }, { name, status: 'done', attempts: 1, last_error: null }, `${name} applied once`);
        assert.deepEqual((await attemptsOf(name)).map((a) => a.outcome), ['done'], `${name}: one attempt`);
        assert.ok(users.has(ids.get(name)!.userId), `${name}: its user row is there`);
      }
      assert.equal(slowFinished.length >= 1, true, 'the slow handler completed');

      const thrown = await attemptsOf('throws');
      assert.deepEqual(thrown.map((a) => a.outcome), ['failed', 'failed', 'dead']);
      assert.ok(thrown.every((a) => a.error === 'handler failed on purpose'));
      const hung = await attemptsOf('hangs');
      assert.deepEqual(hung.map((a) => a.outcome), ['failed', 'failed', 'dead']);
      for (const a of hung) {
        assert.match(a.error ?? '', new RegExp(`did not finish within ${TIMEOUT_MS} ms`));
        assert.ok(a.duration_ms >= TIMEOUT_MS - 5 && a.duration_ms < TIMEOUT_MS + 5_000, `cut off at the timeout, took ${a.duration_ms} ms`);
      }
      for (const name of ['throws', 'hangs']) assert.ok(!users.has(ids.get(name)!.userId), `${name}: its sync writes rolled back with it`);

      const counts = {
        dialect, seed: SEED, events: names.length + later.length, faultsInjected: 3,
        handlerCalls: Object.fromEntries([...calls].filter(([n]) => !n.startsWith('ok-') && !n.startsWith('later-'))),
        hangDurationsMs: hung.map((a) => Math.round(a.duration_ms)), applied: names.length - 2 + later.length, eventsLost: 0,
      };
      t.diagnostic(JSON.stringify(counts));
      console.log(`fault-handler ${JSON.stringify(counts)}`);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await sync.stop();
    }
  });
});
