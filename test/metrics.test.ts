import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createAdminHandler } from '../src/admin/handler.js';
import { eventFixture } from '../src/events/fixtures.js';
import { openDatabase } from '../src/store/database.js';
import { migrateToLatest } from '../src/store/migrate.js';
import { parsePrometheus, startAdminService, type AdminService } from './support/admin.js';
import { freshDatabaseUrl, testDialects } from './support/db.js';
import { waitFor } from './support/env.js';

const METRICS_TOKEN = 'metrics-token-0123456789';

async function scrape(svc: AdminService, token?: string) {
  const res = await fetch(`${svc.origin}/metrics`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  const text = await res.text();
  return { res, text, ...(res.status === 200 ? parsePrometheus(text) : { samples: new Map<string, number>(), types: new Map<string, string>() }) };
}

for (const dialect of testDialects()) {
  describe(`/metrics [${dialect}]`, () => {
    let svc: AdminService;
    before(async () => {
      svc = await startAdminService({ dialect });
    });
    after(() => svc.close());

    it('is valid Prometheus text with every family typed, before any event', async () => {
      const { res, samples, types } = await scrape(svc);
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
      assert.deepEqual(Object.fromEntries(types), {
        clerk_sync_events_received_total: 'counter',
        clerk_sync_events_rejected_total: 'counter',
        clerk_sync_events_processed_total: 'counter',
        clerk_sync_events_failed_total: 'counter',
        clerk_sync_events_dead_total: 'counter',
        clerk_sync_worker_batch_failures_total: 'counter',
        clerk_sync_conflicting_duplicates_total: 'counter',
        clerk_sync_event_processing_duration_seconds: 'histogram',
        clerk_sync_worker_failing: 'gauge',
        clerk_sync_backlog_events: 'gauge',
        clerk_sync_oldest_pending_age_seconds: 'gauge',
      });
      assert.equal(samples.get('clerk_sync_worker_failing'), 0);
      assert.equal(samples.get('clerk_sync_events_processed_total{outcome="done"}'), 0);
      assert.equal(samples.get('clerk_sync_events_dead_total'), 0);
      assert.equal(samples.get('clerk_sync_event_processing_duration_seconds_count'), 0);
      assert.equal(samples.get('clerk_sync_backlog_events'), 0);
    });

    it('counters move with real deliveries: received by type, rejected by code, processed, dead, durations', async () => {
      const ids = [(await svc.send(eventFixture('user.created'))).id, (await svc.send(eventFixture('user.created'))).id, (await svc.send(eventFixture('organization.created'))).id];
      const bad = await svc.send(eventFixture('user.created'), { secret: 'whsec_' + Buffer.from('y'.repeat(24)).toString('base64') });
      assert.equal(bad.status, 401);
      const unsigned = await fetch(`${svc.origin}/api/webhooks`, { method: 'POST', body: '{}' });
      assert.equal(unsigned.status, 400);
      const unknown = await svc.send({ type: 'brand.new_event', object: 'event', data: { id: 'x_1' }, timestamp: Date.now() });
      for (const id of ids) await svc.waitForStatus(id, 'done');
      await svc.breakUsersTable();
      const dead = await svc.send(eventFixture('user.created'));
      await svc.waitForStatus(dead.id, 'dead');
      await svc.healUsersTable();
      await svc.waitForStatus(unknown.id, 'skipped');

      const { samples } = await waitFor(async () => {
        const s = await scrape(svc);
        return s.samples.get('clerk_sync_events_processed_total{outcome="done"}') === 3 && s;
      }, { what: 'processed counter to reach 3' });
      assert.equal(samples.get('clerk_sync_events_received_total{type="user.created"}'), 3);
      assert.equal(samples.get('clerk_sync_events_received_total{type="organization.created"}'), 1);
      assert.equal(samples.get('clerk_sync_events_received_total{type="other"}'), 1, 'types outside the catalog share one label');
      assert.equal(samples.get('clerk_sync_events_received_total{type="brand.new_event"}'), undefined);
      const rejected = [...samples].filter(([k]) => k.startsWith('clerk_sync_events_rejected_total'));
      assert.equal(rejected.reduce((a, [, v]) => a + v, 0), 2, JSON.stringify(rejected));
      assert.ok(rejected.every(([k]) => /\{code="[a-z_]+"\}$/.test(k)), 'labelled by error code');
      assert.ok(samples.get('clerk_sync_events_rejected_total{code="invalid_signature"}'), JSON.stringify(rejected));
      // Skipped events are finished without an attempt, so they never reach onProcessed.
      assert.equal(samples.get('clerk_sync_events_dead_total'), 1);
      assert.equal(samples.get('clerk_sync_events_failed_total'), 0);
      const count = samples.get('clerk_sync_event_processing_duration_seconds_count')!;
      assert.equal(count, 3 + 1, 'one observation per attempt');
      assert.equal(samples.get('clerk_sync_event_processing_duration_seconds_bucket{le="+Inf"}'), count);
      let previous = 0;
      for (const [k, v] of samples) {
        if (!k.startsWith('clerk_sync_event_processing_duration_seconds_bucket')) continue;
        assert.ok(v >= previous, `buckets are cumulative: ${k}`);
        previous = v;
      }
      assert.ok(samples.get('clerk_sync_event_processing_duration_seconds_sum')! > 0);
    });

    it('backlog gauges are read from the database at scrape time', async () => {
      const storeOnly = await startAdminService({ dialect, worker: false });
      try {
        for (let i = 0; i < 4; i++) await storeOnly.send(eventFixture('user.created'));
        await new Promise((r) => setTimeout(r, 1100));
        const { samples } = await scrape(storeOnly);
        assert.equal(samples.get('clerk_sync_backlog_events'), 4);
        assert.ok(samples.get('clerk_sync_oldest_pending_age_seconds')! >= 1, 'the oldest waits over a second');
        assert.equal(samples.get('clerk_sync_events_received_total{type="user.created"}'), 4);
      } finally {
        await storeOnly.close();
      }
    });

    it('with CLERK_SYNC_METRICS_TOKEN set, /metrics needs that bearer token', async () => {
      const guarded = await startAdminService({ dialect, metricsToken: METRICS_TOKEN });
      try {
        const none = await scrape(guarded);
        assert.equal(none.res.status, 401);
        assert.match(none.text, /CLERK_SYNC_METRICS_TOKEN/);
        assert.equal((await scrape(guarded, 'wrong-token-000000000000')).res.status, 401);
        assert.equal((await scrape(guarded, METRICS_TOKEN)).res.status, 200);
      } finally {
        await guarded.close();
      }
    });

    it('/healthz answers while the process is up; /readyz when the database is ready', async () => {
      const health = await fetch(`${svc.origin}/healthz`);
      assert.equal(health.status, 200);
      assert.deepEqual(await health.json(), { status: 'ok' });
      const ready = await fetch(`${svc.origin}/readyz`);
      assert.equal(ready.status, 200);
      assert.deepEqual(await ready.json(), { status: 'ready', worker: { ok: true } });
    });
  });

  describe(`/readyz not ready [${dialect}]`, () => {
    it('answers 503 naming the pending migrations, then 200 once migrated', async () => {
      const database = await openDatabase(await freshDatabaseUrl(dialect));
      try {
        const handler = createAdminHandler(database, { adminToken: null });
        const before = await handler(new Request('http://x/readyz'));
        assert.equal(before.status, 503);
        const body = (await before.json()) as any;
        assert.equal(body.status, 'not_ready');
        assert.deepEqual(body.pending_migrations.slice(0, 2), ['001-core', '002-catalog']);
        assert.match(body.reason, /migrations not applied: .*run `clerk-sync migrate`/);
        await migrateToLatest(database);
        assert.equal((await handler(new Request('http://x/readyz'))).status, 200);
      } finally {
        await database.close();
      }
    });
  });
}

describe('/readyz with the database unreachable', () => {
  it('answers 503 with the reason, without hanging', async () => {
    const database = await openDatabase('postgres://postgres@127.0.0.1:1/nothing');
    try {
      const handler = createAdminHandler(database, { adminToken: null });
      const t0 = Date.now();
      const res = await handler(new Request('http://x/readyz'));
      assert.equal(res.status, 503);
      const body = (await res.json()) as any;
      assert.match(body.reason, /^the database does not answer \(the database server is unreachable; check that it is running and reachable\); the server log has the details$/);
      assert.doesNotMatch(JSON.stringify(body), /127\.0\.0\.1|postgres@|nothing/, 'a public endpoint names no host, user or database');
      assert.ok(Date.now() - t0 < 5000);
      assert.equal((await handler(new Request('http://x/healthz'))).status, 200, 'healthz stays up: the process is alive');
    } finally {
      await database.close();
    }
  });
});
