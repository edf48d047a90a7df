import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AdminAuth, sameSecret, type EndedSessions } from '../src/admin/auth.js';
import { createAdminHandler } from '../src/admin/handler.js';
import { LoginThrottle } from '../src/admin/login-throttle.js';
import { eventFixture } from '../src/events/fixtures.js';
import { ADMIN_TOKEN, startAdminService, type AdminService } from './support/admin.js';
import { runCli, startServe } from './support/cli.js';
import { freshDatabaseUrl, testDialects } from './support/db.js';
import { newSecret, tempDir } from './support/env.js';

/** Ended sessions kept in memory, for AdminAuth outside a running service. */
function endedInMemory(): EndedSessions {
  const ended = new Set<string>();
  return { has: async (nonce) => ended.has(nonce), add: async (s) => void ended.add(s.nonce) };
}

/** Logs in through the form; returns the Set-Cookie header and the cookie pair to send back. */
async function login(svc: AdminService, token: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${svc.origin}/dashboard/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams({ token }).toString(),
    redirect: 'manual',
  });
  const setCookie = res.headers.get('set-cookie');
  return { res, setCookie, cookie: setCookie?.split(';', 1)[0] ?? null, html: await res.text() };
}

/** The dashboard page (logged in) and the CSRF token it carries. */
async function dashboard(svc: AdminService, cookie: string) {
  const res = await fetch(`${svc.origin}/dashboard/events`, { headers: { cookie } });
  const html = await res.text();
  return { res, html, csrf: /name="clerk-sync-csrf" content="([^"]+)"/.exec(html)?.[1] ?? null };
}

