/**
 * Bad-input fault test: more than 10,000 generated malformed requests against the real
 * `clerk-sync serve`, many at once: broken and missing headers, bad base64, wrong signature
 * versions, huge and truncated bodies, invalid UTF-8, non-JSON and deeply nested JSON (validly
 * signed), wrong methods, and slow bodies that never finish. No 5xx, no crash, memory bounded,
 * every rejection a JSON error with a code and a message, and nothing of it in the inbox.
 *
 * Reproduce a run with the seed it prints: CLERK_SYNC_SEED=<seed>.
 */
import assert from 'node:assert/strict';
import { Agent, request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import { openDatabase } from '../src/store/database.js';
import { startServe, type ServeProcess } from './support/cli.js';
import { tempDbPath, newSecret, waitFor } from './support/env.js';
import { faultSeed, Rng } from './support/random.js';
import { requestFactory, type BadRequest } from './support/fault-requests.js';
import { healthz, isRunning, rssKiB, stopServe } from './support/fault-serve.js';

const SEED = faultSeed();
const REQUESTS = 10_500;
const CONCURRENCY = 48;
const TRUNCATED = 300;
const SLOW_BODIES = 24;
const SLOW_HEADERS = 6;
const DEEP_VALID_EVENTS = 3;
/** A lower limit than the 1 MiB default keeps the huge bodies cheap to send; the code path is the same. */
const MAX_BODY_BYTES = 256 * 1024;
/** serve's request timeout (15 s, Svix's own), checked every second, with slack for a loaded machine. */
const SLOW_CUT_OFF_BOUND_MS = 15_000 + 1_000 + 9_000;
/** RSS may grow while the server works; bounded means it stays well clear of the 200 MB target. */
const RSS_GROWTH_BOUND_KIB = 120 * 1024;
const RSS_PEAK_BOUND_KIB = 400 * 1024;

interface Answer {
  status: number | null;
  contentType: string | undefined;
  body: string;
  error?: string;
}

let keepAliveRetries = 0;

function send(agent: Agent, port: number, r: BadRequest, retried = false): Promise<Answer> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (a: Answer) => {
      if (!settled) {
        settled = true;
        resolve(a);
      }
    };
    const headers: Record<string, string | number> = { ...r.headers };
    if (!r.chunked) headers['content-length'] = r.body.length;
    const req = request({ host: '127.0.0.1', port, path: '/api/webhooks', method: r.method, headers, agent, timeout: 30_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => done({ status: res.statusCode ?? null, contentType: res.headers['content-type'], body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', (e) => done({ status: res.statusCode ?? null, contentType: res.headers['content-type'], body: Buffer.concat(chunks).toString('utf8'), error: e.message }));
    });
    req.on('timeout', () => req.destroy(new Error('no answer within 30 s')));
    req.on('error', (e) => {
      const code = (e as NodeJS.ErrnoException).code ?? e.message;
      // The documented keep-alive race: the server closed an idle connection as we reused it.
      if (req.reusedSocket && code === 'ECONNRESET' && !retried) {
        keepAliveRetries++;
        return void send(agent, port, r, true).then(done);
      }
      done({ status: null, contentType: undefined, body: '', error: code });
    });
    if (r.chunked) {
      for (let i = 0; i < r.body.length; i += 64 * 1024) req.write(r.body.subarray(i, i + 64 * 1024));
      req.end();
    } else req.end(r.body);
  });
}

/** Opens a raw connection; resolves with whatever the server wrote before it closed, and how long that took. */
function rawConnection(port: number, drive: (socket: Socket) => void): Promise<{ received: string; ms: number }> {
  return new Promise((resolve) => {
    const t0 = Date.now();
    let received = '';
    const socket = connect(port, '127.0.0.1', () => drive(socket));
    socket.on('data', (d) => (received += d.toString('latin1')));
    socket.on('error', () => {});
    socket.on('close', () => resolve({ received, ms: Date.now() - t0 }));
  });
}

/** A request whose body never finishes: a byte a second, forever (until the server cuts it off). */
function slowBody(port: number, secret: string): Promise<{ received: string; ms: number }> {
  return rawConnection(port, (socket) => {
    socket.write(`POST /api/webhooks HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nsvix-id: msg_slow\r\nsvix-timestamp: ${Math.floor(Date.now() / 1000)}\r\nsvix-signature: v1,${secret.slice(-10)}\r\nContent-Length: 100000\r\n\r\n{`);
    const timer = setInterval(() => socket.write('"'), 1000);
    socket.on('close', () => clearInterval(timer));
  });
}

