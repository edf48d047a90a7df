/**
 * The mistakes a new user makes in their first hour, each answered with what is wrong and the
 * fix, and the right exit code (2 for configuration), never a stack trace or a silent success.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import pg from 'pg';
import { CLI, runCli, startServe } from './support/cli.js';
import { freshDatabaseUrl, testDialects } from './support/db.js';
import { onFileEnd, tempDir, waitFor } from './support/env.js';
import { freePort } from './support/pg-cluster.js';

describe('a mistyped --db is refused, not created (only serve, worker and migrate create one)', () => {
  const readers: string[][] = [['events', 'list'], ['events', 'show', 'msg_x'], ['replay', '--all'], ['purge', '--older-than', '30d'], ['backfill'], ['backup', join(tempDir(), 'copy.db')]];

  it('a missing SQLite file: every reading command exits 2 naming the path it looked at, and creates nothing', async () => {
    const typo = join(tempDir(), 'typo.db');
    for (const cmd of readers) {
      const r = await runCli([...cmd, '--db', typo], { CLERK_SECRET_KEY: 'sk_test_x' });
      assert.equal(r.code, 2, `${cmd.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, new RegExp(`there is no database at ${resolve(typo).replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`), cmd.join(' '));
      assert.match(r.stderr, /clerk-sync serve. or .clerk-sync migrate. creates one/);
      assert.equal(existsSync(typo), false, `${cmd.join(' ')} must not create ${typo}`);
    }
  });

  if (testDialects().includes('postgres')) {
    it('a PostgreSQL database without clerk-sync tables: refused with its name, and left without tables', async () => {
      const url = await freshDatabaseUrl('postgres');
      const r = await runCli(['events', 'list', '--db', url]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /has no clerk-sync tables: is it the right database\? `clerk-sync migrate --db \.\.\.` creates them/);
      assert.doesNotMatch(r.stderr, /at |Error:/, 'no stack trace');
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        const { rows } = await client.query("select count(*)::int as n from information_schema.tables where table_schema = 'public'");
        assert.equal(rows[0].n, 0, 'nothing was created');
      } finally {
        await client.end();
      }
    });
  }

  it('after migrate, the same commands work on it', async () => {
    const db = join(tempDir(), 'app.db');
    assert.equal((await runCli(['migrate', '--db', db])).code, 0);
    const r = await runCli(['events', 'list', '--db', db]);
    assert.equal(r.code, 0, r.stderr);
  });
});


describe("the README's dashboard snippet", () => {
  it('runs as written after the quick start: the token it prints signs in to the dashboard it starts', async () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf('## Dashboard, admin API and metrics'));
    const snippet = /```sh\n([\s\S]*?)```/.exec(section)![1]!;
    assert.match(snippet, /--secret whsec_/, 'the secret was a flag in the quick start: the snippet must give it too');
    // As written, with `npx clerk-sync` being this checkout's CLI and a free port instead of 8080
    // (PORT is what --port defaults to; the quick start's server may still hold 8080 in a real run).
    const script = snippet.replaceAll('npx clerk-sync', [process.execPath, ...CLI].join(' '));
    const port = await freePort();
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), HOST: '127.0.0.1', DATABASE_URL: join(tempDir(), 'dash.db') };
    delete env.CLERK_SYNC_ADMIN_TOKEN;
    delete env.CLERK_WEBHOOK_SIGNING_SECRET;
    const child = spawn('bash', ['-c', script], { env, cwd: fileURLToPath(new URL('..', import.meta.url)), stdio: ['ignore', 'pipe', 'pipe'] });
    onFileEnd(() => void child.kill('SIGKILL'));
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const origin = `http://127.0.0.1:${port}`;
    await waitFor(() => out.includes('clerk-sync is listening'), { timeoutMs: 20_000, what: `the snippet's server to listen:\n${out}` });
    const token = /dashboard token: (\S+)/.exec(out)?.[1];
    assert.ok(token && token.length >= 32, `the snippet prints the token:\n${out}`);
    assert.match(out, new RegExp(`"dashboard":"${origin}/dashboard"`));
    const res = await fetch(`${origin}/dashboard/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token }).toString(),
      redirect: 'manual',
    });
    assert.equal(res.status, 303, 'signed in');
    const cookie = res.headers.get('set-cookie')!.split(';', 1)[0]!;
    const page = await fetch(`${origin}/dashboard/events`, { headers: { cookie } });
    assert.equal(page.status, 200);
    child.kill('SIGTERM');
  });
});

describe('docs links work from an installed package', () => {
  it("--help and messages link the repository's docs (docs/ is not in the package), and that is the package's repository", async () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { repository: { url: string }; files: string[] };
    assert.ok(!pkg.files.some((f) => f.startsWith('docs')), 'docs/ is not shipped');
    const repo = pkg.repository.url.replace(/^git\+/, '').replace(/\.git$/, '');
    const { DOCS_URL } = await import('../src/docs-link.js');
    assert.equal(DOCS_URL, `${repo}/blob/main/docs`);
    const help = await runCli(['--help']);
    assert.match(help.stdout, new RegExp(`${DOCS_URL.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}/cli\\.md`));
    assert.doesNotMatch(help.stdout, /(^|\s)docs\/cli\.md/);
  });
});

describe('events list at a terminal', () => {
  it('has column headers on a terminal, and none when piped', async () => {
    const db = join(tempDir(), 'list.db');
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const serve = await startServe(['--db', db, '--secret', secret]);
    assert.equal((await runCli(['trigger', 'user.created', '--url', serve.url, '--secret', secret])).code, 0);
    const cli = [process.execPath, ...CLI].join(' ');
    // `script` gives the command a pseudo-terminal, as a person's shell would.
    const tty = execFileSync('script', ['-qc', `${cli} events list --db ${db}`, '/dev/null'], { cwd: fileURLToPath(new URL('..', import.meta.url)), env: { ...process.env, NODE_OPTIONS: '' } }).toString();
    const lines = tty.split(/\r?\n/).filter(Boolean);
    assert.match(lines[0]!, /^RECEIVED +SVIX-ID +TYPE +STATUS +ATTEMPTS +LAST ERROR$/);
    assert.match(lines[1]!, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ +msg_\S+ +user\.created +(pending|done) +[01]$/);
    const piped = await runCli(['events', 'list', '--db', db]);
    assert.equal(piped.stdout.trim().split('\n').length, 1, 'piped: one line per event, no header');
    serve.child.kill('SIGTERM');
  });
});
