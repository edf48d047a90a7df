/**
 * The examples under examples/ as a user runs them: build clerk-sync, `npm install` each example
 * (it depends on this checkout through file:../..), `next build` the Next.js one, start each on
 * loopback, deliver signed events with `clerk-sync trigger`, and check the rows.
 * The Next.js install and build happen once per run (about 1-2 minutes on 2 cores).
 */
import assert from 'node:assert/strict';
import { spawn, execFile as execFileCb } from 'node:child_process';
import { cpSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { before, describe, it } from 'node:test';
import { openDatabase, type Database } from '../src/store/database.js';
import type { DialectName } from '../src/store/dialect.js';
import { signWebhook } from '../src/verify/index.js';
import { eventFixture } from '../src/events/fixtures.js';
import { runCli } from './support/cli.js';
import { freshDatabaseUrl, testDialects, testTargets } from './support/db.js';
import { newSecret, onFileEnd, waitFor } from './support/env.js';

const execFile = promisify(execFileCb);
const ROOT = fileURLToPath(new URL('../', import.meta.url));
const example = (name: string) => `${ROOT}examples/${name}`;
const NPM_LOCK = '/tmp/clerk-sync-npm.lock';
/** The Next.js 15 release the example is also tested against. */
const NEXT_15 = '15.5.29';

async function sh(cwd: string, command: string, args: string[], timeoutMs: number): Promise<void> {
  try {
    await execFile(command, args, { cwd, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1', NODE_OPTIONS: undefined } });
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${command} ${args.join(' ')} failed in ${cwd}: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
  }
}

/** dist/ as `npm run build` makes it, built only when a source is newer (scripts/prepare.mjs). */
const buildIfStale = () => sh(ROOT, process.execPath, ['scripts/prepare.mjs'], 180_000);

/**
 * `npm install` in an example, serialized with every other npm run on this machine. The example's
 * package-lock.json pins what is installed, but it also records this checkout's package.json
 * (the example depends on file:../..), so any change there would make npm rewrite that tracked
 * file: --no-save reads the lock and never writes it.
 */
const npmInstall = (dir: string) => sh(dir, 'flock', [NPM_LOCK, 'npm', 'install', '--no-save', '--no-audit', '--no-fund', '--loglevel=error'], 240_000);

interface Running {
  url: string;
  logs(): string;
}

/** Starts a long-running process in its own process group (next start forks next-server) and kills the group at the end. */
async function start(cwd: string, command: string, args: string[], env: Record<string, string>, ready: (logs: string) => string | undefined): Promise<Running> {
  const child = spawn(command, args, { cwd, env: { ...process.env, NODE_OPTIONS: undefined, NEXT_TELEMETRY_DISABLED: '1', ...env }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let logs = '';
  child.stdout!.on('data', (d) => (logs += d));
  child.stderr!.on('data', (d) => (logs += d));
  let exited = false;
  child.on('exit', () => (exited = true));
  onFileEnd(() => {
    if (!exited) process.kill(-child.pid!, 'SIGKILL');
  });
  const url = await waitFor(
    () => {
      if (exited) throw new Error(`${command} ${args.join(' ')} exited early:\n${logs}`);
      return ready(logs);
    },
    { timeoutMs: 30_000, what: `${command} ${args.join(' ')} to listen` },
  );
  return { url, logs: () => logs };
}

const listeningUrl = (logs: string) => /"msg":"listening","url":"([^"]+)"/.exec(logs)?.[1];

async function trigger(url: string, secret: string, type: string, ...set: string[]): Promise<string> {
  const r = await runCli(['trigger', type, '--url', url, '--secret', secret, ...set.flatMap((s) => ['--set', s])]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const [id, , status] = r.stdout.trim().split(' ');
  assert.equal(status, '200', r.stdout);
  return id!;
}

async function openDb(url: string): Promise<Database> {
  const db = await openDatabase(url);
  onFileEnd(() => db.close());
  return db;
}

const userRow = (db: Database, firstName: string) => db.db.selectFrom('clerk_users').selectAll().where('first_name', '=', firstName).execute();
const eventRow = (db: Database, id: string) => db.db.selectFrom('clerk_webhook_events').selectAll().where('svix_id', '=', id).executeTakeFirst();

/** Every example must pass these: a valid delivery lands in clerk_users, a tampered one is refused like serve does, a redelivery changes nothing. */
async function checkDeliveries(webhookUrl: string, secret: string, db: Database, label: string): Promise<void> {
  const name = `Ada-${label}-${Math.random().toString(36).slice(2, 8)}`;
  const id = await trigger(webhookUrl, secret, 'user.created', `data.first_name=${name}`);
  const [row] = await waitFor(async () => {
    const rows = await userRow(db, name);
    return rows.length > 0 && rows;
  }, { what: `${label}: the synced user` });
  assert.equal((await eventRow(db, id))?.status, 'done');

  const event = eventFixture('user.created');
  const body = JSON.stringify(event);
  const headers = signWebhook(body, secret).headers;
  const tampered = await fetch(webhookUrl, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: body.replace('"user.created"', '"user.updated"') });
  assert.equal(tampered.status, 401);
  assert.equal(((await tampered.json()) as { error: { code: string } }).error.code, 'invalid_signature');

  const again = await fetch(webhookUrl, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body });
  const twice = await fetch(webhookUrl, { method: 'POST', headers: { ...signWebhook(body, secret, { id: headers['svix-id'] }).headers, 'content-type': 'application/json' }, body });
  assert.equal(again.status, 200);
  assert.deepEqual(await twice.json(), { received: true, duplicate: true });
  await waitFor(async () => (await eventRow(db, headers['svix-id']))?.status === 'done', { what: `${label}: the redelivered event processed` });
  const rows = await db.db.selectFrom('clerk_users').select('id').where('id', '=', event.data.id).execute();
  assert.equal(rows.length, 1);
  assert.ok(row);
}

/** `next start` of a built Next.js app, with `env`; resolves once it listens. */
function nextStart(dir: string, env: Record<string, string>): Promise<Running> {
  return start(dir, 'npx', ['next', 'start', '-H', '127.0.0.1', '-p', '0'], env, (logs) => (logs.includes('Ready in') ? /Local:\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(logs)?.[1] : undefined));
}

/** A stand-in for the service the example's welcome handler calls: down until told otherwise. */
async function welcomeService(): Promise<{ url: string; up(): void; down(): void }> {
  let down = true;
  const server = createServer((req, res) => {
    req.resume();
    res.writeHead(down ? 503 : 200).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  onFileEnd(() => new Promise((r) => server.close(r)));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/welcome`, up: () => void (down = false), down: () => void (down = true) };
}

/**
 * The Next.js example as on Vercel (VERCEL=1): no worker loop; deliveries are applied after their
 * answer through next/server's after(), and a retry that comes due while no webhook arrives is
 * applied by the cron route, behind CRON_SECRET.
 */
async function checkServerlessNext(dir: string, database: string, label: string): Promise<void> {
  const secret = newSecret();
  const cronSecret = 'cron-0123456789abcdef0123456789abcdef';
  const welcome = await welcomeService();
  welcome.up();
  const app = await nextStart(dir, { CLERK_WEBHOOK_SIGNING_SECRET: secret, DATABASE_URL: database, VERCEL: '1', CRON_SECRET: cronSecret, WELCOME_WEBHOOK_URL: welcome.url });
  const db = await openDb(database);
  const webhookUrl = `${app.url}/api/webhooks`;

  const adaId = await trigger(webhookUrl, secret, 'user.created', `data.first_name=Ada-${label}`);
  await waitFor(async () => (await eventRow(db, adaId))?.status === 'done', { what: `${label}: the delivery applied after its answer` });
  assert.equal((await userRow(db, `Ada-${label}`)).length, 1);
  assert.match(app.logs(), /"msg":"serverless: events are processed after the response/, 'after() was found: processing runs after the answer');
  assert.doesNotMatch(app.logs(), /waitUntil refused/);

  // The welcome service goes down: the handler throws and the event waits for its retry (~5 s).
  welcome.down();
  const graceId = await trigger(webhookUrl, secret, 'user.created', `data.first_name=Grace-${label}`);
  const failed = await waitFor(async () => {
    const row = await eventRow(db, graceId);
    return row?.status === 'failed' && row;
  }, { what: `${label}: the failed first attempt` });
  assert.match(failed.last_error ?? '', /the welcome service answered 503/);
  await waitFor(() => Date.now() > failed.next_attempt_at + 1000, { timeoutMs: 15_000, intervalMs: 100, what: 'the retry to come due' });
  assert.equal((await eventRow(db, graceId))?.status, 'failed', 'nothing runs between requests: the due retry waits');

  const cron = (authorization?: string) => fetch(`${app.url}/api/cron/clerk-sync`, { headers: authorization ? { authorization } : {} });
  assert.equal((await cron()).status, 401, 'no secret');
  assert.equal((await cron('Bearer wrong-secret-0123456789abcdef')).status, 401, 'a wrong secret');
  welcome.up();
  const drained = await cron(`Bearer ${cronSecret}`);
  assert.equal(drained.status, 200);
  const summary = (await drained.json()) as { done: number; more_due: boolean };
  assert.equal(summary.done, 1, JSON.stringify(summary));
  const applied = await eventRow(db, graceId);
  assert.equal(applied?.status, 'done');
  assert.equal(applied?.attempts, 2);
  assert.equal((await userRow(db, `Grace-${label}`)).length, 1);
}

describe('examples', { timeout: 420_000 }, () => {
  before(async () => {
    // The examples load clerk-sync from dist/ (package.json exports): build it while npm installs,
    // unless it is newer than its sources (npm test has just built it).
    await Promise.all([
      buildIfStale(),
      (async () => {
        for (const name of ['express', 'fastify', 'nextjs']) await npmInstall(example(name));
      })(),
    ]);
    await sh(example('nextjs'), 'npx', ['next', 'build'], 300_000);
    assert.ok(existsSync(`${example('nextjs')}/.next/BUILD_ID`));
  });

  for (const dialect of testDialects() as DialectName[]) {
    it(`examples/express (express.json() registered first) [${dialect}]`, async () => {
      const secret = newSecret();
      const database = await freshDatabaseUrl(dialect);
      const app = await start(example('express'), process.execPath, ['server.js'], { CLERK_WEBHOOK_SIGNING_SECRET: secret, DATABASE_URL: database, PORT: '0' }, listeningUrl);
      const db = await openDb(database);
      await checkDeliveries(`${app.url}/api/webhooks`, secret, db, 'express');
      const echo = await fetch(`${app.url}/api/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":[1]}' });
      assert.deepEqual(await echo.json(), { parsed: { a: [1] } }, "the app's own JSON routes still get parsed bodies");
      assert.match(app.logs(), /"msg":"welcome"/, 'the user.created handler ran in the worker');
    });

    it(`examples/fastify [${dialect}]`, async () => {
      const secret = newSecret();
      const database = await freshDatabaseUrl(dialect);
      const app = await start(example('fastify'), process.execPath, ['server.js'], { CLERK_WEBHOOK_SIGNING_SECRET: secret, DATABASE_URL: database, PORT: '0' }, listeningUrl);
      const db = await openDb(database);
      await checkDeliveries(`${app.url}/api/webhooks`, secret, db, 'fastify');
      const echo = await fetch(`${app.url}/api/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":[1]}' });
      assert.deepEqual(await echo.json(), { parsed: { a: [1] } }, 'the rest of the app keeps JSON parsing');
      assert.match(app.logs(), /"msg":"welcome"/);
    });

    it(`examples/nextjs (Next.js 16): next start, public webhook and cron routes, a protected users page [${dialect}]`, async () => {
      await checkLongLivedNext(example('nextjs'), await freshDatabaseUrl(dialect), dialect);
    });
  }

  for (const target of testTargets()) {
    it(`examples/nextjs (Next.js 16) as on Vercel: after() applies deliveries, the cron route applies due retries [${target}]`, async () => {
      await checkServerlessNext(example('nextjs'), await freshDatabaseUrl(target), `next16-${target}`);
    });
  }
});

/**
 * The same example on Next.js 15, where the proxy is still called middleware.ts: a copy of it
 * beside the original (ignored by git, removed afterwards), so that it links this checkout the
 * same way, with next@15 and the file renamed, built and run like the original.
 */
describe('examples/nextjs on Next.js 15', { timeout: 420_000 }, () => {
  const dir = example('.nextjs15');
  before(async () => {
    rmSync(dir, { recursive: true, force: true });
    onFileEnd(() => rmSync(dir, { recursive: true, force: true }));
    cpSync(example('nextjs'), dir, { recursive: true, filter: (src) => !/\/(node_modules|\.next)(\/|$)|package-lock\.json$|\.db/.test(src) });
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    pkg.dependencies.next = NEXT_15;
    writeFileSync(join(dir, 'package.json'), JSON.stringify(pkg, null, 2));
    writeFileSync(join(dir, 'middleware.ts'), readFileSync(join(dir, 'proxy.ts'), 'utf8').replace('export function proxy(', 'export function middleware('));
    rmSync(join(dir, 'proxy.ts'));
    await buildIfStale();
    await npmInstall(dir);
    await sh(dir, 'npx', ['next', 'build'], 300_000);
    assert.match(readFileSync(join(dir, 'node_modules/next/package.json'), 'utf8'), /"version": "15\./);
  });

  it('next start: public webhook and cron routes, a protected users page [sqlite]', async () => {
    await checkLongLivedNext(dir, await freshDatabaseUrl('sqlite'), 'next15');
  });

  const serverlessTarget = testTargets().includes('pgbouncer') ? 'pgbouncer' : 'sqlite';
  it(`as on Vercel: after() applies deliveries, the cron route applies due retries [${serverlessTarget}]`, async () => {
    await checkServerlessNext(dir, await freshDatabaseUrl(serverlessTarget), 'next15');
  });
});

/** The Next.js example on a long-lived server: the worker runs in-process; only the webhook and cron routes are public. */
async function checkLongLivedNext(dir: string, database: string, label: string): Promise<void> {
  const secret = newSecret();
  const app = await nextStart(dir, { CLERK_WEBHOOK_SIGNING_SECRET: secret, DATABASE_URL: database });
  const db = await openDb(database);
  await checkDeliveries(`${app.url}/api/webhooks`, secret, db, `nextjs-${label}`);

  const name = `Grace-${label}`;
  await trigger(`${app.url}/api/webhooks`, secret, 'user.created', `data.first_name=${name}`);
  const [user] = await waitFor(async () => {
    const rows = await userRow(db, name);
    return rows.length > 0 && rows;
  }, { what: 'the user row' });

  const anonymous = await fetch(`${app.url}/`);
  assert.equal(anonymous.status, 401, 'the middleware protects everything but the webhook route');
  const page = await fetch(`${app.url}/`, { headers: { authorization: `Basic ${Buffer.from('admin:clerk-sync').toString('base64')}` } });
  assert.equal(page.status, 200);
  const html = await page.text();
  assert.ok(html.includes(`data-user-id="${user!.id}"`), 'the page lists the synced user');
  assert.ok(html.includes(name));
  // The page reads through Drizzle and the generated schema: the emails column counts the
  // user's rows in clerk_user_email_addresses through the relation.
  const emails = await db.db.selectFrom('clerk_user_email_addresses').select('id').where('user_id', '=', user!.id).execute();
  assert.ok(emails.length > 0);
  assert.match(html, new RegExp(`data-user-id="${user!.id}"><td>[^<]*</td><td>[^<]*</td><td>[^<]*</td><td>${emails.length}</td>`), 'the emails column shows the count');
  assert.match(app.logs(), /"msg":"welcome"/, 'the handler ran in the in-process worker');
  assert.doesNotMatch(app.logs(), /serverless:/, 'a long-lived server runs its worker');
  const cron = await fetch(`${app.url}/api/cron/clerk-sync`);
  assert.equal(cron.status, 401, 'the cron route is public in the proxy, and guards itself');
}
