import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { eventFixture } from '../src/events/fixtures.js';
import { syncTables } from '../src/sync/sync-tables.js';
import type { EventProcessor } from '../src/worker/worker.js';
import { runCli, startServe } from './support/cli.js';
import { freshDatabaseUrl, testTargets, type TestTarget } from './support/db.js';
import { newSecret, waitFor } from './support/env.js';
import { startService, type TestService } from './support/service.js';

/** A clerk-sync whose processing of user.updated fails once and for all (no retries): those events end `dead`. */
async function storeEvents(dialect: TestTarget) {
  const url = await freshDatabaseUrl(dialect);
  const failUpdates: EventProcessor = async (trx, event, row, sql) => {
    if (event.type === 'user.updated') throw new Error('simulated outage of a downstream system');
    await syncTables(trx, event, row, sql);
  };
  const svc = await startService({ dialect, database: url, process: failUpdates, worker: { retrySchedule: [], pollIntervalMs: 20 } });
  const ids = new Map<string, string[]>();
  const send = async (event: object, type: string) => {
    const r = await svc.send(event);
    assert.equal(r.status, 200);
    ids.set(type, [...(ids.get(type) ?? []), r.id]);
  };
  const user = eventFixture('user.created');
  await send(user, 'user.created');
  for (let i = 0; i < 2; i++) await send(eventFixture('user.created'), 'user.created');
  const ids2 = new Map([[user.data.id as string, user.data.id as string]]);
  const update = eventFixture('user.updated');
  update.data.id = user.data.id;
  update.data.first_name = 'Replayed';
  update.data.updated_at = (user.data.updated_at as number) + 1000;
  await send(update, 'user.updated');
  await send({ ...eventFixture('user.updated', { ids: ids2 }), data: { ...eventFixture('user.updated').data, first_name: 'Other' } }, 'user.updated');
  // A membership without organization: the sync refuses it whatever happens (dead at once, every time).
  const broken = eventFixture('organizationMembership.created');
  (broken.data as { organization: unknown }).organization = null;
  await send(broken, 'broken');
  await waitFor(async () => {
    const rows = await svc.sync.database.db.selectFrom('clerk_webhook_events').select('status').execute();
    return rows.length === 6 && rows.every((r) => r.status === 'done' || r.status === 'dead');
  }, { what: 'the first processing' });
  await svc.close();
  return { url, ids, userId: user.data.id as string };
}

