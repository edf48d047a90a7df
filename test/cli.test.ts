import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { eventFixture } from '../src/events/fixtures.js';
import { signWebhook } from '../src/verify/index.js';
import { newSecret, tempDir, waitFor } from './support/env.js';
import { runCli, startServe } from './support/cli.js';

describe('clerk-sync CLI', () => {
  it('--help lists the commands, and every command has --help', async () => {
    const top = await runCli(['--help']);
    assert.equal(top.code, 0);
    for (const cmd of ['serve', 'worker', 'migrate', 'trigger', 'events', 'replay', 'verify', 'doctor', 'backfill', 'purge', 'backup']) assert.match(top.stdout, new RegExp(`\\b${cmd}\\b`));
    assert.match(top.stdout, /Examples:/);
    const commands = [['serve'], ['worker'], ['migrate'], ['trigger'], ['events', 'list'], ['events', 'show'], ['replay'], ['verify'], ['doctor'], ['backfill'], ['purge'], ['backup']];
    const helps = await Promise.all(commands.map((cmd) => runCli([...cmd, '--help'])));
    for (const [i, r] of helps.entries()) {
      assert.equal(r.code, 0, commands[i]!.join(' '));
      assert.match(r.stdout, /Usage: clerk-sync/);
      assert.match(r.stdout, /\nExamples:\n {2}\$ /, `${commands[i]!.join(' ')} --help shows examples`);
    }
  });

  it('serve refuses to start without a secret and says where to get one', async () => {
    const r = await runCli(['serve', '--port', '0', '--db', join(tempDir(), 'x.db')]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /CLERK_WEBHOOK_SIGNING_SECRET/);
    assert.match(r.stderr, /Clerk Dashboard → Webhooks → your endpoint → Signing Secret/);
  });

  it('serve refuses a malformed secret', async () => {
    const r = await runCli(['serve', '--port', '0', '--db', join(tempDir(), 'x.db'), '--secret', 'whsec_!!!not-base64!!!']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /whsec_/);
  });

  it('wrong usage gets a clear error', async () => {
    const r = await runCli(['trigger', 'user.creatd', '--url', 'http://127.0.0.1:9/x', '--secret', newSecret()]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /unknown event type "user.creatd".*user.created/);
    const r2 = await runCli(['events', 'list', '--limit', 'many']);
    assert.notEqual(r2.code, 0);
    assert.match(r2.stderr, /--limit must be a positive whole number/);
  });

  it('trigger → serve → events list/show → replay, end to end', async () => {
    const secret = newSecret();
    const db = join(tempDir(), 'e2e.db');
    const serve = await startServe(['--db', db], { CLERK_WEBHOOK_SIGNING_SECRET: secret });
    try {
      const t = await runCli(['trigger', 'user.created', '--url', serve.url, '--count', '3', '--set', 'data.first_name=Grace'], { CLERK_WEBHOOK_SIGNING_SECRET: secret });
      assert.equal(t.code, 0, t.stderr);
      const lines = t.stdout.trim().split('\n');
      assert.equal(lines.length, 3);
      for (const l of lines) assert.match(l, /^msg_\S+ user\.created 200$/);
      const ids = lines.map((l) => l.split(' ')[0]!);

      await waitFor(async () => {
        const r = await runCli(['events', 'list', '--db', db, '--status', 'done', '--json']);
        return r.stdout.trim().split('\n').filter(Boolean).length === 3;
      }, { timeoutMs: 20_000, intervalMs: 200, what: '3 done events' });

      const raw = new BetterSqlite3(db, { readonly: true });
      const names = raw.prepare('select first_name from clerk_users').all() as Array<{ first_name: string }>;
      raw.close();
      assert.deepEqual(names.map((n) => n.first_name), ['Grace', 'Grace', 'Grace']);

      const show = await runCli(['events', 'show', ids[0]!, '--db', db]);
      assert.equal(show.code, 0);
      assert.match(show.stdout, /status\s+done/);
      assert.match(show.stdout, /#1 .* done/);
      assert.match(show.stdout, /"first_name": "Grace"/);

      const replay = await runCli(['replay', ids[1]!, '--db', db]);
      assert.equal(replay.code, 0, replay.stderr);
      assert.match(replay.stdout, new RegExp(`${ids[1]} user.created done`));

      const missing = await runCli(['events', 'show', 'msg_nope', '--db', db]);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /no stored event has svix-id msg_nope/);

      const bad = await runCli(['trigger', 'user.created', '--url', serve.url, '--secret', newSecret()]);
      assert.equal(bad.code, 1, 'non-2xx makes trigger fail');
      assert.match(bad.stdout, / 401 invalid_signature: No signature in the svix-signature header matches this payload/m, "the server's code and message");
    } finally {
      serve.child.kill('SIGTERM');
      assert.equal(await serve.exited, 0);
    }
  });

  it('SIGTERM: stops accepting, finishes in-flight work, exits 0', async () => {
    const secret = newSecret();
    const serve = await startServe(['--db', join(tempDir(), 'term.db')], { CLERK_WEBHOOK_SIGNING_SECRET: secret });
    const body = JSON.stringify(eventFixture('user.created'));
    const signed = signWebhook(body, secret);
    const res = await fetch(serve.url, { method: 'POST', headers: signed.headers, body });
    assert.equal(res.status, 200);
    serve.child.kill('SIGTERM');
    assert.equal(await serve.exited, 0);
    assert.match(serve.logs(), /stopped cleanly/);
  });

  it('an answered event survives kill -9 right after the answer', async () => {
    const secret = newSecret();
    const db = join(tempDir(), 'kill.db');
    const answered: string[] = [];
    for (let round = 0; round < 3; round++) {
      // --no-worker keeps events pending so the check is about the inbox write alone.
      const serve = await startServe(['--db', db, '--no-worker'], { CLERK_WEBHOOK_SIGNING_SECRET: secret });
      const sends = Array.from({ length: 50 }, async () => {
        const body = JSON.stringify(eventFixture('user.created'));
        const signed = signWebhook(body, secret);
        const res = await fetch(serve.url, { method: 'POST', headers: signed.headers, body });
        if (res.status === 200) {
          answered.push(signed.id);
          // Kill the moment the first answer is in; others may be mid-flight.
          serve.child.kill('SIGKILL');
        }
      });
      await Promise.allSettled(sends);
      serve.child.kill('SIGKILL');
      await serve.exited;
    }
    assert.ok(answered.length >= 3);
    const raw = new BetterSqlite3(db, { readonly: true });
    const stored = new Set((raw.prepare('select svix_id from clerk_webhook_events').all() as Array<{ svix_id: string }>).map((r) => r.svix_id));
    raw.close();
    const lost = answered.filter((id) => !stored.has(id));
    assert.deepEqual(lost, [], 'every event answered 200 is stored');
  });
});
