import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { eventFixture } from '../src/events/fixtures.js';
import { signWebhook } from '../src/verify/index.js';
import { testDialects } from './support/db.js';
import { startService, type TestService } from './support/service.js';
import { waitFor } from './support/env.js';

for (const dialect of testDialects()) describe(`POST /api/webhooks [${dialect}]`, () => {
  let svc: TestService;
  before(async () => {
    svc = await startService({ dialect, maxBodyBytes: 64 * 1024 });
  });
  after(() => svc.close());

  const inbox = (id: string) => svc.sync.database.db.selectFrom('clerk_webhook_events').selectAll().where('svix_id', '=', id).executeTakeFirst();
  const count = async () => Number((await svc.sync.database.db.selectFrom('clerk_webhook_events').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

  it('stores a verified event before answering 200 {"received":true}', async () => {
    const event = eventFixture('user.created');
    const res = await svc.send(event);
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { received: true });
    const row = await inbox(res.id);
    assert.ok(row, 'the event is in the inbox when the answer arrives');
    assert.equal(row.type, 'user.created');
    assert.equal(row.entity_id, event.data.id);
    assert.equal(row.instance_id, event.instance_id ?? null);
    assert.equal(row.body, JSON.stringify(event), 'raw body kept byte for byte');
    assert.equal(JSON.parse(row.headers)['svix-id'], res.id);
  });

  it('keeps the raw bytes exactly, whitespace and key order included', async () => {
    const raw = `{ "type":"user.updated",  "object":"event", "data": {"id":"user_raw1", "updated_at": 5}, "timestamp": 1716883200000 }\n`;
    const res = await svc.send(raw);
    assert.equal(res.status, 200);
    assert.equal((await inbox(res.id))?.body, raw);
  });

  it('answers a duplicate svix-id with 200 and changes nothing', async () => {
    const event = eventFixture('organization.created');
    const first = await svc.send(event);
    const before = await count();
    const rowBefore = await inbox(first.id);
    const again = await svc.send(event, { id: first.id });
    assert.equal(again.status, 200);
    assert.deepEqual(again.body, { received: true, duplicate: true });
    assert.equal(await count(), before);
    const rowAfter = await inbox(first.id);
    assert.equal(rowAfter?.received_at, rowBefore?.received_at);
  });

  it('stores an event type outside the catalog as skipped and never retries it', async () => {
    const res = await svc.send({ type: 'brand.new_event', object: 'event', data: { id: 'x_1' }, timestamp: Date.now() });
    assert.equal(res.status, 200);
    const row = await waitFor(async () => {
      const r = await inbox(res.id);
      return r?.status === 'skipped' && r;
    });
    assert.equal(row.attempts, 0);
  });

  it('400 missing_headers when svix headers are absent', async () => {
    const before = await count();
    const res = await fetch(svc.url, { method: 'POST', body: JSON.stringify(eventFixture('user.created')) });
    assert.equal(res.status, 400);
    const body = await res.json();
    assert.equal(body.error.code, 'missing_headers');
    assert.match(body.error.message, /svix-id|svix-signature|header/i);
    assert.equal(await count(), before);
  });

  it('400 invalid_headers for a malformed timestamp', async () => {
    const body = JSON.stringify(eventFixture('user.created'));
    const signed = signWebhook(body, svc.secret);
    const res = await fetch(svc.url, { method: 'POST', headers: { ...signed.headers, 'svix-timestamp': 'yesterday' }, body });
    assert.equal(res.status, 400);
    assert.equal((await res.json()).error.code, 'invalid_headers');
  });

  it('400 invalid_json for a correctly signed body that is not JSON, and for invalid UTF-8', async () => {
    const before = await count();
    const res = await svc.send('this is not json');
    assert.equal(res.status, 400);
    assert.equal(res.body.error.code, 'invalid_json');
    const bad = Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]);
    const signed = signWebhook(bad, svc.secret);
    const res2 = await fetch(svc.url, { method: 'POST', headers: signed.headers, body: bad });
    assert.equal(res2.status, 400);
    assert.equal((await res2.json()).error.code, 'invalid_json');
    assert.equal(await count(), before);
  });

  it('400 invalid_event for JSON that is not a Clerk event', async () => {
    const res = await svc.send({ hello: 'world' });
    assert.equal(res.status, 400);
    assert.equal(res.body.error.code, 'invalid_event');
  });

  it('401 invalid_signature for a tampered body, explaining re-serialization', async () => {
    const event = eventFixture('user.created');
    const body = JSON.stringify(event);
    const signed = signWebhook(body, svc.secret);
    const res = await fetch(svc.url, { method: 'POST', headers: signed.headers, body: JSON.stringify(event, null, 2) });
    assert.equal(res.status, 401);
    const err = (await res.json()).error;
    assert.equal(err.code, 'invalid_signature');
    assert.match(err.message, /re-?serializ/i);
    assert.equal(await inbox(signed.id), undefined);
  });

  it('401 for a signature made with another secret', async () => {
    const body = JSON.stringify(eventFixture('user.created'));
    const signed = signWebhook(body, 'whsec_' + Buffer.alloc(24, 7).toString('base64'));
    const res = await fetch(svc.url, { method: 'POST', headers: signed.headers, body });
    assert.equal(res.status, 401);
    assert.equal((await res.json()).error.code, 'invalid_signature');
  });

  it('401 timestamp_too_old / timestamp_too_new outside the 5-minute tolerance', async () => {
    // 302 s, not 301: `now` is floored to the second and the server reads its clock a moment later,
    // so at a second boundary a 301 s lead could be measured as exactly 300 s (allowed).
    const now = Math.floor(Date.now() / 1000);
    const old = await svc.send(eventFixture('user.created'), { timestamp: now - 302 });
    assert.equal(old.status, 401);
    assert.equal(old.body.error.code, 'timestamp_too_old');
    const future = await svc.send(eventFixture('user.created'), { timestamp: now + 302 });
    assert.equal(future.status, 401);
    assert.equal(future.body.error.code, 'timestamp_too_new');
  });

  it('413 for a body over the limit, declared or streamed, and nothing stored', async () => {
    const before = await count();
    const big = JSON.stringify({ type: 'user.created', object: 'event', data: { id: 'user_big', pad: 'x'.repeat(70 * 1024) } });
    const res = await svc.send(big);
    assert.equal(res.status, 413);
    assert.equal(res.body.error.code, 'payload_too_large');
    // Chunked (no content-length): the limit is enforced while streaming.
    const signed = signWebhook(big, svc.secret);
    const stream = new ReadableStream({
      start(c) {
        for (let i = 0; i < big.length; i += 8192) c.enqueue(new TextEncoder().encode(big.slice(i, i + 8192)));
        c.close();
      },
    });
    const res2 = await fetch(svc.url, { method: 'POST', headers: signed.headers, body: stream, duplex: 'half' } as RequestInit);
    assert.equal(res2.status, 413);
    assert.equal(await count(), before);
  });

  it('405 with Allow: POST for other methods on the webhook path', async () => {
    for (const method of ['GET', 'PUT', 'DELETE']) {
      const res = await fetch(svc.url, { method });
      assert.equal(res.status, 405, method);
      assert.equal(res.headers.get('allow'), 'POST');
      assert.equal((await res.json()).error.code, 'method_not_allowed');
    }
  });

  it('404 elsewhere, 200 on /healthz', async () => {
    const base = svc.url.replace('/api/webhooks', '');
    assert.equal((await fetch(`${base}/nope`)).status, 404);
    const health = await fetch(`${base}/healthz`);
    assert.equal(health.status, 200);
    assert.deepEqual(await health.json(), { status: 'ok' });
  });
});