for (const dialect of testTargets()) describe(`clerk-sync replay [${dialect}]`, () => {
  it('selects by status and time, processes again locally, summary and non-zero exit when one still fails', async () => {
    const { url, ids, userId } = await storeEvents(dialect);
    const dry = await runCli(['replay', '--status', 'dead', '--since', '1h', '--db', url, '--dry-run']);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /^3 events match$/m);
    const none = await runCli(['replay', '--status', 'dead', '--until', '2020-01-01T00:00:00Z', '--db', url]);
    assert.equal(none.code, 0);
    assert.match(none.stderr, /no stored event matches/);
    const types = await runCli(['replay', '--type', 'user.created', '--db', url, '--dry-run']);
    assert.match(types.stdout, /^3 events match$/m);

    const r = await runCli(['replay', '--status', 'dead', '--since', '2h', '--db', url]);
    assert.equal(r.code, 1, 'the broken event fails again');
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 3);
    for (const id of ids.get('user.updated')!) assert.ok(lines.includes(`${id} user.updated done`), r.stdout);
    assert.match(r.stdout, new RegExp(`${ids.get('broken')![0]} organizationMembership.created dead  .*membership payload has no string`), 'a content error: dead at once, not retried');
    assert.match(r.stderr, /^replay {2}(\d+% {2})?\d\/3/m, 'progress on stderr, plain when not a terminal');
    assert.match(r.stderr, /replayed 3 events: 2 done, 1 dead$/m);

    const show = await runCli(['events', 'list', '--db', url, '--type', 'user.updated', '--status', 'done', '--json']);
    assert.equal(show.stdout.trim().split('\n').length, 2);
    const dead = await runCli(['events', 'list', '--db', url, '--status', 'dead']);
    assert.match(dead.stdout, /organizationMembership\.created +dead/);
    assert.ok(userId);
  });

  it('the positional form still works, and names ids it cannot find', async () => {
    const { url, ids } = await storeEvents(dialect);
    const id = ids.get('user.updated')![0]!;
    const r = await runCli(['replay', id, '--db', url]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^${id} user.updated done$`, 'm'));
    const missing = await runCli(['replay', id, 'msg_nope', '--db', url]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /no stored event has svix-id msg_nope/);
    const nothing = await runCli(['replay', '--db', url]);
    assert.equal(nothing.code, 2);
    assert.match(nothing.stderr, /say which events: svix-ids, or --status\/--type\/--since\/--until, or --all/);
  });

  it('--to re-delivers the raw bodies, re-signed (fresh timestamp, same svix-id), to an endpoint that verifies them', async () => {
    const { url } = await storeEvents(dialect);
    const target: TestService = await startService({ dialect, worker: false });
    try {
      const started = Math.floor(Date.now() / 1000);
      const r = await runCli(['replay', '--all', '--db', url, '--to', target.url, '--secret', target.secret]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /re-delivered 6 events to .*: 6 × 200/);
      const source = await (await import('../src/store/database.js')).openDatabase(url);
      try {
        const sent = await source.db.selectFrom('clerk_webhook_events').select(['svix_id', 'body', 'headers', 'received_at']).orderBy('received_at').execute();
        const got = await target.sync.database.db.selectFrom('clerk_webhook_events').select(['svix_id', 'body', 'headers', 'received_at']).execute();
        assert.equal(got.length, 6);
        for (const s of sent) {
          const g = got.find((x) => x.svix_id === s.svix_id);
          assert.ok(g, `${s.svix_id} arrived under its own svix-id`);
          assert.equal(g.body, s.body, 'byte for byte');
          const ts = Number(JSON.parse(g.headers)['svix-timestamp']);
          assert.ok(ts >= started && ts !== Number(JSON.parse(s.headers)['svix-timestamp']) || ts >= started, 'a fresh svix-timestamp');
        }
        // Oldest first.
        const order = r.stdout.trim().split('\n').map((l) => l.split(' ')[0]);
        assert.deepEqual(order, sent.map((s) => s.svix_id));
      } finally {
        await source.close();
      }
      const again = await runCli(['replay', '--all', '--db', url, '--to', target.url, '--secret', target.secret]);
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stdout, / 200 duplicate \(already stored there; changed nothing\)$/m);
      assert.match(again.stderr, /6 × 200 duplicate\n6 were already stored there \(same svix-id\) and changed nothing; to process them again there, replay them where they are stored/);
      const wrong = await runCli(['replay', '--type', 'user.created', '--db', url, '--to', target.url, '--secret', newSecret()]);
      assert.equal(wrong.code, 1);
      assert.match(wrong.stdout, / 401 invalid_signature: No signature in the svix-signature header matches this payload/m, 'the target\'s own code and message');
      assert.match(wrong.stderr, /3 not answered 2xx/);
      const noSecret = await runCli(['replay', '--all', '--db', url, '--to', target.url]);
      assert.equal(noSecret.code, 2);
      assert.match(noSecret.stderr, /--to needs --secret/);
    } finally {
      await target.close();
    }
  });

  it('--remote: events list/show and replay through the admin API of a running clerk-sync', async () => {
    const { url, ids } = await storeEvents(dialect);
    const token = randomBytes(24).toString('hex');
    const serve = await startServe(['--db', url], { CLERK_WEBHOOK_SIGNING_SECRET: newSecret(), CLERK_SYNC_ADMIN_TOKEN: token });
    const origin = new URL(serve.url).origin;
    try {
      const list = await runCli(['events', 'list', '--remote', origin, '--token', token, '--status', 'dead', '--json']);
      assert.equal(list.code, 0, list.stderr);
      assert.equal(list.stdout.trim().split('\n').length, 3);
      const id = ids.get('user.updated')![0]!;
      const show = await runCli(['events', 'show', id, '--remote', origin], { CLERK_SYNC_ADMIN_TOKEN: token });
      assert.equal(show.code, 0, show.stderr);
      assert.match(show.stdout, /status +dead/);
      const one = await runCli(['replay', id, '--remote', origin, '--token', token]);
      assert.equal(one.code, 0, one.stderr);
      assert.match(one.stdout, new RegExp(`^${id} user.updated done$`, 'm'));
      const bulk = await runCli(['replay', '--status', 'dead', '--remote', origin, '--token', token]);
      assert.equal(bulk.code, 0, bulk.stderr);
      assert.match(bulk.stderr, /queued 2 of 2 matching events again/);
      await waitFor(async () => {
        const r = await runCli(['events', 'list', '--remote', origin, '--token', token, '--type', 'user.updated', '--status', 'done', '--json']);
        return r.stdout.trim().split('\n').filter(Boolean).length === 2;
      }, { timeoutMs: 20_000, intervalMs: 300, what: 'the remote to process the replayed events' });
      const wrongToken = await runCli(['events', 'list', '--remote', origin, '--token', 'x'.repeat(32)]);
      assert.equal(wrongToken.code, 1);
      assert.match(wrongToken.stderr, /refused the admin token \(401\)/);
      const noToken = await runCli(['events', 'list', '--remote', origin]);
      assert.equal(noToken.code, 2);
      assert.match(noToken.stderr, /--remote needs the instance's admin token/);
    } finally {
      serve.child.kill('SIGTERM');
      await serve.exited;
    }
  });
});