for (const dialect of testDialects()) {
  describe(`admin surface with no token configured [${dialect}]`, () => {
    let svc: AdminService;
    before(async () => {
      svc = await startAdminService({ dialect, adminToken: null });
    });
    after(() => svc.close());

    it('the admin API answers 404 admin_disabled, saying how to turn it on, even with a token', async () => {
      for (const token of [null, ADMIN_TOKEN]) {
        const r = await svc.api('/api/admin/events', { token });
        assert.equal(r.status, 404);
        assert.equal(r.body.error.code, 'admin_disabled');
        assert.match(r.body.error.message, /CLERK_SYNC_ADMIN_TOKEN/);
      }
    });

    it('the dashboard pages, login and assets are refused with 404', async () => {
      for (const path of ['/dashboard', '/dashboard/events', '/dashboard/static/app.js']) {
        const res = await fetch(`${svc.origin}${path}`);
        assert.equal(res.status, 404, path);
        const text = await res.text();
        if (path !== '/dashboard/static/app.js') assert.match(text, /CLERK_SYNC_ADMIN_TOKEN/);
      }
      const r = await login(svc, ADMIN_TOKEN);
      assert.equal(r.res.status, 404);
      assert.equal(r.setCookie, null);
    });

    it('the webhook route, /healthz, /readyz and /metrics still work', async () => {
      assert.equal((await svc.send(eventFixture('user.created'))).status, 200);
      assert.equal((await fetch(`${svc.origin}/healthz`)).status, 200);
      assert.equal((await fetch(`${svc.origin}/readyz`)).status, 200);
      assert.equal((await fetch(`${svc.origin}/metrics`)).status, 200);
    });
  });

  describe(`admin surface with CLERK_SYNC_ADMIN_TOKEN set [${dialect}]`, () => {
    let svc: AdminService;
    before(async () => {
      svc = await startAdminService({ dialect });
    });
    after(() => svc.close());

    it('the API refuses a missing, wrong, or malformed token with 401 and a Bearer challenge', async () => {
      const attempts: Record<string, string>[] = [{}, { authorization: 'Bearer wrong-token-wrong-token-123' }, { authorization: `Basic ${ADMIN_TOKEN}` }, { authorization: `Bearer ${ADMIN_TOKEN}x` }];
      for (const headers of attempts) {
        const r = await svc.api('/api/admin/events', { token: null, headers });
        assert.equal(r.status, 401, JSON.stringify(headers));
        assert.equal(r.body.error.code, 'unauthorized');
        assert.match(r.headers.get('www-authenticate') ?? '', /^Bearer/);
      }
      const ok = await svc.api('/api/admin/events');
      assert.equal(ok.status, 200);
      assert.deepEqual(ok.body, { events: [], nextCursor: null });
    });

    it('the webhook route stays public (signature-checked, no admin token)', async () => {
      const sent = await svc.send(eventFixture('user.created'));
      assert.equal(sent.status, 200);
      const bad = await svc.send(eventFixture('user.created'), { secret: 'whsec_' + Buffer.from('x'.repeat(24)).toString('base64') });
      assert.equal(bad.status, 401, 'a wrong signature is still refused by the receiver');
    });

    it('dashboard pages without a session show the login form with 401, never the app', async () => {
      const res = await fetch(`${svc.origin}/dashboard/events`);
      assert.equal(res.status, 401);
      const html = await res.text();
      assert.match(html, /<form method="post" action="\/dashboard\/login"/);
      assert.doesNotMatch(html, /clerk-sync-csrf/);
      const withBearer = await fetch(`${svc.origin}/dashboard`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      assert.equal(withBearer.status, 401, 'pages need a session cookie');
    });

    it('a wrong login token is refused (401, no cookie) and recorded', async () => {
      const r = await login(svc, 'not-the-token-at-all-000');
      assert.equal(r.res.status, 401);
      assert.equal(r.setCookie, null);
      assert.match(r.html, /not the one set in CLERK_SYNC_ADMIN_TOKEN/);
      const actions = await svc.sync.database.db.selectFrom('clerk_sync_admin_actions').selectAll().where('action', '=', 'login_failed').execute();
      assert.equal(actions.length, 1);
      assert.equal(actions[0]!.remote_address?.includes('127.0.0.1'), true);
    });

    it('login sets an HttpOnly, SameSite=Strict session cookie (Secure only over https) and redirects', async () => {
      const r = await login(svc, ADMIN_TOKEN);
      assert.equal(r.res.status, 303);
      assert.equal(r.res.headers.get('location'), '/dashboard');
      assert.match(r.setCookie!, /^clerk_sync_session=v1\./);
      assert.match(r.setCookie!, /; HttpOnly/);
      assert.match(r.setCookie!, /; SameSite=Strict/);
      assert.match(r.setCookie!, /; Path=\//);
      assert.doesNotMatch(r.setCookie!, /Secure/);
      const behindTls = await login(svc, ADMIN_TOKEN, { 'x-forwarded-proto': 'https' });
      assert.match(behindTls.setCookie!, /; Secure/);
      const page = await dashboard(svc, r.cookie!);
      assert.equal(page.res.status, 200);
      assert.ok(page.csrf, 'the app page carries its CSRF token');
      assert.match(page.res.headers.get('content-security-policy') ?? '', /script-src 'self'/);
      const logins = await svc.sync.database.db.selectFrom('clerk_sync_admin_actions').selectAll().where('action', '=', 'login').execute();
      assert.ok(logins.length >= 1);
    });

    it('a session cookie reads the API; a tampered or foreign cookie does not', async () => {
      const { cookie } = await login(svc, ADMIN_TOKEN);
      assert.equal((await svc.api('/api/admin/stats', { token: null, headers: { cookie: cookie! } })).status, 200);
      const tampered = cookie!.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'));
      assert.equal((await svc.api('/api/admin/stats', { token: null, headers: { cookie: tampered } })).status, 401);
      const other = new AdminAuth('another-token-another-token-1', endedInMemory());
      const foreign = other.newSession(new Request('http://x/')).setCookie.split(';', 1)[0]!;
      assert.equal((await svc.api('/api/admin/stats', { token: null, headers: { cookie: foreign } })).status, 401, 'a cookie signed for another token');
    });

    it('state-changing requests with a cookie need the CSRF token and a same-site origin', async () => {
      const sent = await svc.send(eventFixture('user.created'));
      await svc.waitForStatus(sent.id, 'done');
      const { cookie } = await login(svc, ADMIN_TOKEN);
      const { csrf } = await dashboard(svc, cookie!);
      const replay = (headers: Record<string, string>) => svc.api(`/api/admin/events/${sent.id}/replay`, { method: 'POST', body: {}, token: null, headers: { cookie: cookie!, ...headers } });

      const noToken = await replay({});
      assert.equal(noToken.status, 403);
      assert.equal(noToken.body.error.code, 'csrf_rejected');
      assert.equal((await replay({ 'x-csrf-token': 'forged' })).status, 403);
      assert.equal((await replay({ 'x-csrf-token': csrf!, origin: 'https://evil.example' })).status, 403, 'cross-origin Origin');
      assert.equal((await replay({ 'x-csrf-token': csrf!, 'sec-fetch-site': 'cross-site' })).status, 403, 'cross-site fetch metadata');
      const ok = await replay({ 'x-csrf-token': csrf!, origin: svc.origin, 'sec-fetch-site': 'same-origin' });
      assert.equal(ok.status, 200);
      assert.equal(ok.body.event.svix_id, sent.id);

      const other = await login(svc, ADMIN_TOKEN);
      assert.equal((await replay({ 'x-csrf-token': (await dashboard(svc, other.cookie!)).csrf! })).status, 403, "another session's CSRF token");

      const bearer = await svc.api(`/api/admin/events/${sent.id}/replay`, { method: 'POST', body: {} });
      assert.equal(bearer.status, 200, 'bearer requests need no CSRF token: browsers cannot forge them');
    });

    it('a cross-site login form post is refused', async () => {
      const r = await login(svc, ADMIN_TOKEN, { origin: 'https://evil.example' });
      assert.equal(r.res.status, 403);
      assert.equal(r.setCookie, null);
    });

    it('logout clears the cookie and ends the session server-side: a copy of the cookie stops working', async () => {
      const { cookie } = await login(svc, ADMIN_TOKEN);
      const { csrf } = await dashboard(svc, cookie!);
      assert.equal((await svc.api('/api/admin/stats', { token: null, headers: { cookie: cookie! } })).status, 200);
      const res = await fetch(`${svc.origin}/dashboard/logout`, { method: 'POST', headers: { cookie: cookie!, 'content-type': 'application/x-www-form-urlencoded' }, body: `csrf=${encodeURIComponent(csrf!)}`, redirect: 'manual' });
      assert.equal(res.status, 303);
      assert.match(res.headers.get('set-cookie') ?? '', /clerk_sync_session=; .*Max-Age=0/);
      assert.equal((await svc.api('/api/admin/stats', { token: null, headers: { cookie: cookie! } })).status, 401, 'the copied cookie no longer works');
      assert.equal((await dashboard(svc, cookie!)).res.status, 401);
    });

    it('a cross-site logout is refused, with or without the cookie, and the session lives on', async () => {
      const { cookie } = await login(svc, ADMIN_TOKEN);
      const attempts: Record<string, string>[] = [{ origin: 'https://evil.example' }, { 'sec-fetch-site': 'cross-site' }, { origin: 'https://evil.example', cookie: cookie! }];
      for (const headers of attempts) {
        const res = await fetch(`${svc.origin}/dashboard/logout`, { method: 'POST', headers, redirect: 'manual' });
        assert.equal(res.status, 403, JSON.stringify(headers));
        assert.equal(res.headers.get('set-cookie'), null, 'no cookie cleared');
      }
      assert.equal((await svc.api('/api/admin/stats', { token: null, headers: { cookie: cookie! } })).status, 200);
    });
  });
}

for (const dialect of testDialects()) {
  describe(`dashboard login throttle [${dialect}]`, () => {
    it('5 failures from an address block its logins for the minute (429, Retry-After, even the right token); they are one audit row', async () => {
      const svc = await startAdminService({ dialect });
      try {
        for (let i = 0; i < 5; i++) assert.equal((await login(svc, `wrong-token-${i}-0123456789`)).res.status, 401);
        const blocked = await login(svc, ADMIN_TOKEN);
        assert.equal(blocked.res.status, 429);
        assert.equal(blocked.setCookie, null);
        assert.match(blocked.html, /Too many failed logins; try again in \d+ s/);
        const retryAfter = Number(blocked.res.headers.get('retry-after'));
        assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter}`);
        const rows = await svc.sync.database.db.selectFrom('clerk_sync_admin_actions').selectAll().where('action', '=', 'login_failed').execute();
        assert.equal(rows.length, 1, 'one row for the address and minute');
        assert.equal(rows[0]!.count, 5);
        assert.equal((await svc.api('/api/admin/stats')).status, 200, 'the API token is not throttled');
      } finally {
        await svc.close();
      }
    });
  });
}

describe('admin token rules', () => {
  it('compares secrets in constant time, whatever their lengths', () => {
    assert.equal(sameSecret('abc', 'abc'), true);
    assert.equal(sameSecret('abc', 'abcd'), false);
    assert.equal(sameSecret('', 'abc'), false);
  });

  it('refuses a token shorter than 16 characters, saying how to make one', () => {
    assert.throws(() => new AdminAuth('short', endedInMemory()), /at least 16 random characters.*openssl rand -hex 32/);
  });

  it('refuses a long token that is not random (16 × a, a repeated pair), saying how to make one', () => {
    for (const weak of ['a'.repeat(16), 'ab'.repeat(12), '1234123412341234']) {
      assert.throws(() => new AdminAuth(weak, endedInMemory()), /not random enough.*openssl rand -hex 32/, weak);
    }
    assert.doesNotThrow(() => new AdminAuth('9f86d081884c7d659a2feaa0c55ad015', endedInMemory()));
  });

  it('the login throttle: 5 failures per address and 30 in all per minute, released as they age', () => {
    const t = new LoginThrottle();
    const t0 = 1_000_000;
    for (let i = 0; i < 5; i++) {
      assert.equal(t.retryAfterMs('a', t0 + i), 0);
      t.fail('a', t0 + i);
    }
    assert.equal(t.retryAfterMs('a', t0 + 10), 60_000 - 10, 'until the first failure is a minute old');
    assert.equal(t.retryAfterMs('b', t0 + 10), 0, 'another address may try');
    for (let i = 0; i < 25; i++) t.fail(`x${i}`, t0 + 20);
    assert.equal(t.retryAfterMs('fresh', t0 + 30), 60_000 - 30, '30 failures from anywhere block everyone');
    assert.equal(t.retryAfterMs('a', t0 + 60_001), 0, 'released as its failures age out');
    assert.equal(t.retryAfterMs('fresh', t0 + 60_021), 0);
  });

  it('an expired session is refused', async () => {
    const auth = new AdminAuth(ADMIN_TOKEN, endedInMemory());
    const old = auth.newSession(new Request('http://x/'), Date.now() - 13 * 3600_000).setCookie.split(';', 1)[0]!;
    assert.equal(await auth.authenticate(new Request('http://x/', { headers: { cookie: old } })), null);
    const fresh = auth.newSession(new Request('http://x/')).setCookie.split(';', 1)[0]!;
    assert.equal((await auth.authenticate(new Request('http://x/', { headers: { cookie: fresh } })))?.kind, 'dashboard');
  });

  it('createAdminHandler reads CLERK_SYNC_ADMIN_TOKEN when no token is passed', async () => {
    const saved = process.env.CLERK_SYNC_ADMIN_TOKEN;
    const database = { db: null, dialect: 'sqlite', description: 'x' } as never;
    try {
      delete process.env.CLERK_SYNC_ADMIN_TOKEN;
      assert.equal(createAdminHandler(database).enabled, false);
      process.env.CLERK_SYNC_ADMIN_TOKEN = ADMIN_TOKEN;
      assert.equal(createAdminHandler(database).enabled, true);
      assert.equal(createAdminHandler(database, { adminToken: null }).enabled, false);
    } finally {
      if (saved === undefined) delete process.env.CLERK_SYNC_ADMIN_TOKEN;
      else process.env.CLERK_SYNC_ADMIN_TOKEN = saved;
    }
  });
});

for (const dialect of testDialects()) {
  describe(`clerk-sync serve with CLERK_SYNC_ADMIN_TOKEN [${dialect}]`, () => {
    it('serves the dashboard, its assets, the admin API, /metrics and /readyz', { timeout: 60_000 }, async () => {
      const serve = await startServe(['--db', await freshDatabaseUrl(dialect)], { CLERK_WEBHOOK_SIGNING_SECRET: newSecret(), CLERK_SYNC_ADMIN_TOKEN: ADMIN_TOKEN });
      const origin = `http://127.0.0.1:${serve.port}`;
      assert.match(serve.logs(), /"dashboard":"http:\/\/127\.0\.0\.1:\d+\/dashboard"/);
      assert.doesNotMatch(serve.logs(), new RegExp(ADMIN_TOKEN), 'the token is never logged');
      assert.equal((await fetch(`${origin}/dashboard/login`)).status, 200);
      for (const asset of ['app.js', 'app.css', 'icon.svg']) {
        const res = await fetch(`${origin}/dashboard/static/${asset}`);
        assert.equal(res.status, 200, asset);
        assert.ok((await res.text()).length > 100);
      }
      assert.equal((await fetch(`${origin}/api/admin/events`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).status, 200);
      assert.equal((await fetch(`${origin}/api/admin/events`)).status, 401);
      assert.equal((await fetch(`${origin}/metrics`)).status, 200);
      assert.equal((await fetch(`${origin}/readyz`)).status, 200);
      serve.child.kill('SIGTERM');
      assert.equal(await serve.exited, 0);
    });
  });
}

describe('clerk-sync serve with a weak CLERK_SYNC_ADMIN_TOKEN', () => {
  it('refuses to start (exit 2) and says how to make a strong one', async () => {
    const r = await runCli(['serve', '--port', '0', '--db', join(tempDir(), 'x.db')], { CLERK_WEBHOOK_SIGNING_SECRET: newSecret(), CLERK_SYNC_ADMIN_TOKEN: 'hunter2' });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /CLERK_SYNC_ADMIN_TOKEN is too short \(7 characters\); use at least 16 random characters/);
    assert.doesNotMatch(r.stderr, /hunter2/);
  });
});
