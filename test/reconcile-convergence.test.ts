/**
 * Reconcile converges: a random Clerk history over all ten resources reconcile lists is played on
 * the Backend API stand-in (test/support/clerk-world.ts), and its webhooks reach a real clerk-sync
 * over HTTP with 20% dropped, ~10% delayed and ~10% duplicated (same svix-id). Then `clerk-sync
 * reconcile` runs while the delayed webhooks are still arriving, and while Clerk changes under it:
 * one listing request is held, a burst of changes (every webhook delivered) happens, then the
 * request is answered. Afterwards the local tables must equal what Clerk lists, table by table.
 *
 * Delayed webhooks are only of objects that still exist at the end of the history (with what
 * their payload brings along): a late event of an object that is gone could create a row no
 * reconcile that already ran can know to remove. The burst removes nothing silently, for the
 * same reason: a removal after that resource was listed is the next reconcile's work.
 *
 * Reproduce a failure with the seed printed in the suite name: CLERK_SYNC_SEED=<seed>.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runCli } from './support/cli.js';
import { ClerkWorld, Clock, diffViews, expectedView, localView, survives, VIEW_TABLES, type ClerkEnvelope, type ClerkView } from './support/clerk-world.js';
import { freshDatabaseWithQuickDeadlocks, testTargets } from './support/db.js';
import { waitFor } from './support/env.js';
import { startMockClerkApi, type MockClerkApi, type MockResource } from './support/mock-clerk-api.js';
import { faultSeed, Rng } from './support/random.js';
import { startService, type TestService } from './support/service.js';

const SEED = faultSeed();
const KEY = 'sk_test_reconcileconvergence0000000000';
const INSTANCE = 'ins_reconcileconvergence000001';
const HISTORY = 400;
const BURST = 40;
const PAGE_SIZE = 7;
/** What the engine deletes without --force: 5% of a resource's rows, at least 10. */
const CAP = (rows: number) => Math.max(10, Math.floor(rows * 0.05));
const WORKERS = { sqlite: 1, postgres: 4 } as const;

/** Where the stand-in lists each resource. */
const LIST_PATH: Record<MockResource, string> = {
  users: '/v1/users',
  organizations: '/v1/organizations',
  memberships: '/v1/organization_memberships',
  organizationInvitations: '/v1/organization_invitations',
  organizationDomains: '/v1/organization_domains',
  roles: '/v1/organization_roles',
  permissions: '/v1/organization_permissions',
  invitations: '/v1/invitations',
  waitlistEntries: '/v1/waitlist_entries',
  subscriptionItems: '/v1/billing/subscription_items',
};

