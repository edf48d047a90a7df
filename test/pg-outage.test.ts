import assert from 'node:assert/strict';
import { it } from 'node:test';
import pg from 'pg';
import { eventFixture } from '../src/events/fixtures.js';
import { signWebhook } from '../src/verify/index.js';
import { startServe } from './support/cli.js';
import { newSecret, waitFor } from './support/env.js';
import { describeOn } from './support/db.js';
import { postgresServerPrograms, privateCluster } from './support/pg-cluster.js';
import { requireForFile } from './support/prerequisites.js';

describeOn('postgres', 'PostgreSQL outage', () => {
  requireForFile('test/pg-outage.test.ts (a private PostgreSQL cluster it stops and starts)', ...postgresServerPrograms());
  it('answers 503 with Retry-After while the database is down, stays up, and loses nothing when it returns', async () => {
    const cluster = await privateCluster();
    const secret = newSecret();
    const serve = await startServe(['--db', cluster.url], { CLERK_WEBHOOK_SIGNING_SECRET: secret });
    const answered = new Set<string>();
    const userIds = new Map<string, string>();
    let requests = 0;
    let unavailable = 0;
    let outageMessage = '';
    const send = async () => {
      requests++;
      const event = eventFixture('user.created');
      const body = JSON.stringify(event);
      const signed = signWebhook(body, secret);
      const res = await fetch(serve.url, { method: 'POST', headers: signed.headers, body });
      if (res.status === 200) {
        answered.add(signed.id);
        userIds.set(signed.id, event.data.id);
      }
      if (res.status === 503) unavailable++;
      return res;
    };
    try {
      for (let i = 0; i < 20; i++) assert.equal((await send()).status, 200);

      cluster.stop();
      const during = await send();
      assert.equal(during.status, 503);
      assert.equal(during.headers.get('retry-after'), '5');
      const duringBody = await during.json();
      assert.equal(duringBody.error.code, 'store_unavailable');
      outageMessage = duringBody.error.message;
      for (let i = 0; i < 5; i++) assert.equal((await send()).status, 503);
      const health = await fetch(serve.url.replace('/api/webhooks', '/healthz'));
      assert.equal(health.status, 200, 'the process stays up');

      cluster.start();
      await waitFor(async () => (await send()).status === 200, { timeoutMs: 20_000, intervalMs: 250, what: 'receiver to recover' });
      for (let i = 0; i < 20; i++) assert.equal((await send()).status, 200);

      const client = new pg.Client({ connectionString: cluster.url });
      await client.connect();
      try {
        await waitFor(async () => {
          const r = await client.query(`select count(*)::int n from clerk_webhook_events where status = 'done'`);
          return r.rows[0].n === answered.size;
        }, { timeoutMs: 30_000, intervalMs: 200, what: 'every answered event processed' });
        const stored = await client.query('select svix_id from clerk_webhook_events');
        assert.deepEqual(new Set(stored.rows.map((r) => r.svix_id)), answered, 'exactly the answered events are stored');
        const users = await client.query('select id from clerk_users');
        assert.deepEqual(new Set(users.rows.map((r) => r.id)), new Set(userIds.values()));
        console.log(`pg-outage ${JSON.stringify({ requests, answered2xx: answered.size, answered503: unavailable, outages: 1, stored: stored.rows.length, eventsLost: 0, message: outageMessage })}`);
      } finally {
        await client.end();
      }
    } catch (error) {
      console.error(serve.logs());
      throw error;
    } finally {
      serve.child.kill('SIGTERM');
      await serve.exited;
    }
    assert.equal(await serve.exited, 0, 'clean exit after the outage');
  });
});
