import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { openDatabase } from '../src/store/database.js';
import { eventFixture } from '../src/events/fixtures.js';
import { signWebhook } from '../src/verify/index.js';
import { startServe, startWorker } from './support/cli.js';
import { freshDatabaseUrl, testTargets } from './support/db.js';
import { newSecret, waitFor } from './support/env.js';

/** Deterministic shuffle so a failure can be replayed. */
function shuffle<T>(items: T[], seed: number): T[] {
  let s = seed >>> 0;
  const rnd = () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

// PostgreSQL directly, and through a transaction-mode PgBouncer by its plain URL.
for (const target of testTargets().filter((t) => t !== 'sqlite')) describe(`many receivers and workers on one PostgreSQL database [${target}]`, () => {
  it('2 receivers and 3 workers apply 10,000 deliveries (with duplicates) exactly once, newest state wins', async () => {
    const url = await freshDatabaseUrl(target);
    const secret = newSecret();
    const env = { CLERK_WEBHOOK_SIGNING_SECRET: secret };
    const receivers = [await startServe(['--db', url, '--no-worker'], env), await startServe(['--db', url, '--no-worker'], env)];
    const workers: Awaited<ReturnType<typeof startWorker>>[] = [];
    try {
      // 1,000 users, each with a created and 8 updates of increasing updated_at: 9,000 distinct messages.
      const expected = new Map<string, string>();
      const messages: Array<{ id: string; body: string }> = [];
      for (let u = 0; u < 1000; u++) {
        const ids = new Map<string, string>();
        for (let v = 0; v < 9; v++) {
          const e = eventFixture(v === 0 ? 'user.created' : 'user.updated', { ids });
          e.data.updated_at = 1_700_000_000_000 + v;
          e.data.first_name = `v${v}`;
          messages.push({ id: `msg_mp_${u}_${v}`, body: JSON.stringify(e) });
          if (v === 8) expected.set(e.data.id, 'v8');
        }
      }
      // 1,000 duplicate deliveries of random messages (same svix-id), sent to either receiver.
      const seed = 20261127;
      const deliveries = shuffle([...messages, ...shuffle([...messages], seed).slice(0, 1000)], seed + 1);
      assert.equal(deliveries.length, 10_000);
      const statuses = new Map<number, number>();
      const deliver = async (batch: typeof deliveries) => {
        let next = 0;
        await Promise.all(
          Array.from({ length: 16 }, async (_, lane) => {
            while (next < batch.length) {
              const m = batch[next++]!;
              const signed = signWebhook(m.body, secret, { id: m.id });
              const res = await fetch(receivers[lane % 2]!.url, { method: 'POST', headers: signed.headers, body: m.body });
              await res.arrayBuffer();
              statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
            }
          }),
        );
      };
      // Half arrive before any worker runs: the workers start on a backlog, where every batch
      // holds events of users that other batches hold too (the case that used to deadlock), and
      // keep working while the other half arrives.
      await deliver(deliveries.slice(0, 5000));
      workers.push(...(await Promise.all([1, 2, 3].map(() => startWorker(['--db', url, '--concurrency', '2'])))));
      await deliver(deliveries.slice(5000));
      assert.deepEqual([...statuses], [[200, 10_000]]);

      const database = await openDatabase(url);
      try {
        const db = database.db;
        await waitFor(async () => {
          const r = await db.selectFrom('clerk_webhook_events').select((eb) => eb.fn.countAll().as('n')).where('status', '=', 'done').executeTakeFirstOrThrow();
          return Number(r.n) === messages.length;
        }, { timeoutMs: 120_000, intervalMs: 250, what: 'all 9,000 events done' }).catch(async (error: Error) => {
          // Say where the events are and why, so a failure here can be diagnosed from the CI log.
          const byStatus = await db.selectFrom('clerk_webhook_events').select(['status', (eb) => eb.fn.countAll().as('n')]).groupBy('status').execute();
          const errors = await db.selectFrom('clerk_webhook_events').select(['last_error', (eb) => eb.fn.countAll().as('n')]).where('last_error', 'is not', null).groupBy('last_error').execute();
          throw new Error(`${error.message}; by status ${JSON.stringify(byStatus)}; errors ${JSON.stringify(errors)}\nworker logs:\n${workers.map((w) => w.logs().split('\n').filter((l) => /warn|error/.test(l)).slice(-20).join('\n')).join('\n')}`);
        });
        const total = await db.selectFrom('clerk_webhook_events').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
        assert.equal(Number(total.n), messages.length, 'one inbox row per svix-id');
        const attempts = await db.selectFrom('clerk_webhook_attempts').select(['svix_id']).execute();
        assert.equal(attempts.length, messages.length, 'each event applied exactly once');
        assert.equal(new Set(attempts.map((a) => a.svix_id)).size, messages.length);
        const byWorker = await db.selectFrom('clerk_webhook_events').select('processed_by').distinct().execute();
        assert.ok(byWorker.length >= 2, `work was shared between workers (${byWorker.length})`);
        const users = await db.selectFrom('clerk_users').select(['id', 'first_name']).execute();
        assert.equal(users.length, expected.size);
        for (const u of users) assert.equal(u.first_name, expected.get(u.id), `user ${u.id} holds its newest state`);
      } finally {
        await database.close();
      }
    } finally {
      for (const p of [...receivers, ...workers]) p.child.kill('SIGTERM');
      const codes = await Promise.all([...receivers, ...workers].map((p) => p.exited));
      assert.deepEqual(codes, codes.map(() => 0), 'every process stops cleanly');
    }
  });
});
