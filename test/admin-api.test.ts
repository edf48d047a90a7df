import assert from 'node:assert/strict';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { AdminClient, AdminClientError } from '../src/admin/client.js';
import { createAdminHandler } from '../src/admin/handler.js';
import { nodeAdminHandler } from '../src/admin/node.js';
import { eventFixture } from '../src/events/fixtures.js';
import { listEvents } from '../src/inbox/browse.js';
import { ADMIN_TOKEN, startAdminService, type AdminService } from './support/admin.js';
import { testTargets } from './support/db.js';
import { CAPPED_NOTE, HOSTILE_ERROR, seedReconcileRuns } from './support/reconcile-runs.js';
import { recountInbox } from '../src/store/migrations/010-inbox-rollups.js';
import { waitFor } from './support/env.js';

for (const dialect of testTargets()) {
  describe(`admin API [${dialect}]`, () => {
    let svc: AdminService;
    let client: AdminClient;
    const sent: Record<string, string> = {};
    let userId: string;
    let orgId: string;

    before(async () => {
      svc = await startAdminService({ dialect });
      client = new AdminClient(svc.origin, ADMIN_TOKEN);
      const user = eventFixture('user.created');
      userId = user.data.id;
      sent.userCreated = (await svc.send(user)).id;
      const updated = eventFixture('user.updated');
      updated.data.id = userId;
      sent.userUpdated = (await svc.send(updated)).id;
      const org = eventFixture('organization.created');
      orgId = org.data.id;
      sent.org = (await svc.send(org)).id;
      for (const id of Object.values(sent)) await svc.waitForStatus(id, 'done');
    });
    after(() => svc.close());

    it('lists events newest first with filters by type, status, time and search', async () => {
      const all = await client.listEvents();
      assert.deepEqual(all.events.map((e) => e.svix_id), [sent.org, sent.userUpdated, sent.userCreated]);
      assert.equal(all.nextCursor, null);
      assert.deepEqual((await client.listEvents({ types: ['user.created', 'user.updated'] })).events.map((e) => e.svix_id), [sent.userUpdated, sent.userCreated]);
      assert.equal((await client.listEvents({ statuses: ['dead'] })).events.length, 0);
      assert.deepEqual((await client.listEvents({ search: userId })).events.map((e) => e.type), ['user.updated', 'user.created'], 'entity id search');
      assert.deepEqual((await client.listEvents({ search: sent.org })).events.map((e) => e.entity_id), [orgId], 'svix-id search');
      assert.equal((await client.listEvents({ since: Date.now() + 60_000 })).events.length, 0);
      assert.equal((await client.listEvents({ until: Date.now() + 60_000 })).events.length, 3);
      const iso = await svc.api(`/api/admin/events?since=${encodeURIComponent(new Date(Date.now() - 60_000).toISOString())}`);
      assert.equal(iso.body.events.length, 3, 'ISO dates work as since');
      const row = all.events[0]!;
      assert.deepEqual(Object.keys(row).sort(), ['attempts', 'entity_id', 'last_error', 'next_attempt_at', 'processed_at', 'received_at', 'status', 'svix_id', 'type']);
    });

    it('paginates with a keyset cursor, ties on received_at included', async () => {
      // 7 events with the same received_at: the cursor must still visit each exactly once.
      const at = Date.now() - 3600_000;
      const ids = Array.from({ length: 7 }, (_, i) => `msg_tie_${dialect}_${i}`);
      await svc.sync.database.db
        .insertInto('clerk_webhook_events')
        .values(ids.map((svix_id) => ({ svix_id, type: 'user.updated', status: 'done' as const, headers: '{}', body: '{}', received_at: at, next_attempt_at: at, attempts: 1 })))
        .execute();
      await recountInbox(svc.sync.database.db); // written around clerk-sync: its counters learn of them so
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page = await client.listEvents({ until: at + 1 }, { limit: 3, cursor });
        seen.push(...page.events.map((e) => e.svix_id));
        cursor = page.nextCursor;
        pages++;
      } while (cursor);
      assert.equal(pages, 3);
      assert.deepEqual(seen, [...ids].sort().reverse());
    });

    it('rejects bad input with 400 and a message that says what is expected', async () => {
      for (const [path, pattern] of [
        ['/api/admin/events?status=exploded', /unknown status exploded/],
        ['/api/admin/events?limit=0', /limit must be a whole number from 1 to 500/],
        ['/api/admin/events?limit=abc', /limit must be a whole number/],
        ['/api/admin/events?cursor=%%%', /invalid cursor/],
        ['/api/admin/events?since=yesterday-ish', /since must be epoch milliseconds or an ISO date/],
      ] as const) {
        const r = await svc.api(path);
        assert.equal(r.status, 400, path);
        assert.equal(r.body.error.code, 'bad_request');
        assert.match(r.body.error.message, pattern, path);
      }
      const wrongMethod = await svc.api('/api/admin/events', { method: 'DELETE' });
      assert.equal(wrongMethod.status, 405);
      assert.equal((await svc.api('/api/admin/nope')).status, 404);
    });

    it('shows one event: headers, payload, attempts, and the current row it concerns', async () => {
      const { event, related } = await client.showEvent(sent.userUpdated);
      assert.equal(event.type, 'user.updated');
      assert.equal(event.status, 'done');
      assert.equal(event.headers['svix-id'], sent.userUpdated);
      assert.equal((event.payload as any).data.id, userId);
      assert.equal(event.attempt_log.length, 1);
      assert.equal(event.attempt_log[0]!.outcome, 'done');
      assert.equal(typeof event.attempt_log[0]!.duration_ms, 'number');
      assert.equal(related.length, 1);
      assert.equal(related[0]!.table, 'clerk_users');
      assert.equal(related[0]!.row.id, userId);
      assert.equal(typeof related[0]!.row.payload, 'object', 'JSON columns come back parsed on both dialects');
      for (const column of ['banned', 'locked', 'two_factor_enabled', 'password_enabled']) {
        assert.equal(typeof related[0]!.row[column], 'boolean', `${column} is a boolean on both dialects, not SQLite's 0/1`);
      }
      await assert.rejects(client.showEvent('msg_missing'), (e: AdminClientError) => e.code === 'not_found' && /no stored event has svix-id msg_missing/.test(e.message));
    });

    it('replays a dead event after the cause is fixed, and records it', async () => {
      await svc.breakUsersTable();
      const created = eventFixture('user.created');
      const { id } = await svc.send(created);
      await svc.waitForStatus(id, 'dead');
      await svc.healUsersTable();
      const dead = await client.showEvent(id);
      assert.match(dead.event.last_error ?? '', /clerk_users/);
      const after = await client.replayEvent(id, { waitMs: 10_000 });
      assert.equal(after.status, 'done');
      const shown = await client.showEvent(id);
      assert.deepEqual(shown.event.attempt_log.map((a) => a.outcome), ['dead', 'done'], 'every attempt kept');
      assert.equal(shown.related[0]?.row.id, created.data.id);
      const actions = await svc.api('/api/admin/actions');
      assert.deepEqual(actions.body.actions.filter((a: any) => a.action === 'replay' && a.target === id).map((a: any) => [a.actor, a.count]), [['api', 1]]);
      await assert.rejects(client.replayEvent('msg_missing'), (e: AdminClientError) => e.code === 'not_found');
    });

    it('replays every event matching a filter as a job with progress, and records it', async () => {
      await svc.breakUsersTable();
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push((await svc.send(eventFixture('user.created'))).id);
      for (const id of ids) await svc.waitForStatus(id, 'dead');
      await svc.healUsersTable();
      const since = Date.now() - 60_000;
      assert.equal(await client.countMatching({ statuses: ['dead'], since }), 5);
      const refused = await svc.api('/api/admin/replay', { method: 'POST', body: { filter: {} } });
      assert.equal(refused.status, 400);
      assert.equal(refused.body.error.code, 'filter_required');
      assert.equal((await svc.api('/api/admin/replay', { method: 'POST', body: { filter: { colour: 'red' } } })).status, 400);

      const progress: number[] = [];
      const job = await client.replayMatching({ statuses: ['dead'], since }, (j) => progress.push(j.requeued), 20);
      assert.equal(job.state, 'done');
      assert.equal(job.total, 5);
      assert.equal(job.requeued, 5);
      assert.ok(progress.length >= 1);
      for (const id of ids) await svc.waitForStatus(id, 'done');
      assert.equal((await client.replayJob(job.id)).state, 'done');
      await assert.rejects(client.replayJob('replay_nope'), (e: AdminClientError) => e.code === 'not_found');
      await waitFor(async () => (await svc.api('/api/admin/actions')).body.actions.find((a: any) => a.action === 'replay_filter'), { what: 'the bulk replay to be recorded' });
      const recorded = (await svc.api('/api/admin/actions')).body.actions.find((a: any) => a.action === 'replay_filter');
      assert.equal(recorded.count, 5);
      assert.deepEqual(JSON.parse(recorded.target), { statuses: ['dead'], since });
    });

    it('reports stats: counts by status, backlog, lag, and per-bucket activity', async () => {
      const stats = await client.stats({ since: Date.now() - 2 * 3600_000, bucket: 60_000 });
      assert.equal(stats.total, 3 + 1 + 5 + 7);
      assert.equal(stats.by_status.done, stats.total, 'every event ended done (the replayed ones too)');
      assert.equal(stats.by_status.dead, 0);
      assert.equal(stats.backlog, 0);
      assert.equal(stats.oldest_pending_age_ms, 0);
      assert.equal(stats.bucket_ms, 60_000);
      assert.ok(stats.buckets.length >= 120 && stats.buckets.length <= 122);
      const sum = (k: 'received' | 'processed' | 'dead') => stats.buckets.reduce((a, b) => a + b[k], 0);
      assert.equal(sum('received'), 3 + 1 + 5 + 7, 'everything received in the window');
      assert.equal(sum('dead'), 6, 'the 6 attempts that went dead');
      assert.equal(sum('processed'), 3 + 1 + 5, 'first-time successes and the replays');
      // Processed counts events finished, once per processing: a replay of a done event counts
      // again (history stays as it was), and leaves the counts by status as they were.
      const again = (await client.listEvents({ statuses: ['done'] }, { limit: 1 })).events[0]!.svix_id;
      assert.equal((await client.replayEvent(again, { waitMs: 10_000 })).status, 'done');
      const after = await client.stats({ since: Date.now() - 2 * 3600_000, bucket: 60_000 });
      assert.equal(after.buckets.reduce((a, b) => a + b.processed, 0), sum('processed') + 1);
      assert.deepEqual(after.by_status, stats.by_status);
      assert.equal(after.backlog, 0);
      assert.ok(stats.lag_avg_ms !== null && stats.lag_avg_ms >= 0);
      assert.equal(stats.buckets.at(-1)!.backlog, 0);
      assert.equal((await svc.api('/api/admin/stats?bucket=10')).status, 400);
    });

    it('browses users, organizations and memberships with search, and each one’s history', async () => {
      const users = await svc.api('/api/admin/entities/users?limit=100');
      assert.equal(users.status, 200);
      assert.ok(users.body.rows.some((r: any) => r.id === userId));
      const byEmail = users.body.rows.find((r: any) => r.id === userId).primary_email_address as string;
      const search = await svc.api(`/api/admin/entities/users?q=${encodeURIComponent(byEmail.toUpperCase().slice(0, 6))}`);
      assert.ok(search.body.rows.some((r: any) => r.id === userId), 'case-insensitive search by email');
      const page1 = await svc.api('/api/admin/entities/users?limit=2');
      assert.equal(page1.body.rows.length, 2);
      const page2 = await svc.api(`/api/admin/entities/users?limit=2&cursor=${page1.body.nextCursor}`);
      assert.ok(page2.body.rows.every((r: any) => r.id < page1.body.rows[1].id));
      const orgs = await svc.api(`/api/admin/entities/organizations?q=${orgId}`);
      assert.deepEqual(orgs.body.rows.map((r: any) => r.id), [orgId]);
      const one = await svc.api(`/api/admin/entities/users/${userId}`);
      assert.equal(one.body.row.id, userId);
      assert.deepEqual(one.body.events.events.map((e: any) => e.svix_id), [sent.userUpdated, sent.userCreated]);
      assert.equal((await svc.api('/api/admin/entities/users/user_missing')).status, 404);
      assert.equal((await svc.api('/api/admin/entities/widgets')).status, 404);
      assert.equal((await svc.api('/api/admin/entities/memberships')).status, 200);
    });

    it('mounts as a Fetch API handler under a base path, and as node middleware that passes other routes on', async () => {
      const admin = createAdminHandler(svc.sync, { adminToken: ADMIN_TOKEN, basePath: '/ops' });
      assert.equal(admin.handles('/ops/dashboard/events'), true);
      assert.equal(admin.handles('/ops/metrics'), true);
      assert.equal(admin.handles('/dashboard'), false);
      assert.equal(admin.handles('/ops/other'), false);
      const list = await admin(new Request('http://app.test/ops/api/admin/events?limit=1', { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } }));
      assert.equal(list.status, 200);
      assert.equal(((await list.json()) as any).events.length, 1);
      const login = await admin(new Request('http://app.test/ops/dashboard/login'));
      assert.match(await login.text(), /action="\/ops\/dashboard\/login"/);
      assert.equal((await admin(new Request('http://app.test/api/admin/events'))).status, 404, 'outside the base path');

      const middleware = nodeAdminHandler(admin);
      const app = createHttpServer((req, res) => middleware(req, res, () => res.writeHead(200, { 'content-type': 'text/plain' }).end('the app')));
      await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
      const appOrigin = `http://127.0.0.1:${(app.address() as { port: number }).port}`;
      try {
        assert.equal(await (await fetch(`${appOrigin}/anything`)).text(), 'the app');
        const r = await fetch(`${appOrigin}/ops/api/admin/events/${sent.org}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
        assert.equal(((await r.json()) as any).event.svix_id, sent.org);
      } finally {
        app.closeAllConnections();
        await new Promise<void>((r) => app.close(() => r()));
      }
    });

    it('lists reconcile runs newest first, with per-resource counts, the last success and the run at work', async () => {
      const empty = await svc.api('/api/admin/reconcile');
      assert.equal(empty.status, 200);
      assert.deepEqual(empty.body, { runs: [], lastSuccessAt: null, running: null });

      const seeded = await seedReconcileRuns(svc.sync.database);
      const { ids } = seeded;
      const all = await client.reconcileRuns();
      assert.deepEqual(all.runs.map((r) => [r.id, r.mode, r.trigger, r.status]), [
        [ids.newestDryRun, 'dry-run', 'cli', 'failed'],
        [ids.running, 'apply', 'cli', 'running'],
        [ids.interrupted, 'apply', 'schedule', 'interrupted'],
        [ids.capped, 'apply', 'schedule', 'capped'],
        [ids.dryRun, 'dry-run', 'cli', 'succeeded'],
        [ids.ok, 'apply', 'cli', 'succeeded'],
      ]);
      assert.equal(all.lastSuccessAt, seeded.okFinishedAt, 'the newest applying run that succeeded; a dry run does not count');
      assert.equal(all.running?.id, ids.running);
      assert.equal(all.running?.status, 'running');

      const capped = all.runs.find((r) => r.id === ids.capped)!;
      assert.deepEqual(capped.resources, seeded.cappedResources);
      assert.equal(capped.resources.users!.note, CAPPED_NOTE);
      assert.match(capped.error ?? '', /safety cap/);
      assert.equal(capped.finishedAt, seeded.now - 3 * 3_600_000 + 20_000);
      assert.equal(capped.instanceId, 'ins_test');
      assert.deepEqual(Object.keys(capped).sort(), ['error', 'finishedAt', 'heartbeatAt', 'id', 'instanceId', 'mode', 'resources', 'startedAt', 'status', 'trigger']);
      assert.deepEqual(Object.keys(capped.resources.organizations!).sort(), ['capped', 'complete', 'deleted', 'failed', 'gone_from_clerk', 'in_sync', 'listed', 'local_newer', 'missing_locally', 'newer_in_clerk', 'note', 'relisted']);
      const interrupted = all.runs.find((r) => r.id === ids.interrupted)!;
      assert.equal(interrupted.finishedAt, null);
      assert.equal(interrupted.resources.users!.listed, 50, 'the counts saved before it stopped');
      assert.equal(all.runs.find((r) => r.id === ids.newestDryRun)!.error, HOSTILE_ERROR);

      // The limit cuts the list, not `running` or `lastSuccessAt`.
      const one = await svc.api('/api/admin/reconcile?limit=1');
      assert.equal(one.status, 200);
      assert.deepEqual(one.body.runs.map((r: any) => r.id), [ids.newestDryRun]);
      assert.equal(one.body.running.id, ids.running, 'the running run is there although it is not among the runs listed');
      assert.equal(one.body.lastSuccessAt, seeded.okFinishedAt);
      assert.equal((await svc.api('/api/admin/reconcile?limit=200')).body.runs.length, 6);
      assert.equal((await client.reconcileRuns({ limit: 3 })).runs.length, 3);
      for (const limit of ['0', '201', 'abc', '-1']) {
        const r = await svc.api(`/api/admin/reconcile?limit=${limit}`);
        assert.equal(r.status, 400, limit);
        assert.equal(r.body.error.code, 'bad_request');
        assert.match(r.body.error.message, /limit must be a whole number/, limit);
      }
      assert.match((await svc.api('/api/admin/reconcile?limit=201')).body.error.message, /from 1 to 200, got 201/);

      const anonymous = await svc.api('/api/admin/reconcile', { token: null });
      assert.equal(anonymous.status, 401);
      assert.equal(anonymous.body.error.code, 'unauthorized');
      assert.match(anonymous.headers.get('www-authenticate') ?? '', /^Bearer/);
      assert.equal((await svc.api('/api/admin/reconcile', { token: 'wrong-token-wrong-token' })).status, 401);
      const post = await svc.api('/api/admin/reconcile', { method: 'POST', body: {} });
      assert.equal(post.status, 405);
      assert.equal(post.headers.get('allow'), 'GET');
      assert.equal((await svc.api('/api/admin/reconcile/1')).status, 404);
    });

    it('serves listEvents fast from SQL on a large inbox (first page and a deep page)', async () => {
      const db = svc.sync.database.db;
      const n = 100_000;
      const base = Date.now() - 23 * 3600_000;
      for (let i = 0; i < n; i += 2000) {
        const events = Array.from({ length: Math.min(2000, n - i) }, (_, j) => {
          const k = i + j;
          const received_at = base + Math.floor(k / 2) * 800;
          return { svix_id: `msg_bulk_${String(k).padStart(6, '0')}`, type: k % 3 ? 'user.updated' : 'session.created', status: k % 50 === 0 ? ('dead' as const) : ('done' as const), entity_id: `user_bulk${k % 1000}`, headers: '{}', body: '{}', received_at, next_attempt_at: base, attempts: 1, processed_at: received_at + 5 };
        });
        await db.insertInto('clerk_webhook_events').values(events).execute();
        await db.insertInto('clerk_webhook_attempts').values(events.map((e) => ({ svix_id: e.svix_id, attempt: 1, started_at: e.received_at + 2, duration_ms: 3, outcome: e.status, error: null }))).execute();
      }
      await recountInbox(db);
      if (dialect !== 'sqlite') await (await import('kysely')).sql`analyze`.execute(db);
      const time = async (f: () => Promise<unknown>) => {
        await f();
        const t0 = performance.now();
        for (let i = 0; i < 5; i++) await f();
        return (performance.now() - t0) / 5;
      };
      const first = await listEvents(svc.sync.database, {}, { limit: 50 });
      let deep = first;
      for (let i = 0; i < 20; i++) deep = await listEvents(svc.sync.database, {}, { limit: 500, cursor: deep.nextCursor });
      const timings = {
        first: await time(() => listEvents(svc.sync.database, {}, { limit: 50 })),
        deep: await time(() => listEvents(svc.sync.database, {}, { limit: 50, cursor: deep.nextCursor })),
        dead: await time(() => listEvents(svc.sync.database, { statuses: ['dead'] }, { limit: 50 })),
        entity: await time(() => listEvents(svc.sync.database, { search: 'user_bulk7' }, { limit: 50 })),
        type: await time(() => listEvents(svc.sync.database, { types: ['session.created'] }, { limit: 50 })),
      };
      console.log(`[${dialect}] listEvents on ${n} events, ms per page:`, JSON.stringify(Object.fromEntries(Object.entries(timings).map(([k, v]) => [k, Math.round(v * 10) / 10]))));
      for (const [what, ms] of Object.entries(timings)) assert.ok(ms < 100, `${what} page took ${ms.toFixed(1)} ms`);
      const stats = await time(() => client.stats());
      console.log(`[${dialect}] stats over 24 h holding ${n} events and attempts: ${stats.toFixed(1)} ms`);
      assert.ok(stats < 2500, `stats took ${stats.toFixed(0)} ms`);
      const overview = await client.stats();
      assert.ok(overview.buckets.reduce((a, b) => a + b.received, 0) >= n, 'the window holds them all');
      assert.equal(overview.lag_avg_ms !== null && overview.lag_avg_ms >= 5, true);
    });
  });
}

describe('AdminClient errors', () => {
  it('says when the instance is unreachable', async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    await new Promise<void>((r) => server.close(() => r()));
    const client = new AdminClient(`http://127.0.0.1:${port}`, ADMIN_TOKEN);
    await assert.rejects(client.listEvents(), (e: AdminClientError) => e.code === 'unreachable' && /cannot reach clerk-sync at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)/.test(e.message));
  });

  it('refuses a malformed URL or an empty token up front', () => {
    assert.throws(() => new AdminClient('not a url', ADMIN_TOKEN), /--remote must be a URL/);
    assert.throws(() => new AdminClient('http://127.0.0.1:1', ''), /pass --token/);
  });

  for (const dialect of testTargets()) {
    it(`says 401 means a wrong token, and 404 admin_disabled means no token on the server [${dialect}]`, async () => {
      const on = await startAdminService({ dialect });
      const off = await startAdminService({ dialect, adminToken: null });
      try {
        await assert.rejects(new AdminClient(on.origin, 'wrong-token-wrong-token').listEvents(), (e: AdminClientError) => e.code === 'unauthorized' && e.status === 401 && /--token/.test(e.message));
        await assert.rejects(new AdminClient(off.origin, ADMIN_TOKEN).stats(), (e: AdminClientError) => e.code === 'disabled' && /CLERK_SYNC_ADMIN_TOKEN/.test(e.message));
        await assert.rejects(new AdminClient(`${on.origin}/elsewhere`, ADMIN_TOKEN).listEvents(), (e: AdminClientError) => e.code === 'not_found');
      } finally {
        await on.close();
        await off.close();
      }
    });
  }
});