interface Delivery {
  id: string;
  event: ClerkEnvelope;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A compact account of where two views differ, for an assertion message. */
function describeDiff(table: keyof ClerkView, local: ClerkView, clerk: ClerkView): string {
  const d = diffViews(local, clerk)[table];
  if (!d) return '';
  const rows = (label: string, list: unknown[]) => (list.length ? `\n  ${label} (${list.length}): ${list.slice(0, 10).map((r) => JSON.stringify(r)).join('\n    ')}` : '');
  return `${table} differs (CLERK_SYNC_SEED=${SEED}):${rows('only here, gone from Clerk', d.onlyLocal)}${rows('only in Clerk', d.onlyClerk)}${rows('different', d.differ)}`;
}

for (const dialect of testTargets().filter((t): t is 'sqlite' | 'postgres' => t === 'sqlite' || t === 'postgres')) {
  describe(`reconcile converges with Clerk [${dialect}] (CLERK_SYNC_SEED=${SEED})`, () => {
    let svc: TestService;
    let api: MockClerkApi;
    let db: string;
    before(async () => {
      db = await freshDatabaseWithQuickDeadlocks(dialect);
      api = await startMockClerkApi({ secretKey: KEY, instanceId: INSTANCE });
      svc = await startService({
        dialect,
        database: db,
        worker: { pollIntervalMs: 20, concurrency: WORKERS[dialect], retrySchedule: [20, 50, 100, 200, 500, 1000, 2000, 5000] },
      });
    });
    after(() => svc.close());

    it('webhooks dropped, late and repeated, Clerk changing during the listing: the tables end equal to Clerk', { timeout: 120_000 }, async (t) => {
      t.diagnostic(`seed ${SEED} (rerun with CLERK_SYNC_SEED=${SEED})`);
      const rng = new Rng(SEED);
      const inbox = svc.sync.database.db;
      const delivered = new Set<string>();
      const send = async (d: Delivery) => {
        const res = await svc.send(d.event, { id: d.id });
        assert.equal(res.status, 200, `delivery of ${d.event.type} answered ${res.status}`);
        delivered.add(d.id);
      };
      const processed = (what: string) =>
        waitFor(
          async () => {
            const counts = await inbox.selectFrom('clerk_webhook_events').select(['status', (eb) => eb.fn.countAll<number>().as('n')]).groupBy('status').execute();
            if (counts.some((c) => c.status === 'dead') || (WORKERS[dialect] === 1 && counts.some((c) => c.status === 'failed'))) {
              const errors = await inbox.selectFrom('clerk_webhook_events').select(['type', 'status', 'last_error']).where('status', 'in', ['failed', 'dead']).limit(5).execute();
              assert.fail(`events failed: ${JSON.stringify(errors)}`);
            }
            return Number(counts.find((c) => c.status === 'done')?.n ?? 0) === delivered.size;
          },
          { timeoutMs: 30_000, intervalMs: 50, what },
        );

      // 1-2. The history, two hours ago, one change a second; its webhooks dropped, delayed, repeated.
      const world = new ClerkWorld(api, rng, new Clock(Date.now() - 2 * 3_600_000, 1000));
      const history = world.run(HISTORY);
      const deliveries: Delivery[] = history.flatMap((c) => c.events).map((event) => ({ id: rng.id('msg'), event }));
      const now: Delivery[] = [];
      const late: Delivery[] = [];
      const repeats: Delivery[] = [];
      let dropped = 0;
      for (const d of deliveries) {
        const r = rng.next();
        if (r < 0.2) {
          dropped++;
          continue;
        }
        const delayed = r < 0.3 && survives(api, d.event);
        (delayed ? late : now).push(d);
        if (rng.chance(0.1)) (delayed ? late : repeats).push(d);
        // A repeat goes out some time after its first delivery.
        if (repeats.length && rng.chance(0.3)) now.push(repeats.shift()!);
      }
      now.push(...repeats);
      rng.shuffle(late);
      t.diagnostic(`${history.length} changes, ${deliveries.length} webhooks: ${dropped} dropped, ${late.length} late, ${now.length + late.length - (deliveries.length - dropped)} repeated`);
      for (const d of now) await send(d);
      await processed('the webhooks delivered on time to be processed');

      // The deletions reconcile has to make; past the cap, --force (the cap is tested on its own).
      const stored = await localView(inbox);
      const drift = diffViews(stored, expectedView(api));
      const gone = Object.fromEntries(Object.entries(drift).map(([table, d]) => [table, d.onlyLocal.length]));
      const force = VIEW_TABLES.some(([table]) => (gone[table] ?? 0) > CAP(stored[table].length));
      t.diagnostic(`before reconcile, rows to delete per table: ${JSON.stringify(gone)}${force ? ' (past the cap: --force)' : ''}`);

      // 3. Reconcile, while the late webhooks arrive, and Clerk changes during one listing request.
      // One of the resources that take more than a page (/invitations lists no revoked ones).
      const listed = (r: MockResource) => (r === 'invitations' ? api.invitations.filter((i) => i.status !== 'revoked') : api[r]).length;
      const candidates = (Object.keys(LIST_PATH) as MockResource[]).filter((r) => listed(r) > PAGE_SIZE);
      const heldPath = candidates.length ? LIST_PATH[rng.pick(candidates)] : null;
      let holding = true;
      api.hold = (path, query) => {
        if (!holding || path !== heldPath || !(Number(query.get('offset') ?? 0) > 0 || query.has('starting_after'))) return false;
        holding = false;
        return true;
      };
      const args = ['reconcile', '--db', db, '--api-url', api.url, '--page-size', String(PAGE_SIZE), ...(force ? ['--force'] : [])];
      let finished = false;
      const cli = runCli(args, { CLERK_SECRET_KEY: KEY }, 60_000).finally(() => (finished = true));
      // Its own randomness: it runs alongside the burst, whose changes must not depend on timing.
      const pace = new Rng(SEED + 1);
      const lateDeliveries = (async () => {
        await waitFor(() => api.requests.length > 0 || finished, { timeoutMs: 30_000, what: 'reconcile to start listing' });
        for (const d of late) {
          await send(d);
          await sleep(pace.between(2, 25));
        }
      })();
      await waitFor(() => api.requests.some((r) => r.status === 'held') || finished, { timeoutMs: 60_000, what: `reconcile to request a second page of ${heldPath}` });
      if (finished) {
        const r = await cli;
        assert.fail(`reconcile ended (exit ${r.code}) without requesting a second page of ${heldPath}:\n${r.stdout}\n${r.stderr}`);
      }
      world.clock = new Clock(Date.now(), 50);
      const burst = world.run(BURST, { silentRemovals: false });
      for (const event of burst.flatMap((c) => c.events)) await send({ id: rng.id('msg'), event });
      t.diagnostic(`held ${heldPath} during a burst of ${burst.length} changes (${burst.map((c) => `${c.resource}.${c.kind}`).join(', ')})`);
      api.hold = null;
      assert.equal(api.release(), 1, 'the held request is answered');

      const r = await cli;
      await lateDeliveries;
      await processed('every webhook delivered to be processed');
      t.diagnostic(`clerk-sync ${args.join(' ')}\n${r.stdout}${r.stderr}`);

      // 4. The tables equal Clerk, table by table.
      const local = await localView(inbox);
      const clerk = expectedView(api);
      const summary = (Object.keys(clerk) as Array<keyof ClerkView>).map((table) => `${table} ${clerk[table].length}`).join(', ');
      t.diagnostic(`Clerk lists: ${summary}`);
      const differences = (Object.keys(clerk) as Array<keyof ClerkView>).map((table) => describeDiff(table, local, clerk)).filter(Boolean).join('\n');
      assert.equal(r.code, 0, `reconcile exit code (CLERK_SYNC_SEED=${SEED})\n${r.stdout}\n${r.stderr}\n${differences}`);
      assert.match(r.stdout, /^reconcile done/m);
      assert.deepEqual(local, clerk, differences);
    });
  });
}
