/**
 * The examples under examples/ as a user runs them: build clerk-sync, `npm install` each example
 * (it depends on this checkout through file:../..), `next build` the Next.js one, start each on
 * loopback, deliver signed events with `clerk-sync trigger`, and check the rows.
 * The Next.js install and build happen once per run (about 1-2 minutes on 2 cores).
 */
import assert from 'node:assert/strict';
import { spawn, execFile as execFileCb } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { before, describe, it } from 'node:test';
import { openDatabase, type Database } from '../src/store/database.js';
import type { DialectName } from '../src/store/dialect.js';
import { signWebhook } from '../src/verify/index.js';
import { eventFixture } from '../src/events/fixtures.js';
import { runCli } from './support/cli.js';
import { freshDatabaseUrl, testDialects } from './support/db.js';
import { newSecret, onFileEnd, waitFor } from './support/env.js';

const execFile = promisify(execFileCb);
const ROOT = fileURLToPath(new URL('../', import.meta.url));
const example = (name: string) => `${ROOT}examples/${name}`;
const NPM_LOCK = '/tmp/clerk-sync-npm.lock';

async function sh(cwd: string, command: string, args: string[], timeoutMs: number): Promise<void> {
  try {
    await execFile(command, args, { cwd, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1', NODE_OPTIONS: undefined } });
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${command} ${args.join(' ')} failed in ${cwd}: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
  }
}

/** `npm install` in an example, serialized with every other npm run on this machine. */
const npmInstall = (dir: string) => sh(dir, 'flock', [NPM_LOCK, 'npm', 'install', '--no-audit', '--no-fund', '--loglevel=error'], 240_000);

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

describe('examples', { timeout: 420_000 }, () => {
  before(async () => {
    // The examples load clerk-sync from dist/ (package.json exports): build it while npm installs.
    await Promise.all([
      sh(ROOT, 'npm', ['run', 'build', '--silent'], 180_000),
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

    it(`examples/nextjs: next start, a public webhook route, a protected users page [${dialect}]`, async () => {
      const secret = newSecret();
      const database = await freshDatabaseUrl(dialect);
      const app = await start(example('nextjs'), 'npx', ['next', 'start', '-H', '127.0.0.1', '-p', '0'], { CLERK_WEBHOOK_SIGNING_SECRET: secret, DATABASE_URL: database }, (logs) =>
        logs.includes('Ready in') ? /Local:\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(logs)?.[1] : undefined,
      );
      const db = await openDb(database);
      await checkDeliveries(`${app.url}/api/webhooks`, secret, db, 'nextjs');

      const name = `Grace-${dialect}`;
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
      assert.match(app.logs(), /"msg":"welcome"/, 'the handler ran in the in-process worker');
    });
  }
});
