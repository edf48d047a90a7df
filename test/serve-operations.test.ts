/**
 * `serve` as an operator meets it: it listens before its database answers (so probes and Svix get
 * honest answers instead of a connection refused and a restart loop), and a port it cannot have is
 * a configuration error with the fix.
 */
import assert from 'node:assert/strict';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import { signWebhook } from '../src/verify/sign.js';
import { eventFixture } from '../src/events/fixtures.js';
import { runCli, startLongRunningServe, startServe } from './support/cli.js';
import { describeOn, freshDatabaseUrl } from './support/db.js';
import { newSecret, onFileEnd, waitFor } from './support/env.js';
import { freePort } from './support/pg-cluster.js';

/** A TCP forwarder to the test PostgreSQL that can be opened later: "the database comes up". */
function tcpForwarder(targetUrl: string): { port: Promise<number>; open(): Promise<void>; close(): void } {
  const target = new URL(targetUrl);
  const sockets = new Set<Socket>();
  let server: Server | null = null;
  const port = freePort();
  return {
    port,
    async open() {
      const p = await port;
      server = createServer((client) => {
        const upstream = connect(Number(target.port || 5432), target.hostname);
        for (const s of [client, upstream]) {
          sockets.add(s);
          s.on('error', () => s.destroy());
          s.on('close', () => sockets.delete(s));
        }
        client.pipe(upstream).pipe(client);
      });
      await new Promise<void>((r) => server!.listen(p, '127.0.0.1', r));
    },
    close() {
      server?.close();
      for (const s of sockets) s.destroy();
    },
  };
}

describeOn('postgres', 'serve listens while its database is unreachable', () => {
  it('healthz 200, readyz 503 with the reason, the webhook 503 + Retry-After; then it catches up by itself', async () => {
    const url = new URL(await freshDatabaseUrl('postgres'));
    const forwarder = tcpForwarder(url.href);
    onFileEnd(() => forwarder.close());
    url.port = String(await forwarder.port);
    url.hostname = '127.0.0.1';
    const secret = newSecret();
    const port = await freePort();
    const serve = await startLongRunningServe(['--db', url.href, '--secret', secret, '--port', String(port)]);
    const base = `http://127.0.0.1:${port}`;
    await waitFor(() => fetch(`${base}/healthz`).then((r) => r.ok).catch(() => false), { what: 'serve to listen before its database answers' });

    const ready = await fetch(`${base}/readyz`);
    assert.equal(ready.status, 503);
    const readyBody = (await ready.json()) as { status: string; reason: string };
    assert.equal(readyBody.status, 'not_ready');
    assert.match(readyBody.reason, /^starting: (connecting to|waiting for) the database/);

    const event = eventFixture('user.created');
    const body = JSON.stringify(event);
    const signed = signWebhook(body, secret);
    const refused = await fetch(`${base}/api/webhooks`, { method: 'POST', headers: signed.headers, body });
    assert.equal(refused.status, 503);
    assert.equal(refused.headers.get('retry-after'), '5', 'the same as while the database is down later');
    const refusedBody = (await refused.json()) as { error: { code: string; message: string } };
    assert.equal(refusedBody.error.code, 'starting');
    assert.match(refusedBody.error.message, /nothing was stored, retry later/);
    await waitFor(() => /database unreachable; retrying/.test(serve.logs()), { what: 'the retry to be logged' });
    assert.match((await (await fetch(`${base}/readyz`)).json() as { reason: string }).reason, /waiting for the database: the database server is unreachable/);

    await forwarder.open();
    await waitFor(() => fetch(`${base}/readyz`).then((r) => r.status === 200), { timeoutMs: 20_000, what: 'ready once the database answers' });
    // Svix's retry of the refused delivery is now stored and processed.
    const retried = await fetch(`${base}/api/webhooks`, { method: 'POST', headers: signed.headers, body });
    assert.equal(retried.status, 200, await retried.text());
    const pgClient = new (await import('pg')).default.Client({ connectionString: url.href });
    await pgClient.connect();
    try {
      await waitFor(async () => (await pgClient.query('select 1 from clerk_users where id = $1', [event.data.id])).rowCount === 1, { what: 'the user synced' });
    } finally {
      await pgClient.end();
    }
    serve.child.kill('SIGTERM');
    assert.equal(await serve.exited, 0);
  });
});

describe('a port serve cannot have', () => {
  it('in use: one line saying so and what to do, exit 2', async () => {
    const taken = createServer().listen(0, '127.0.0.1');
    await new Promise((r) => taken.once('listening', r));
    onFileEnd(() => taken.close());
    const { port } = taken.address() as { port: number };
    const r = await runCli(['serve', '--db', ':memory:', '--secret', newSecret(), '--host', '127.0.0.1', '--port', String(port)]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, new RegExp(`clerk-sync: port ${port} on 127.0.0.1 is already in use .*choose another port with --port \\(or PORT\\); --port 0 picks a free one`));
    assert.doesNotMatch(r.stderr, /EADDRINUSE|    at /);
  });
});

describe('a rejected delivery, seen from both ends', () => {
  it('trigger prints the server\'s error code and message; the server logs it with the svix-id', async () => {
    const serve = await startServe(['--db', ':memory:', '--secret', newSecret()]);
    const r = await runCli(['trigger', 'user.created', '--url', serve.url, '--secret', newSecret()]);
    assert.equal(r.code, 1);
    const line = /^(msg_\S+) user\.created 401 invalid_signature: No signature in the svix-signature header matches this payload/m.exec(r.stdout);
    assert.ok(line, r.stdout);
    await waitFor(() => serve.logs().includes(`"svix_id":"${line[1]}"`), { what: 'the rejection logged with its svix-id' });
    const logged = JSON.parse(serve.logs().split('\n').find((l) => l.includes('webhook rejected'))!);
    assert.equal(logged.level, 'info');
    assert.equal(logged.code, 'invalid_signature');
    assert.equal(logged.status, 401);
    assert.match(logged.message, /No signature .* matches/);
  });
});

describe('secrets that are something else', () => {
  const cases: Array<[string, RegExp]> = [
    ['sk_test_Zm9vYmFyYmF6', /this is a Clerk Secret Key \(sk_\.\.\.\), used for the Backend API, not the webhook signing secret/],
    ['pk_live_Y2xlcmsuZXhhbXBsZS5jb20k', /this is a Clerk Publishable Key \(pk_\.\.\.\)/],
    ['"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"', /the secret is wrapped in quotes: pass the whsec_\.\.\. value without them/],
  ];
  for (const [secret, says] of cases) {
    it(`serve names the mistake: ${secret.slice(0, 8)}…`, async () => {
      const r = await runCli(['serve', '--db', ':memory:', '--secret', secret, '--port', '0', '--host', '127.0.0.1']);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, says);
      assert.doesNotMatch(r.stderr, /not valid base64/);
    });
  }

  it('a secret without whsec_ is accepted with one warning', async () => {
    const bare = newSecret().slice('whsec_'.length);
    const serve = await startServe(['--db', ':memory:', '--secret', bare]);
    const warnings = serve.logs().split('\n').filter((l) => l.includes('does not start with whsec_'));
    assert.equal(warnings.length, 1, serve.logs());
    assert.match(warnings[0]!, /"level":"warn".*check it is the endpoint's Signing Secret copied whole/);
  });
});