for (const dialect of testDialects()) describe(`store failures [${dialect}]`, () => {
  it('503 store_unavailable with Retry-After when the inbox cannot commit, and the process stays up', async () => {
    const svc = await startService({ dialect });
    try {
      // A trigger that aborts every insert into the inbox: the database refuses the write.
      const { sql } = await import('kysely');
      const db = svc.sync.database.db;
      if (dialect === 'sqlite') {
        await sql`create trigger refuse_inbox before insert on clerk_webhook_events begin select raise(abort, 'disk I/O error (simulated)'); end`.execute(db);
      } else {
        await sql`create function refuse_inbox() returns trigger language plpgsql as $$ begin raise exception 'could not extend file (simulated)'; end $$`.execute(db);
        await sql`create trigger refuse_inbox before insert on clerk_webhook_events for each row execute function refuse_inbox()`.execute(db);
      }
      const res = await svc.send(eventFixture('user.created'));
      assert.equal(res.status, 503);
      assert.equal(res.headers.get('retry-after'), '5');
      assert.equal(res.body.error.code, 'store_unavailable');
      await sql.raw(dialect === 'sqlite' ? 'drop trigger refuse_inbox' : 'drop trigger refuse_inbox on clerk_webhook_events').execute(db);
      const ok = await svc.send(eventFixture('user.created'));
      assert.equal(ok.status, 200);
    } finally {
      await svc.close();
    }
  });
});
