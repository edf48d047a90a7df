/**
 * Crash fault test: `kill -9` the real `clerk-sync serve` at random moments under continuous load,
 * restart it on the same database each time, and prove that every event answered 2xx is stored
 * and applied exactly once, and that the clerk_* tables are exactly what the stored events make.
 *
 * Reproduce a run with the seed it prints: CLERK_SYNC_SEED=<seed>.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { openDatabase } from '../src/store/database.js';
import { signWebhook } from '../src/verify/index.js';
import { startServe, type ServeProcess } from './support/cli.js';
import { freshDatabaseUrl, testDialects } from './support/db.js';
import { newSecret, waitFor } from './support/env.js';
import { faultSeed, Rng } from './support/random.js';
import { actualState, expectedState, generateWorld, type Delivery } from './support/fault-world.js';

const SEED = faultSeed();
const KILLS = 5;
const SENDERS = 6;
/** Requests per second at most, all senders together: the events generated last the whole run. */
const MAX_RATE = 600;
/** Load between two kills, ms: long enough for batches to be mid-commit when the kill lands. */
const RUN_BETWEEN_KILLS = [300, 1500] as const;
/** Share of deliveries sent a second time under the same svix-id (a Svix retry after a lost answer). */
const DUPLICATES = 0.1;
/** Share of unanswered deliveries retried later, as Svix would; the rest are never answered. */
const RETRY_UNANSWERED = 0.5;

