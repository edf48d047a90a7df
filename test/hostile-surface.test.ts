/**
 * The HTTP and CLI surface against a hostile sender: deep payloads stay inspectable, /metrics does
 * not grow with junk types, the Host header cannot pick a route, bodies are not buffered before
 * their headers pass, a reused svix-id with another body is noticed, stored text cannot drive a
 * terminal, and weak admin tokens are refused at start.
 */
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { CUT_MARKER } from '../src/events/content.js';
import { eventFixture } from '../src/events/fixtures.js';
import { signWebhook } from '../src/verify/index.js';
import { ADMIN_TOKEN, startAdminService, type AdminService } from './support/admin.js';
import { runCli } from './support/cli.js';
import { freshDatabaseUrl, testDialects } from './support/db.js';
import { newSecret, waitFor } from './support/env.js';
import { startService } from './support/service.js';

/** A GET with a Host header of our choosing (fetch would not let us set it). */
function getWithHost(origin: string, path: string, host: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(origin);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ hostname, port, path, method: 'GET', headers: { host, ...headers } }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Nested `{"level":...}` as text (JSON.stringify overflows the stack past ~4,000 levels). */
const nestedJson = (depth: number) => `${'{"level":'.repeat(depth)}"bottom"${'}'.repeat(depth)}`;

