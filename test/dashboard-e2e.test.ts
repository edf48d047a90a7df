import assert from 'node:assert/strict';
import { mkdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { eventFixture } from '../src/events/fixtures.js';
import { emptyCounts, type ReconcileCounts } from '../src/reconcile/counts.js';
import { finishRun, startRun } from '../src/reconcile/runs.js';
import { ADMIN_TOKEN, startAdminService, type AdminService } from './support/admin.js';
import { testTargets } from './support/db.js';
import { CAPPED_NOTE, HOSTILE_ERROR, seedReconcileRuns } from './support/reconcile-runs.js';
import { tempDir } from './support/env.js';
import { executable, requireForFile } from './support/prerequisites.js';
import { recountInbox } from '../src/store/migrations/010-inbox-rollups.js';

/**
 * The dashboard in real headless Chromium (Debian's `chromium` package) against the real service:
 * log in, watch signed deliveries appear live, open one, replay a dead one until it is done.
 * The SQLite run also takes screenshots of the main pages: into a temporary directory, or, with
 * UPDATE_SCREENSHOTS=1, into docs/img/ where the README shows them.
 */

const CHROMIUM = process.env.CLERK_SYNC_CHROMIUM ?? '/usr/bin/chromium';
requireForFile('test/dashboard-e2e.test.ts (the dashboard in a real browser)', executable(CHROMIUM, 'Chromium', 'apt-get install chromium, or set CLERK_SYNC_CHROMIUM to a Chromium or Chrome binary'));
const IMG_DIR = process.env.UPDATE_SCREENSHOTS ? fileURLToPath(new URL('../docs/img/', import.meta.url)) : `${tempDir()}/`;
const DESKTOP = { width: 1280, height: 860 };
const PHONE = { width: 390, height: 844 };

let browser: Browser;
before(async () => {
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    timeout: 60_000,
  });
});
after(() => browser?.close());

async function newPage(viewport = DESKTOP): Promise<Page> {
  const context = await browser.newContext({ viewport, deviceScaleFactor: 1, reducedMotion: 'reduce' });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  page.on('pageerror', (e) => {
    throw new Error(`dashboard script error: ${e.message}`);
  });
  return page;
}

async function logIn(page: Page, origin: string, path = '/dashboard'): Promise<void> {
  const res = await page.goto(`${origin}${path}`);
  assert.equal(res?.status(), 401, 'pages without a session answer with the login form');
  await page.fill('#token', ADMIN_TOKEN);
  await Promise.all([page.waitForURL(`${origin}${path}`), page.click('button[type=submit]')]);
}

async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(IMG_DIR, { recursive: true });
  await page.waitForTimeout(250);
  await page.screenshot({ path: `${IMG_DIR}${name}.png`, fullPage: false });
}