for (const dialect of testDialects()) {
  describe(`kill -9 under load [${dialect}] (CLERK_SYNC_SEED=${SEED})`, () => {
    it(`${KILLS} kills at random moments: every answered event is stored and applied once`, { timeout: 150_000 }, async (t) => {
      const rng = new Rng(SEED);
      const secret = newSecret();
      const database = await freshDatabaseUrl(dialect);
      const serveArgs = ['--db', database, '--retry-schedule', '1s,2s,5s'];
      const env = { CLERK_WEBHOOK_SIGNING_SECRET: secret };

      const deliveries: Delivery[] = generateWorld(rng, { users: 1000, organizations: 150, memberships: 1400 }).map((event) => ({ id: rng.id('msg'), event, body: JSON.stringify(event) }));
      const queue = rng.shuffle([...deliveries, ...deliveries.filter(() => rng.chance(DUPLICATES))]);
      const byId = new Map(deliveries.map((d) => [d.id, d]));

      const counts = { requests: 0, answered2xx: 0, duplicateAnswers: 0, noAnswer: 0, retriedAfterNoAnswer: 0, kills: 0 };
      const answered = new Set<string>();
      const attempted = new Set<string>();
      const unexpected: string[] = [];
      const retries: Delivery[] = [];
      let serve: ServeProcess | null = await startServe(serveArgs, env);
      let url: string | null = serve.url;
      let stop = false;
      let next = 0;

      const sender = async () => {
        while (!stop) {
          const target = url;
          if (target === null) {
            await sleep(20); // restarting
            continue;
          }
          const d = retries.length > 0 && (next >= queue.length || rng.chance(0.3)) ? retries.shift()! : queue[next++];
          if (d === undefined) break; // all sent: the check below fails if a kill round is still waiting for load
          const pace = sleep((SENDERS * 1000) / MAX_RATE);
          counts.requests++;
          attempted.add(d.id);
          const signed = signWebhook(d.body, secret, { id: d.id });
          try {
            const res = await fetch(target, { method: 'POST', headers: { ...signed.headers, 'content-type': 'application/json' }, body: d.body, signal: AbortSignal.timeout(10_000) });
            const text = await res.text();
            if (res.status !== 200) {
              unexpected.push(`${res.status} ${text}`);
              continue;
            }
            counts.answered2xx++;
            answered.add(d.id);
            if (JSON.parse(text).duplicate === true) counts.duplicateAnswers++;
            await pace;
          } catch {
            // Killed mid-request, or not listening yet: no answer, so Svix would retry (sometimes).
            counts.noAnswer++;
            if (rng.chance(RETRY_UNANSWERED)) {
              counts.retriedAfterNoAnswer++;
              retries.push(d);
            }
            await sleep(20);
          }
        }
      };
      const senders = Array.from({ length: SENDERS }, sender);

      const answeredPerRound: number[] = [];
      try {
        for (let k = 0; k < KILLS; k++) {
          const before = counts.answered2xx;
          await sleep(rng.between(...RUN_BETWEEN_KILLS));
          await waitFor(() => counts.answered2xx > before, { timeoutMs: 30_000, what: 'load to reach the server before the next kill (unexpected answers, or all deliveries sent already?)' });
          assert.deepEqual(unexpected, [], 'every answer is 200 or none at all');
          answeredPerRound.push(counts.answered2xx - before);
          url = null;
          serve.child.kill('SIGKILL');
          assert.equal(await serve.exited, null, 'killed by the signal');
          counts.kills++;
          serve = null;
          serve = await startServe(serveArgs, env);
          url = serve.url;
        }
        await sleep(1000);
      } catch (error) {
        console.error(serve?.logs().split('\n').filter((l) => !l.includes('"event processed"')).slice(-30).join('\n'));
        throw error;
      } finally {
        stop = true;
        await Promise.all(senders);
      }
      assert.deepEqual(unexpected, [], 'every answer was 200 or none at all');

      const db = await openDatabase(database);
      try {
        // Drain: the last server processes what the earlier ones stored but never applied.
        await waitFor(async () => {
          const open = await db.db.selectFrom('clerk_webhook_events').select((eb) => eb.fn.countAll<number>().as('n')).where('status', '<>', 'done').executeTakeFirstOrThrow();
          return Number(open.n) === 0;
        }, { timeoutMs: 60_000, intervalMs: 100, what: 'every stored event to be processed' });

        const stored = await db.db.selectFrom('clerk_webhook_events').select(['svix_id', 'status', 'attempts']).execute();
        const storedIds = new Set(stored.map((r) => r.svix_id));
        const lost = [...answered].filter((id) => !storedIds.has(id));
        const storedUnanswered = stored.filter((r) => !answered.has(r.svix_id)).length;
        const report = {
          dialect, seed: SEED, ...counts, distinctAnswered: answered.size, stored: stored.length, storedButNeverAnswered: storedUnanswered,
          answeredPerRound: answeredPerRound.join('/'), eventsLost: lost.length,
        };
        t.diagnostic(JSON.stringify(report));
        console.log(`fault-crash ${JSON.stringify(report)}`);

        assert.deepEqual(lost, [], 'events lost: every event answered 2xx is stored');
        for (const r of stored) assert.ok(attempted.has(r.svix_id), `${r.svix_id} was stored but never sent`);
        assert.deepEqual(stored.filter((r) => r.status !== 'done' || Number(r.attempts) !== 1), [], 'every stored event was applied by exactly one successful attempt');

        const attempts = await db.db.selectFrom('clerk_webhook_attempts').select(['svix_id', 'outcome', 'attempt']).execute();
        const perEvent = new Map<string, string[]>();
        for (const a of attempts) perEvent.set(a.svix_id, [...(perEvent.get(a.svix_id) ?? []), `${a.attempt}:${a.outcome}`]);
        for (const id of storedIds) assert.deepEqual(perEvent.get(id), ['1:done'], `attempts of ${id}`);
        assert.equal(attempts.length, storedIds.size, 'no attempt rows beyond one per stored event');

        const expected = expectedState([...storedIds].map((id) => byId.get(id)!.event));
        const actual = await actualState(db.db);
        assert.deepEqual(actual.users, expected.users, 'clerk_users equal the state the stored events make');
        assert.deepEqual(actual.organizations, expected.organizations, 'clerk_organizations equal the expected state');
        assert.deepEqual(actual.memberships, expected.memberships, 'clerk_organization_memberships equal the expected state');
        assert.ok(counts.kills === KILLS && answered.size > 0);
      } catch (error) {
        if (serve) console.error(serve.logs().split('\n').filter((l) => !l.includes('"event processed"')).slice(-40).join('\n'));
        throw error;
      } finally {
        await db.close();
        if (serve) {
          serve.child.kill('SIGTERM');
          await serve.exited;
        }
      }
    });
  });
}