for (const dialect of testDialects()) {
  describe(`hostile senders against serve [${dialect}]`, () => {
    let svc: AdminService;
    before(async () => {
      svc = await startAdminService({ dialect });
    });
    after(() => svc.close());

    it('a payload nested 5,000 levels is applied, and the admin API, CLI and dashboard show it cut where it nests too deep', async () => {
      const event = eventFixture('user.created') as unknown as { data: Record<string, unknown> };
      event.data.unsafe_metadata = 'DEEP';
      const body = JSON.stringify(event).replace('"unsafe_metadata":"DEEP"', `"unsafe_metadata":${nestedJson(5_000)}`);
      const sent = await svc.send(body);
      assert.equal(sent.status, 200);
      await svc.waitForStatus(sent.id, 'done');
      const api = await svc.api(`/api/admin/events/${sent.id}`);
      assert.equal(api.status, 200);
      assert.ok(JSON.stringify(api.body).includes(CUT_MARKER), 'the payload shows where it was cut');
      const user = await svc.sync.database.db.selectFrom('clerk_users').select('unsafe_metadata').where('id', '=', event.data.id as string).executeTakeFirst();
      assert.ok(JSON.stringify(user?.unsafe_metadata).includes(CUT_MARKER), 'the synced row keeps 100 levels and the marker');
      const show = await runCli(['events', 'show', sent.id, '--remote', svc.origin], { CLERK_SYNC_ADMIN_TOKEN: ADMIN_TOKEN });
      assert.equal(show.code, 0, show.stderr);
      assert.ok(show.stdout.includes(CUT_MARKER));
    });

    it('/metrics labels only catalog types: 200 events with 20 KB made-up types are one "other" series', async () => {
      for (let i = 0; i < 200; i++) {
        const r = await svc.send({ type: `junk.${i}${'t'.repeat(20_000)}`, object: 'event', data: { id: `x_${i}` }, timestamp: Date.now() });
        assert.equal(r.status, 200);
      }
      const res = await fetch(`${svc.origin}/metrics`);
      const text = await res.text();
      assert.ok(text.length < 20_000, `${text.length} bytes`);
      assert.match(text, /clerk_sync_events_received_total\{type="other"\} 200/);
      assert.doesNotMatch(text, /junk\./);
    });

    it('routes by the request path only: a Host header carrying a path is refused', async () => {
      const login = await getWithHost(svc.origin, '/healthz', 'x/dashboard/login?');
      assert.equal(login.status, 400);
      assert.equal(JSON.parse(login.body).error.code, 'invalid_host');
      const list = await getWithHost(svc.origin, '/healthz', 'x/api/admin/events?', { authorization: `Bearer ${ADMIN_TOKEN}` });
      assert.equal(list.status, 400);
      assert.doesNotMatch(list.body, /svix_id/);
      const fine = await getWithHost(svc.origin, '/healthz', 'sync.example.com:8443');
      assert.equal(fine.status, 200);
      const ipv6 = await getWithHost(svc.origin, '/healthz', '[::1]:8080');
      assert.equal(ipv6.status, 200);
    });

    it('an admin API POST without credentials is refused before its body is read', async () => {
      const { hostname, port } = new URL(svc.origin);
      const answer = await new Promise<string>((resolve) => {
        const socket = connect(Number(port), hostname, () => socket.write(`POST /api/admin/events/x/replay HTTP/1.1\r\nHost: ${hostname}\r\nContent-Type: application/json\r\nContent-Length: 60000\r\n\r\n{`));
        let data = '';
        socket.on('data', (d) => (data += d));
        socket.on('close', () => resolve(data));
        setTimeout(() => socket.destroy(), 3000);
      });
      assert.match(answer, /^HTTP\/1\.1 401 /, answer.slice(0, 100));
      assert.match(answer, /connection: close/i);
    });

    it('a malformed percent-escape in an admin path is a 400, not a 500', async () => {
      const r = await svc.api('/api/admin/events/%E0%A4%A');
      assert.equal(r.status, 400);
      assert.match(r.body.error.message, /malformed percent-escape/);
    });

    it('a reused svix-id with a different body: the first is kept, the second answered as a duplicate, logged and counted', async () => {
      const first = eventFixture('user.created');
      const id = `msg_reused_${dialect}`;
      assert.equal((await svc.send(first, { id })).status, 200);
      const second = eventFixture('user.created');
      const again = await svc.send(second, { id });
      assert.deepEqual(again.body, { received: true, duplicate: true });
      const retry = await svc.send(first, { id });
      assert.deepEqual(retry.body, { received: true, duplicate: true });
      const row = await svc.sync.database.db.selectFrom('clerk_webhook_events').select('body').where('svix_id', '=', id).executeTakeFirstOrThrow();
      assert.equal(row.body, JSON.stringify(first), 'the first body stays');
      const metrics = await (await fetch(`${svc.origin}/metrics`)).text();
      assert.match(metrics, /^clerk_sync_conflicting_duplicates_total 1$/m, 'the different body counted once, the true retry not');
    });

    it('events list and show print stored text with control characters escaped', async () => {
      const sent = await svc.send({ type: 'x.\u001b[2J\u001b]0;pwned\u0007', object: 'event', data: { id: 'id_\u001b[31mred', note: 'c1 \u009b2J bidi \u202e' }, timestamp: Date.now() });
      assert.equal(sent.status, 200);
      const list = await runCli(['events', 'list', '--remote', svc.origin, '--type', 'x.\u001b[2J\u001b]0;pwned\u0007'], { CLERK_SYNC_ADMIN_TOKEN: ADMIN_TOKEN });
      const show = await runCli(['events', 'show', sent.id, '--remote', svc.origin], { CLERK_SYNC_ADMIN_TOKEN: ADMIN_TOKEN });
      const json = await runCli(['events', 'show', sent.id, '--remote', svc.origin, '--json'], { CLERK_SYNC_ADMIN_TOKEN: ADMIN_TOKEN });
      for (const out of [list, show, json]) {
        assert.equal(out.code, 0, out.stderr);
        assert.doesNotMatch(out.stdout, /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e]/, 'no raw control character reaches the terminal');
        assert.ok(out.stdout.includes('\\u001b[2J'), out.stdout);
      }
      assert.equal(JSON.parse(json.stdout).body.data.note, 'c1 \u009b2J bidi \u202e', 'the JSON output still parses to the stored values');
    });
  });

  describe(`bodies and headers [${dialect}]`, () => {
    it('requests without valid svix headers are refused before their body is read; bodies in flight are capped', async () => {
      const svc = await startService({ dialect, maxInFlightBodyBytes: 2 * 1024 * 1024, worker: false });
      try {
        const { hostname, port } = new URL(svc.url);
        // A declared 1 MiB body that never comes, without svix headers: answered at once.
        const unsigned = await new Promise<string>((resolve) => {
          const socket = connect(Number(port), hostname, () => socket.write(`POST /api/webhooks HTTP/1.1\r\nHost: ${hostname}\r\nContent-Type: application/json\r\nContent-Length: 1048576\r\n\r\n{"a":`));
          let data = '';
          socket.on('data', (d) => (data += d));
          socket.on('close', () => resolve(data));
          setTimeout(() => socket.destroy(), 3000);
        });
        assert.match(unsigned, /^HTTP\/1\.1 400 /);
        assert.match(unsigned, /missing_headers/);

        // Well-formed headers (the signature cannot be checked before the body): bodies are read,
        // within the budget. Two stalled 900 KB uploads hold 1.8 MB; the third is refused.
        const headers = signWebhook('{}', svc.secret).headers;
        const stalled = (bytes: number) => {
          const socket = connect(Number(port), hostname);
          const answer = new Promise<string>((resolve) => {
            let data = '';
            socket.on('data', (d) => (data += d));
            socket.on('close', () => resolve(data));
          });
          socket.write(`POST /api/webhooks HTTP/1.1\r\nHost: ${hostname}\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\nContent-Length: 1000000\r\n\r\n`);
          socket.write(Buffer.alloc(bytes, 0x20));
          return { socket, answer };
        };
        const a = stalled(900_000);
        const b = stalled(900_000);
        await new Promise((r) => setTimeout(r, 300));
        const c = stalled(900_000);
        const refused = await Promise.race([c.answer, new Promise<string>((r) => setTimeout(() => r('no answer'), 3000))]);
        assert.match(refused, /^HTTP\/1\.1 503 /, refused.slice(0, 200));
        assert.match(refused, /"code":"busy"/);
        a.socket.destroy();
        b.socket.destroy();
        c.socket.destroy();
        // Given back once those connections are gone: a real delivery goes through.
        await waitFor(async () => (await svc.send(eventFixture('user.created'))).status === 200, { what: 'the budget released' });
      } finally {
        await svc.close();
      }
    });
  });
}

describe('weak admin tokens at start', () => {
  it('serve refuses 16 × "a" as CLERK_SYNC_ADMIN_TOKEN, saying how to make one (exit 2)', async () => {
    const r = await runCli(['serve', '--port', '0', '--db', await freshDatabaseUrl('sqlite')], { CLERK_WEBHOOK_SIGNING_SECRET: newSecret(), CLERK_SYNC_ADMIN_TOKEN: 'a'.repeat(16) }, 20_000);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /CLERK_SYNC_ADMIN_TOKEN is not random enough.*openssl rand -hex 32/);
  });
});
