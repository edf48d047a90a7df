import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { describeRedirect } from '../src/cli/doctor/run.js';
import { createVerifier } from '../src/verify/index.js';
import { runCli, startServe } from './support/cli.js';
import { newSecret, onFileEnd, tempDir } from './support/env.js';
import { requireForTest, tool } from './support/prerequisites.js';

type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void;

/** One small server with one fault; closed when the file ends. */
async function faultyServer(handler: Handler, options: { date?: () => string } = {}): Promise<string> {
  const server = createServer((req, res) => {
    if (options.date) res.sendDate = false;
    if (options.date) res.setHeader('date', options.date());
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => handler(req, body, res));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  onFileEnd(() => {
    server.closeAllConnections();
    server.close();
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/webhooks`;
}

const json = (res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}) =>
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(value));

/** A correct handler: verifies the raw body, answers 200 or 401 with the svix library's wording. */
function verifying(secret: string, now?: () => number): Handler {
  const verifier = createVerifier(secret, { now });
  return (req, body, res) => {
    try {
      verifier.verify(body, req.headers as Record<string, string>);
      json(res, 200, { received: true });
    } catch (error) {
      json(res, 401, { error: (error as Error).message.startsWith('Webhook timestamp') ? 'Message timestamp too old' : 'No matching signature found' });
    }
  };
}

interface Report {
  ok: boolean;
  checkedUrl: string;
  checks: Array<{ id: string; status: string; verdict: string; fix?: string }>;
  testEvents: { type: string; svixIds: string[] };
}

async function doctor(url: string, secret: string | null, ...extra: string[]): Promise<{ code: number | null; report: Report; human: string }> {
  const args = ['doctor', '--url', url, '--timeout', '2s', ...(secret ? ['--secret', secret] : []), ...extra];
  const [j, h] = await Promise.all([runCli([...args, '--json']), runCli(args)]);
  assert.equal(j.code, h.code, 'same exit code with and without --json');
  assert.equal(j.stderr, '', j.stderr);
  return { code: j.code, report: JSON.parse(j.stdout) as Report, human: h.stdout };
}

const status = (r: Report) => Object.fromEntries(r.checks.map((c) => [c.id, c.status]));
const check = (r: Report, id: string) => r.checks.find((c) => c.id === id)!;

describe('clerk-sync doctor', () => {
  it('a healthy clerk-sync serve passes every check (exit 0), and the test events it stored are skipped', async () => {
    const secret = newSecret();
    const db = join(tempDir(), 'doctor.db');
    const serve = await startServe(['--db', db], { CLERK_WEBHOOK_SIGNING_SECRET: secret });
    try {
      const { code, report, human } = await doctor(serve.url, secret);
      assert.equal(code, 0, human);
      assert.equal(report.ok, true);
      for (const c of report.checks) assert.equal(c.status, 'pass', `${c.id}: ${c.verdict}`);
      assert.match(human, /^ok {4}accepts a correctly signed event +a correctly signed test event was answered 200\.$/m);
      assert.match(human, /All 12 checks passed\./);
      assert.equal(report.testEvents.type, 'clerk-sync.doctor');
      // Both runs (--json and human) sent two accepted events each.
      assert.equal(report.testEvents.svixIds.length, 2);
      assert.match(human, /accepted 2 test events of type "clerk-sync\.doctor".*Safe to delete\./s);
      const raw = new BetterSqlite3(db, { readonly: true });
      const rows = raw.prepare('select svix_id, type, status from clerk_webhook_events').all() as Array<{ svix_id: string; type: string; status: string }>;
      raw.close();
      assert.equal(rows.length, 4);
      assert.ok(rows.every((r) => r.type === 'clerk-sync.doctor' && r.status === 'skipped'));
      for (const id of report.testEvents.svixIds) assert.ok(rows.some((r) => r.svix_id === id));
    } finally {
      serve.child.kill('SIGTERM');
      await serve.exited;
    }
  });

  it('without --secret: the signed checks are skipped, and that is not a pass (exit 1)', async () => {
    const secret = newSecret();
    const url = await faultyServer(verifying(secret));
    const { code, report, human } = await doctor(url, null);
    assert.equal(code, 1);
    assert.deepEqual(
      { secret: status(report).secret, signature: status(report).signature, unsigned: status(report).unsigned, tampered: status(report).tampered },
      { secret: 'skip', signature: 'skip', unsigned: 'pass', tampered: 'pass' },
    );
    assert.match(human, /^skip {2}signing secret format +no --secret given/m);
  });

  it('route protected by Clerk middleware (404 from auth.protect()): says so and shows createRouteMatcher', async () => {
    const url = await faultyServer((_req, _body, res) => res.writeHead(404, { 'x-clerk-auth-status': 'signed-out', 'x-clerk-auth-reason': 'session-token-and-uat-missing' }).end());
    const { code, report, human } = await doctor(url, newSecret());
    assert.equal(code, 1);
    assert.equal(status(report).route, 'fail');
    assert.match(check(report, 'route').verdict, /correctly signed POST got 404: Clerk's middleware answered \(x-clerk-auth-status: signed-out/);
    assert.match(check(report, 'route').fix!, /createRouteMatcher\(\['\/sign-in\(\.\*\)', '\/sign-up\(\.\*\)', '\/api\/webhooks\(\.\*\)'\]\)/);
    assert.match(check(report, 'route').fix!, /clerkMiddleware\(async \(auth, req\) => \{\n\s+if \(!isPublicRoute\(req\)\) await auth\.protect\(\)/);
    assert.equal(status(report).signature, 'skip');
    assert.match(human, /^FAIL {2}route exists and is public/m);
    assert.match(human, /fix: Make the webhook route public/);
  });

  it('route protected with 401 (no signature words in the answer): protected by middleware', async () => {
    const url = await faultyServer((_req, _body, res) => res.writeHead(401, { 'content-type': 'text/plain' }).end('Unauthorized'));
    const { report } = await doctor(url, newSecret());
    assert.equal(status(report).route, 'fail');
    assert.match(check(report, 'route').verdict, /POST got 401 with a body that says nothing about signatures \(Unauthorized\): the route is protected/);
  });

  it('no route (plain 404)', async () => {
    const url = await faultyServer((_req, _body, res) => json(res, 404, { error: 'Not Found' }));
    const { code, report } = await doctor(url, newSecret());
    assert.equal(code, 1);
    assert.match(check(report, 'route').verdict, /got 404: either no route exists at this path, or middleware/);
    assert.match(check(report, 'route').fix!, /app\/api\/webhooks\/route\.ts serves \/api\/webhooks/);
  });

  it('a wrong path on clerk-sync serve: not "POST accepted", the server\'s own hint, the path fix first', async () => {
    const secret = newSecret();
    const serve = await startServe(['--db', ':memory:'], { CLERK_WEBHOOK_SIGNING_SECRET: secret });
    const { code, report, human } = await doctor(serve.url.replace('/api/webhooks', '/api/webhook'), secret);
    assert.equal(code, 1);
    assert.equal(status(report).method, 'skip');
    assert.doesNotMatch(human, /POST is accepted/);
    assert.match(check(report, 'route').verdict, /The server said: nothing at \/api\/webhook; Clerk webhooks go to POST \/api\/webhooks/);
    assert.match(check(report, 'route').fix!, /^Check the URL in Clerk Dashboard/);
  });

  it('405: the route does not accept POST', async () => {
    const url = await faultyServer((_req, _body, res) => res.writeHead(405, { allow: 'GET' }).end());
    const { code, report, human } = await doctor(url, newSecret());
    assert.equal(code, 1);
    assert.equal(status(report).method, 'fail');
    assert.match(check(report, 'method').verdict, /POST got 405 Method Not Allowed \(Allow: GET\)/);
    assert.match(check(report, 'method').fix!, /export async function POST/);
    assert.match(human, /^FAIL {2}accepts POST/m);
  });

  it('re-serialized body: the JSON.stringify form passes, Clerk\'s encoding fails → raw-body fails', async () => {
    const secret = newSecret();
    const verify = verifying(secret);
    const url = await faultyServer((req, body, res) => verify(req, JSON.stringify(JSON.parse(body)), res));
    const { code, report } = await doctor(url, secret);
    assert.equal(code, 1);
    assert.equal(status(report).signature, 'pass');
    assert.equal(status(report)['raw-body'], 'fail');
    assert.match(check(report, 'raw-body').verdict, /parses and re-serializes the body before verifying/);
    assert.match(check(report, 'raw-body').fix!, /express\.raw\(\{ type: 'application\/json' \}\)/);
  });

  it('re-serialized the Python way: the compact event fails, the spaced one passes → re-serialization, not the secret', async () => {
    const secret = newSecret();
    const verify = verifying(secret);
    const python = (body: string) => JSON.stringify(JSON.parse(body), null, 1).replace(/\n */g, ' ').replace(/\{ /g, '{').replace(/ \}/g, '}');
    const url = await faultyServer((req, body, res) => verify(req, python(body), res));
    const { report } = await doctor(url, secret);
    assert.equal(status(report).signature, 'fail');
    assert.match(check(report, 'signature').verdict, /re-serializes the body \(like Python's json\.dumps\)/);
  });

  it('wrong secret: 401 on a correctly signed event, wrong secret named as the likelier cause', async () => {
    const url = await faultyServer(verifying(newSecret()));
    const { code, report, human } = await doctor(url, newSecret());
    assert.equal(code, 1);
    assert.equal(status(report).signature, 'fail');
    assert.match(check(report, 'signature').verdict, /got 401\. Likelier cause: the endpoint verifies with a different secret/);
    assert.match(check(report, 'signature').fix!, /^Copy the Signing Secret from Clerk Dashboard/);
    assert.equal(status(report).unsigned, 'pass');
    assert.match(human, /^FAIL {2}accepts a correctly signed event/m);
  });

  it('a 401 that talks about the body: re-serialization named as the likelier cause', async () => {
    const url = await faultyServer((_req, _body, res) => json(res, 400, { error: 'Webhook verification failed: could not parse raw body' }));
    const { report } = await doctor(url, newSecret());
    assert.match(check(report, 'signature').verdict, /Likelier cause: the body was re-serialized before verification/);
  });

  it('not verifying: 2xx to unsigned, tampered and stale requests → security hole', async () => {
    const url = await faultyServer((_req, _body, res) => json(res, 200, { ok: true }));
    const { code, report, human } = await doctor(url, newSecret());
    assert.equal(code, 1);
    assert.equal(status(report).signature, 'warn');
    assert.match(check(report, 'signature').verdict, /proves nothing about verification/);
    for (const id of ['unsigned', 'tampered', 'stale']) {
      assert.equal(status(report)[id], 'fail', id);
      assert.match(check(report, id).verdict, /This is a security hole\./);
    }
    assert.match(check(report, 'unsigned').fix!, /verifyWebhook\(req\)/);
    assert.match(human, /^FAIL {2}rejects unsigned requests +a request without any signature was accepted/m);
    // It stored everything it was sent: every accepted test event is listed.
    assert.equal(report.testEvents.svixIds.length, 5);
    assert.ok(report.testEvents.svixIds.includes('(the unsigned request, which has no svix-id)'));
  });

  it('checks the timestamp: a verifier that ignores it fails "stale" only', async () => {
    const secret = newSecret();
    const verifier = createVerifier(secret, { toleranceSeconds: 10 * 365 * 86400 });
    const url = await faultyServer((req, body, res) => {
      try {
        verifier.verify(body, req.headers as Record<string, string>);
        json(res, 200, {});
      } catch {
        json(res, 401, { error: 'invalid signature' });
      }
    });
    const { report } = await doctor(url, secret);
    assert.equal(status(report).stale, 'fail');
    assert.equal(status(report).tampered, 'pass');
    assert.match(check(report, 'stale').fix!, /svix-timestamp/);
  });

  it('slow: no answer within the timeout → speed fails', async () => {
    const url = await faultyServer((_req, _body, res) => void setTimeout(() => json(res, 200, {}), 1500));
    const { code, report, human } = await doctor(url, newSecret(), '--timeout', '400ms');
    assert.equal(code, 1);
    assert.equal(status(report).reachable, 'pass');
    assert.equal(status(report).speed, 'fail');
    assert.match(check(report, 'speed').verdict, /no answer within 400 ms \(the --timeout; Svix waits 15 s\)/);
    assert.match(check(report, 'speed').fix!, /store the event and answer 2xx, then do the slow work/);
    assert.match(human, /^FAIL {2}answers in time/m);
  });

  it('slow but in time → a warning, not a failure', async () => {
    const secret = newSecret();
    const verify = verifying(secret);
    const url = await faultyServer((req, body, res) => void setTimeout(() => verify(req, body, res), 800));
    const { code, report } = await doctor(url, secret, '--timeout', '2s');
    assert.equal(status(report).speed, 'warn');
    assert.equal(code, 0, JSON.stringify(report.checks.filter((c) => c.status !== 'pass')));
  });

  it('redirect: fails, says where to point Clerk, and checks the target', async () => {
    const secret = newSecret();
    const target = await faultyServer(verifying(secret));
    const url = await faultyServer((_req, _body, res) => res.writeHead(308, { location: `${target}/` }).end());
    const verify = verifying(secret);
    const slashUrl = await faultyServer((req, body, res) => (req.url === '/api/webhooks' ? res.writeHead(301, { location: '/api/webhooks/' }).end() : verify(req, body, res)));
    const { code, report, human } = await doctor(url, secret);
    assert.equal(code, 1);
    assert.equal(status(report).redirect, 'fail');
    assert.match(check(report, 'redirect').verdict, /answered 308 → .*Svix does not follow redirects/);
    assert.match(check(report, 'redirect').fix!, /Use the final URL, http:\/\/127\.0\.0\.1:\d+\/api\/webhooks\/, as the endpoint/);
    assert.equal(report.checkedUrl, `${target}/`);
    assert.equal(status(report).signature, 'pass', 'the target itself is fine');
    assert.match(human, /^FAIL {2}no redirect/m);
    const slash = await doctor(slashUrl, secret);
    assert.match(check(slash.report, 'redirect').verdict, /only adds or removes a trailing slash/);
  });

  it('redirect to a sign-in page: protected route', async () => {
    const url = await faultyServer((_req, _body, res) => res.writeHead(307, { location: '/sign-in?redirect_url=%2Fapi%2Fwebhooks' }).end());
    const { report } = await doctor(url, newSecret());
    assert.equal(status(report).route, 'fail');
    assert.match(check(report, 'redirect').verdict, /redirecting to a sign-in page/);
    assert.match(check(report, 'redirect').fix!, /createRouteMatcher/);
  });

  it('names the www vs bare-domain trap and HTTP → HTTPS', () => {
    const www = describeRedirect(new URL('https://example.com/api/webhooks'), new URL('https://www.example.com/api/webhooks'), 308);
    assert.match(www.verdict, /www vs bare-domain trap: example\.com redirects to www\.example\.com/);
    assert.match(www.fix, /Use the final URL, https:\/\/www\.example\.com\/api\/webhooks/);
    const https = describeRedirect(new URL('http://example.com/api/webhooks'), new URL('https://example.com/api/webhooks'), 301);
    assert.match(https.verdict, /redirects HTTP to HTTPS/);
  });

  it('skewed clock: the Date header is 10 minutes ahead and the signed event is rejected → clock fails, signature blames it', async () => {
    const secret = newSecret();
    const skew = 600_000;
    const url = await faultyServer(verifying(secret, () => Date.now() + skew), { date: () => new Date(Date.now() + skew).toUTCString() });
    const { code, report } = await doctor(url, secret);
    assert.equal(code, 1);
    assert.equal(status(report).clock, 'fail');
    assert.match(check(report, 'clock').verdict, /the server's clock is (599|600|601) s ahead of this machine's/);
    assert.match(check(report, 'clock').fix!, /NTP/);
    assert.match(check(report, 'signature').verdict, /the server's clock is off by (599|600|601) s, so the fresh svix-timestamp looks too old/);
  });

  it('unreachable: connection refused, DNS, TLS', async () => {
    requireForTest('the TLS part of this test (a self-signed certificate)', tool('openssl', 'apt-get install openssl'));
    const closed = await faultyServer(() => undefined);
    const port = new URL(closed).port;
    // A port nothing listens on: find one by closing a server.
    const s = createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const free = (s.address() as AddressInfo).port;
    await new Promise<void>((r) => s.close(() => r()));
    const refused = await doctor(`http://127.0.0.1:${free}/api/webhooks`, newSecret());
    assert.equal(refused.code, 1);
    assert.equal(status(refused.report).reachable, 'fail');
    assert.match(check(refused.report, 'reachable').verdict, /refused the connection: nothing listens on port \d+/);
    assert.ok(refused.report.checks.filter((c) => c.id !== 'reachable' && c.id !== 'secret').every((c) => c.status === 'skip'));
    assert.notEqual(port, String(free));

    const dns = await doctor('http://clerk-sync-doctor-test.invalid/api/webhooks', newSecret());
    assert.match(check(dns.report, 'reachable').verdict, /clerk-sync-doctor-test\.invalid does not resolve/);

    const dir = tempDir();
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-days', '1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
    const tls = createHttpsServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, (_req, res) => res.end('{}'));
    await new Promise<void>((r) => tls.listen(0, '127.0.0.1', r));
    onFileEnd(() => tls.close());
    const selfSigned = await doctor(`https://127.0.0.1:${(tls.address() as AddressInfo).port}/api/webhooks`, newSecret());
    assert.equal(status(selfSigned.report).reachable, 'fail');
    assert.match(check(selfSigned.report, 'reachable').verdict, /the TLS handshake with .* failed \(DEPTH_ZERO_SELF_SIGNED_CERT\)/);
    assert.match(check(selfSigned.report, 'reachable').fix!, /Self-signed certificates are refused/);
  });

  it('secret format: a Clerk Secret Key, quotes, a missing prefix', async () => {
    const url = await faultyServer((_req, _body, res) => json(res, 401, {}));
    const sk = await doctor(url, 'sk_test_abcdef123456');
    assert.equal(status(sk.report).secret, 'fail');
    assert.match(check(sk.report, 'secret').verdict, /Clerk Secret Key \(sk_\.\.\.\), not a webhook signing secret/);
    const quoted = await doctor(url, `"${newSecret()}"`);
    assert.match(check(quoted.report, 'secret').verdict, /wrapped in quotes/);
    const bare = await doctor(url, newSecret().slice('whsec_'.length));
    assert.equal(status(bare.report).secret, 'warn');
    assert.match(check(bare.report, 'secret').verdict, /lacks the whsec_ prefix/);
    const bad = await runCli(['doctor', '--url', 'not a url']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--url must be an absolute URL/);
  });
});