for (const [index, dialect] of testTargets().entries()) {
  const screenshots = index === 0;

  describe(`dashboard without CLERK_SYNC_ADMIN_TOKEN [${dialect}]`, () => {
    let svc: AdminService;
    before(async () => {
      svc = await startAdminService({ dialect, adminToken: null });
    });
    after(() => svc.close());

    it('refuses every page and shows how to turn it on', { timeout: 60_000 }, async () => {
      const page = await newPage();
      for (const path of ['/dashboard', '/dashboard/events', '/dashboard/login']) {
        const res = await page.goto(`${svc.origin}${path}`);
        assert.equal(res?.status(), 404, path);
        assert.match(await page.textContent('main') ?? '', /turned off\. Set CLERK_SYNC_ADMIN_TOKEN/);
        assert.equal(await page.locator('#token').count(), 0, 'no login form');
      }
      await page.context().close();
    });
  });

  describe(`dashboard in Chromium [${dialect}]`, () => {
    let svc: AdminService;
    let page: Page;
    let deadId: string;
    let userId: string;
    let cappedRunId: number | undefined;

    before(async () => {
      svc = await startAdminService({ dialect });
      page = await newPage();
    });
    after(async () => {
      await page?.context().close();
      await svc?.close();
    });

    it('logs in through the form and lands on the page it asked for', { timeout: 60_000 }, async () => {
      await logIn(page, svc.origin, '/dashboard/events');
      // The table's head is drawn before the first page of events arrives: wait for its body.
      await page.waitForSelector('table.events tbody tr');
      assert.match(await page.textContent('table.events') ?? '', /No events yet/);
      const cookies = await page.context().cookies();
      const session = cookies.find((c) => c.name === 'clerk_sync_session');
      assert.ok(session);
      assert.equal(session.httpOnly, true);
      assert.equal(session.sameSite, 'Strict');
      assert.equal(await page.evaluate(() => document.cookie), '', 'the session cookie is invisible to scripts');
    });

    it('says how to start a reconcile while none has run, and the overview shows no reconcile card', { timeout: 60_000 }, async () => {
      const fresh = await newPage();
      try {
        await logIn(fresh, svc.origin, '/dashboard/reconcile');
        await fresh.waitForSelector('.empty-card');
        assert.equal(await fresh.getAttribute('.topbar nav a[data-section=reconcile]', 'aria-current'), 'page');
        const text = (await fresh.textContent('.empty-card')) ?? '';
        assert.match(text, /No reconcile has run yet/);
        assert.match(text, /Run one now with clerk-sync reconcile, or let the server run one every day with clerk-sync serve --reconcile-every 24h\./);
        assert.equal(await fresh.locator('table.runs').count(), 0);
        await fresh.click('nav a[data-section=overview]');
        await fresh.waitForSelector('.cards .card');
        assert.equal(await fresh.locator('a.reconcile-card').count(), 0);
        assert.doesNotMatch((await fresh.textContent('main')) ?? '', /Last reconcile/);
      } finally {
        await fresh.context().close();
      }
    });

    it('shows signed deliveries as they arrive, without a reload', { timeout: 60_000 }, async () => {
      await page.evaluate(() => ((window as any).__samePage = true));
      const user = eventFixture('user.created');
      userId = user.data.id;
      const first = await svc.send(user);
      const org = await svc.send(eventFixture('organization.created'));
      assert.equal(first.status, 200);
      await page.waitForSelector(`tr[data-id="${first.id}"][data-status="done"]`);
      await page.waitForSelector(`tr[data-id="${org.id}"]`);
      await svc.breakUsersTable();
      deadId = (await svc.send(eventFixture('user.created'))).id;
      await page.waitForSelector(`tr[data-id="${deadId}"][data-status="dead"]`);
      await svc.healUsersTable();
      assert.equal(await page.evaluate(() => (window as any).__samePage), true, 'no navigation happened');
      const rows = await page.locator('table.events tbody tr').count();
      assert.equal(rows, 3);
    });

    it('filters by status and searches by entity id', { timeout: 60_000 }, async () => {
      await page.check('label.chip.st-dead input');
      await page.waitForURL(/status=dead/);
      await page.waitForFunction(() => document.querySelectorAll('table.events tbody tr[data-id]').length === 1);
      assert.equal(await page.getAttribute('table.events tbody tr[data-id]', 'data-id'), deadId);
      await page.uncheck('label.chip.st-dead input');
      await page.fill('input[name=q]', userId);
      await page.press('input[name=q]', 'Enter');
      await page.waitForURL(new RegExp(`q=${userId}`));
      await page.waitForFunction(() => document.querySelectorAll('table.events tbody tr[data-id]').length === 1);
      await page.fill('input[name=q]', '');
      await page.press('input[name=q]', 'Enter');
      await page.waitForFunction(() => document.querySelectorAll('table.events tbody tr[data-id]').length === 3);
    });

    it('opens an event: headers, payload, attempts, and the rows it concerns', { timeout: 60_000 }, async () => {
      await page.click(`tr[data-id="${deadId}"] td.type a`);
      await page.waitForURL(`${svc.origin}/dashboard/events/${deadId}`);
      await page.waitForSelector('h1 .badge.st-dead');
      const text = (await page.textContent('main')) ?? '';
      assert.match(text, /svix-signature/);
      assert.match(text, /"type": "user\.created"/, 'pretty-printed payload');
      assert.match(text, /clerk_users/, 'the last error names the failing table');
      assert.equal(await page.locator('tr[data-outcome="dead"]').count(), 1);
    });

    it('replays the dead event after confirming, and shows it turn done', { timeout: 60_000 }, async () => {
      await page.click('button:has-text("Replay")');
      await page.waitForSelector('dialog#confirm[open]');
      await page.click('#confirm-ok');
      await page.waitForSelector('h1 .badge.st-done', { timeout: 20_000 });
      assert.equal(await page.locator('tr[data-outcome="dead"]').count(), 1, 'the failed attempt is kept');
      assert.equal(await page.locator('tr[data-outcome="done"]').count(), 1);
      await page.waitForSelector('.related-row h3:has-text("clerk_users")');
      const actions = await svc.api('/api/admin/actions');
      assert.ok(actions.body.actions.some((a: any) => a.action === 'replay' && a.target === deadId && a.actor === 'dashboard'), 'recorded as a dashboard action');
    });

    it('on a 390 px phone: every section link is on screen, clear of Log out, and attempt errors are not cut off', { timeout: 60_000 }, async () => {
      const phone = await newPage(PHONE);
      try {
        await logIn(phone, svc.origin, `/dashboard/events/${deadId}`);
        await phone.waitForSelector('tr[data-outcome="dead"] td.error-cell');
        const logout = (await phone.locator('.logout button').boundingBox())!;
        for (const section of ['Overview', 'Events', 'Entities', 'Reconcile', 'Activity']) {
          const box = (await phone.locator(`.topbar nav a:has-text("${section}")`).boundingBox())!;
          assert.ok(box.x >= 0 && box.x + box.width <= PHONE.width, `${section} is on screen (x ${box.x}, width ${box.width})`);
          const overlaps = box.x < logout.x + logout.width && logout.x < box.x + box.width && box.y < logout.y + logout.height && logout.y < box.y + box.height;
          assert.ok(!overlaps, `${section} is not under Log out`);
        }
        const error = (await phone.locator('tr[data-outcome="dead"] td.error-cell').boundingBox())!;
        assert.ok(error.x >= 0 && error.x + error.width <= PHONE.width, `the error cell fits the screen (x ${error.x}, width ${error.width})`);
        assert.match((await phone.textContent('tr[data-outcome="dead"] td.error-cell')) ?? '', /clerk_users/);
      } finally {
        await phone.context().close();
      }
    });

    it('replays every event matching a filter, with progress', { timeout: 60_000 }, async () => {
      await svc.breakUsersTable();
      const ids = [];
      for (let i = 0; i < 3; i++) ids.push((await svc.send(eventFixture('user.created'))).id);
      for (const id of ids) await svc.waitForStatus(id, 'dead');
      await svc.healUsersTable();
      await page.goto(`${svc.origin}/dashboard/events?status=dead`);
      await page.waitForFunction(() => document.querySelectorAll('table.events tbody tr[data-id]').length === 3);
      await page.click('button:has-text("Replay matching")');
      await page.waitForSelector('dialog#confirm[open]');
      assert.match(await page.textContent('#confirm-text') ?? '', /Re-queue 3 events \(status dead\)/);
      await page.click('#confirm-ok');
      await page.waitForSelector('.progress-card:has-text("Done: 3 events re-queued")');
      for (const id of ids) await svc.waitForStatus(id, 'done');
      await page.waitForFunction(() => document.querySelectorAll('table.events tbody tr[data-id]').length === 0, undefined, { timeout: 10_000 });
    });

    it('browses entities and an entity’s event history', { timeout: 60_000 }, async () => {
      await page.click('nav a[data-section=entities]');
      await page.waitForSelector(`a[href$="/entities/users/${userId}"]`);
      await page.click(`a[href$="/entities/users/${userId}"]`);
      await page.waitForSelector('.timeline li');
      assert.match(await page.textContent('.timeline') ?? '', /user\.created/);
    });

    it('draws the overview charts', { timeout: 60_000 }, async () => {
      await page.click('nav a[data-section=overview]');
      await page.waitForSelector('svg.chart path.line');
      assert.equal(await page.locator('.chart-card').count(), 4);
      assert.match(await page.textContent('.cards') ?? '', /Received/);
    });

    it('shows the reconcile runs, the newest run by resource, a capped run’s note, and the overview card', { timeout: 60_000 }, async () => {
      const { ids } = await seedReconcileRuns(svc.sync.database);
      cappedRunId = ids.capped;
      await page.click('nav a[data-section=overview]');
      await page.waitForSelector('a.reconcile-card');
      const cardText = (await page.textContent('a.reconcile-card')) ?? '';
      assert.match(cardText, /^Last reconcile: \d+ s ago, failed · dry run, no drift/, 'the newest run: a dry run that failed seconds ago');
      assert.equal(await page.getAttribute('a.reconcile-card .badge', 'class'), 'badge rc-failed');

      await page.click('a.reconcile-card');
      await page.waitForURL(`${svc.origin}/dashboard/reconcile`);
      await page.waitForSelector('table.runs tbody tr[data-id]');
      const rows = await page.$$eval('table.runs tbody tr', (trs) => trs.map((tr) => [Number((tr as HTMLElement).dataset.id), (tr as HTMLElement).dataset.status, tr.querySelector('.badge')!.className, [...tr.querySelectorAll('td')].map((td) => td.textContent!.trim())]));
      assert.deepEqual(rows.map(([id, status, badge]) => [id, status, badge]), [
        [ids.newestDryRun, 'failed', 'badge rc-failed'],
        [ids.running, 'running', 'badge rc-running'],
        [ids.interrupted, 'interrupted', 'badge rc-interrupted'],
        [ids.capped, 'capped', 'badge rc-capped'],
        [ids.dryRun, 'succeeded', 'badge rc-succeeded'],
        [ids.ok, 'succeeded', 'badge rc-succeeded'],
      ]);
      const cells = (id: number) => rows.find(([rowId]) => rowId === id)![3] as string[];
      // Started, trigger, mode, status, duration, drift, deleted.
      assert.deepEqual(cells(ids.ok).slice(1, 5), ['cli', 'apply', 'succeeded', '2 min']);
      assert.match(cells(ids.ok)[5]!, /^8\s*3 newer in Clerk · 3 missing locally · 1 gone from Clerk · 1 local newer$/);
      assert.equal(cells(ids.ok)[6], '1');
      assert.deepEqual(cells(ids.capped).slice(1, 4), ['schedule', 'apply', 'capped']);
      assert.deepEqual(cells(ids.dryRun).slice(2, 4), ['dry-run', 'succeeded']);
      assert.equal(cells(ids.interrupted)[4], '1 min', 'an interrupted run lasted until its last heartbeat');
      assert.match((await page.textContent('.page-head')) ?? '', /Running since \d+ s ago/);

      // The newest run by resource, with its error shown as text.
      const detail = page.locator(`section[data-run="${ids.newestDryRun}"]`);
      assert.match((await detail.textContent()) ?? '', /Newest run\s*failed/);
      assert.equal(await detail.locator('.error').textContent(), `Error: ${HOSTILE_ERROR}`);
      assert.equal(await detail.locator('.error img').count(), 0, 'the error is text, not markup');
      assert.notEqual(await page.title(), 'pwned');

      // A capped run: pick it, and its note says why nothing was deleted.
      await page.click(`table.runs tr[data-id="${ids.capped}"] td.when a`);
      await page.waitForURL(new RegExp(`/dashboard/reconcile\\?run=${ids.capped}$`));
      await page.waitForSelector(`section[data-run="${ids.capped}"] table.resources`);
      assert.equal(await page.getAttribute(`table.runs tr[data-id="${ids.capped}"]`, 'aria-current'), 'true');
      const resources = await page.$$eval(`section[data-run="${ids.capped}"] table.resources tbody tr`, (trs) => trs.map((tr) => [(tr as HTMLElement).dataset.resource, tr.className, [...tr.querySelectorAll('th, td')].map((c) => c.textContent!.trim())]));
      assert.deepEqual(resources, [
        ['users', 'capped', ['users', '12', '12', '0', '0', '40', '0', '0', CAPPED_NOTE]],
        ['organizations', '', ['organizations', '8', '7', '1', '0', '0', '0', '0', '–']],
      ]);
      assert.deepEqual(await page.$$eval(`section[data-run="${ids.capped}"] table.resources thead th`, (ths) => ths.map((th) => th.textContent)), ['Resource', 'Listed', 'In sync', 'Newer in Clerk', 'Missing locally', 'Gone from Clerk', 'Local newer', 'Deleted', 'Note']);
      assert.match((await page.textContent(`section[data-run="${ids.capped}"] .error`)) ?? '', /safety cap/);
    });

    if (screenshots) {
      it('saves screenshots of the main pages (desktop and phone)', { timeout: 120_000 }, async () => {
        // A day of history so the charts have a shape: rows as the worker would have left them.
        await seedHistory(svc);
        for (let i = 0; i < 6; i++) await svc.send(eventFixture(i % 2 ? 'organization.created' : 'user.updated'));
        // The overview's reconcile line shows the newest run: a scheduled one that repaired a little.
        const scheduled = await startRun(svc.sync.database, { mode: 'apply', trigger: 'schedule', resources: ['users', 'organizations', 'memberships'] }, Date.now() - 95_000);
        const done = (c: Partial<ReconcileCounts>): ReconcileCounts => ({ ...emptyCounts(), complete: true, ...c });
        await finishRun(svc.sync.database, scheduled, { status: 'succeeded', instanceId: null, error: null, resources: { users: done({ listed: 1204, in_sync: 1201, newer_in_clerk: 2, missing_locally: 1 }), organizations: done({ listed: 31, in_sync: 31 }), memberships: done({ listed: 1388, in_sync: 1388 }) } });
        await page.goto(`${svc.origin}/dashboard`);
        await page.waitForSelector('svg.chart path.line');
        await shot(page, 'overview');
        await page.goto(`${svc.origin}/dashboard/events`);
        await page.waitForSelector('table.events tbody tr[data-id]');
        await shot(page, 'events');
        await page.goto(`${svc.origin}/dashboard/events/${deadId}`);
        await page.waitForSelector('h1 .badge');
        await shot(page, 'event');
        await page.goto(`${svc.origin}/dashboard/entities/users`);
        await page.waitForSelector('tbody tr');
        await shot(page, 'entities');
        await page.goto(`${svc.origin}/dashboard/reconcile${cappedRunId ? `?run=${cappedRunId}` : ''}`);
        await page.waitForSelector('table.runs tbody tr[data-id]');
        await shot(page, 'reconcile');
        const phone = await newPage(PHONE);
        await logIn(phone, svc.origin, '/dashboard/events');
        await phone.waitForSelector('table.events tbody tr[data-id]');
        await shot(phone, 'phone-events');
        await phone.goto(`${svc.origin}/dashboard`);
        await phone.waitForSelector('svg.chart path.line');
        await shot(phone, 'phone-overview');
        await phone.context().close();
        for (const name of ['overview', 'events', 'event', 'entities', 'reconcile', 'phone-events', 'phone-overview']) {
          assert.ok(statSync(`${IMG_DIR}${name}.png`).size > 10_000, `${name}.png holds a real screenshot`);
        }
      });
    }
  });
}