/** Headers that never finish. */
function slowHeaders(port: number): Promise<{ received: string; ms: number }> {
  return rawConnection(port, (socket) => {
    socket.write('POST /api/webhooks HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    const timer = setInterval(() => socket.write('X-Slow: 1\r\n'), 1000);
    socket.on('close', () => clearInterval(timer));
  });
}

/** Declares more body than it sends, then closes: a client that died mid-upload. */
function truncatedBody(port: number, r: BadRequest, rng: Rng): Promise<{ received: string; ms: number }> {
  const sent = r.body.subarray(0, rng.int(r.body.length));
  const head = Object.entries(r.headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
  const halfClose = rng.chance(0.5);
  return rawConnection(port, (socket) => {
    socket.write(`POST /api/webhooks HTTP/1.1\r\nHost: 127.0.0.1\r\n${head}Content-Length: ${r.body.length + 1 + rng.int(5000)}\r\n\r\n`);
    socket.write(sent, () => (halfClose ? socket.end() : socket.destroy()));
  });
}

const statusOf = (raw: string) => (/^HTTP\/1\.1 (\d{3})/.exec(raw) ? Number(/^HTTP\/1\.1 (\d{3})/.exec(raw)![1]) : null);

describe(`malformed requests against clerk-sync serve (CLERK_SYNC_SEED=${SEED})`, () => {
  it(`${REQUESTS} generated bad requests, ${TRUNCATED} truncated and ${SLOW_BODIES + SLOW_HEADERS} stalled ones: no 5xx, no crash, bounded memory, nothing stored`, { timeout: 150_000 }, async (t) => {
    const rng = new Rng(SEED);
    const secret = newSecret();
    const dbPath = tempDbPath();
    const serve: ServeProcess = await startServe(['--db', dbPath, '--max-body-bytes', String(MAX_BODY_BYTES), '--log-level', 'info'], { CLERK_WEBHOOK_SIGNING_SECRET: secret });
    const pid = serve.child.pid!;
    const { kinds, deepValidEvent } = requestFactory(secret, MAX_BODY_BYTES);
    const kindNames = Object.keys(kinds);
    const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });

    const byKind = new Map<string, number>();
    const statuses = new Map<string, number>();
    const codes = new Map<string, number>();
    const problems: string[] = [];
    const problem = (what: string) => {
      if (problems.length < 20) problems.push(what);
      else problems.push('');
    };
    const count = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);

    try {
      // Warm up (first requests compile code paths), then take the baseline.
      for (let i = 0; i < 50; i++) await send(agent, serve.port, kinds['wrong signature']!(rng));
      const rssBefore = rssKiB(pid);
      let rssPeak = rssBefore;
      const sampler = setInterval(() => {
        try {
          rssPeak = Math.max(rssPeak, rssKiB(pid));
        } catch {}
      }, 250);

      const t0 = Date.now();
      const stalled = [
        ...Array.from({ length: SLOW_BODIES }, () => slowBody(serve.port, secret).then((r) => ({ ...r, kind: 'slow body' }))),
        ...Array.from({ length: SLOW_HEADERS }, () => slowHeaders(serve.port).then((r) => ({ ...r, kind: 'slow headers' }))),
      ];

      // The flood: CONCURRENCY requests in flight at all times, kinds drawn at random.
      const plan: Array<() => Promise<void>> = [];
      for (let i = 0; i < REQUESTS; i++) {
        const kind = rng.pick(kindNames);
        const r = kinds[kind]!(rng);
        plan.push(async () => {
          count(byKind, r.kind);
          const a = await send(agent, serve.port, r);
          count(statuses, String(a.status ?? a.error));
          if (a.status !== null && a.status >= 500) return problem(`${r.kind}: ${a.status} ${a.body.slice(0, 200)}`);
          if (r.expect === 'head') {
            if (a.status !== 405) problem(`HEAD answered ${a.status}`);
            return;
          }
          if (a.status === null) {
            if (r.expect !== 'reject-or-reset') problem(`${r.kind}: no answer (${a.error})`);
            return;
          }
          if (a.status < 400) return problem(`${r.kind}: accepted with ${a.status} ${a.body.slice(0, 200)}`);
          let body: any;
          try {
            body = JSON.parse(a.body);
          } catch {
            return problem(`${r.kind}: ${a.status} without a JSON body: ${a.body.slice(0, 100)}`);
          }
          if (!/^application\/json/.test(a.contentType ?? '')) problem(`${r.kind}: content-type ${a.contentType}`);
          const { code, message } = body?.error ?? {};
          if (typeof code !== 'string' || !/^[a-z_]+$/.test(code)) return problem(`${r.kind}: no error code in ${a.body.slice(0, 200)}`);
          if (typeof message !== 'string' || message.length < 30 || !/[;:,.] /.test(message)) problem(`${r.kind}: message does not say what to do: ${message}`);
          count(codes, `${a.status} ${code}`);
        });
      }
      for (let i = 0; i < TRUNCATED; i++) {
        const r = kinds[rng.pick(['wrong signature', 'not JSON, signed', 'missing headers'])]!(rng);
        plan.push(async () => {
          count(byKind, 'truncated body');
          const { received } = await truncatedBody(serve.port, r, rng);
          const status = statusOf(received);
          count(statuses, status === null ? 'closed without answer' : String(status));
          if (status !== null && status >= 500) problem(`truncated body: ${received.slice(0, 200)}`);
        });
      }
      rng.shuffle(plan);
      let next = 0;
      await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
        while (next < plan.length) await plan[next++]!();
      }));
      const floodMs = Date.now() - t0;

      // A few validly signed Clerk events with a deeply nested field: these are stored on purpose.
      const deep: string[] = [];
      for (let i = 0; i < DEEP_VALID_EVENTS; i++) {
        const r = deepValidEvent(20_000 + rng.int(40_000));
        const a = await send(agent, serve.port, r);
        assert.equal(a.status, 200, a.body);
        deep.push(r.headers['svix-id']!);
      }

      assert.equal(await healthz(serve), 200, 'healthz after the flood');
      const results = await Promise.all(stalled);
      clearInterval(sampler);
      const rssAfter = rssKiB(pid);
      for (const s of results) {
        assert.equal(statusOf(s.received), 408, `${s.kind} cut off with 408 Request Timeout, got ${JSON.stringify(s.received.slice(0, 80))}`);
        assert.ok(s.ms < SLOW_CUT_OFF_BOUND_MS, `${s.kind} cut off after ${s.ms} ms`);
      }
      const cutOffMs = results.map((s) => s.ms);

      assert.equal(await healthz(serve), 200, 'healthz at the end');
      assert.ok(isRunning(serve), 'the server is still running');
      assert.deepEqual(problems.filter(Boolean), [], `${problems.length} bad answers`);
      for (const s of statuses.keys()) assert.ok(!/^5\d\d$/.test(s), `a ${s} answer`);
      assert.ok(rssAfter - rssBefore < RSS_GROWTH_BOUND_KIB, `RSS grew from ${rssBefore} to ${rssAfter} KiB`);
      assert.ok(rssPeak < RSS_PEAK_BOUND_KIB, `RSS peaked at ${rssPeak} KiB`);

      const database = await openDatabase(dbPath);
      let stored: string[];
      let deepOutcome: string[];
      try {
        stored = (await database.db.selectFrom('clerk_webhook_events').select('svix_id').execute()).map((r) => r.svix_id);
        await waitFor(async () => {
          const rows = await database.db.selectFrom('clerk_webhook_events').select('status').execute();
          return rows.every((r) => r.status === 'done' || r.status === 'dead' || r.status === 'failed');
        }, { what: 'the deeply nested events to be tried' });
        deepOutcome = (await database.db.selectFrom('clerk_webhook_events').select(['status', 'last_error']).execute()).map((r) => `${r.status}${r.last_error ? `: ${r.last_error.slice(0, 60)}` : ''}`);
      } finally {
        await database.close();
      }
      assert.deepEqual(stored.sort(), deep.sort(), 'the inbox holds only the events signed validly on purpose');
      assert.ok(isRunning(serve), 'the worker survived the deeply nested events');

      const report = {
        seed: SEED, keepAliveRetries, requests: REQUESTS + TRUNCATED + SLOW_BODIES + SLOW_HEADERS + DEEP_VALID_EVENTS, floodMs, concurrency: CONCURRENCY,
        byKind: Object.fromEntries(byKind), statuses: Object.fromEntries(statuses), codes: Object.fromEntries(codes),
        stalledCutOffMs: { min: Math.min(...cutOffMs), max: Math.max(...cutOffMs) },
        rssKiB: { before: rssBefore, peak: rssPeak, after: rssAfter }, storedOnPurpose: deep.length, deepOutcome, storedOtherwise: 0, fiveHundreds: 0,
      };
      t.diagnostic(JSON.stringify(report));
      console.log(`fault-input ${JSON.stringify(report)}`);
    } catch (error) {
      console.error(serve.logs().split('\n').filter((l) => !/"webhook rejected"|"event processed"/.test(l)).slice(-30).join('\n'));
      throw error;
    } finally {
      agent.destroy();
      await stopServe(serve);
    }
  });
});