/** 24 hours of processed events (a few failing, retried or dead) for the overview screenshot. */
async function seedHistory(svc: AdminService): Promise<void> {
  const db = svc.sync.database.db;
  const now = Date.now();
  const types = ['user.updated', 'session.created', 'user.created', 'organizationMembership.created', 'email.created'];
  const events = [];
  const attempts = [];
  for (let i = 0; i < 1500; i++) {
    const received = now - 24 * 3600_000 + Math.floor(((i + Math.sin(i / 40) * 30) / 1500) * 24 * 3600_000);
    const r = (i * 7919) % 100;
    const status = r === 0 ? 'dead' : 'done';
    const lag = 4 + ((i * 31) % 40) + (r < 3 ? 900 : 0);
    const svix_id = `msg_history_${String(i).padStart(5, '0')}`;
    events.push({ svix_id, type: types[i % types.length]!, status: status as 'dead' | 'done', headers: '{}', body: '{}', received_at: received, next_attempt_at: received, attempts: r < 3 ? 2 : 1, processed_at: received + lag, entity_id: null });
    if (r < 3) attempts.push({ svix_id, attempt: 1, started_at: received + 2, duration_ms: 3, outcome: 'failed' as const, error: 'connection reset' });
    attempts.push({ svix_id, attempt: r < 3 ? 2 : 1, started_at: received + lag - 2, duration_ms: 2 + (i % 5), outcome: status as 'dead' | 'done', error: status === 'dead' ? 'connection reset' : null });
  }
  for (let i = 0; i < events.length; i += 500) await db.insertInto('clerk_webhook_events').values(events.slice(i, i + 500)).execute();
  for (let i = 0; i < attempts.length; i += 500) await db.insertInto('clerk_webhook_attempts').values(attempts.slice(i, i + 500)).execute();
  await recountInbox(db); // written around clerk-sync: its counters learn of them so
}
