import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { it } from 'node:test';
import type { ClerkSync, ClerkSyncOptions } from '../../src/clerk-sync.js';
import { eventFixture } from '../../src/events/fixtures.js';
import type { DialectName } from '../../src/store/dialect.js';
import { signWebhook } from '../../src/verify/index.js';
import { newSecret, onFileEnd, waitFor } from './env.js';
import { startService } from './service.js';

export interface Mounted {
  /** The webhook URL served by the framework under test. */
  url: string;
  close(): Promise<void>;
}

export interface Harness {
  sync: ClerkSync;
  secret: string;
  /** `clerk-sync serve`'s own server on the same instance: the reference answers. */
  serveUrl: string;
}

/** A started ClerkSync on a fresh database, plus the reference server of `clerk-sync serve`. */
export async function startHarness(dialect: DialectName, options: ClerkSyncOptions = {}): Promise<Harness> {
  const svc = await startService({ dialect, worker: { pollIntervalMs: 50 }, ...options, secret: newSecret() });
  onFileEnd(() => svc.close());
  return { sync: svc.sync, secret: svc.secret, serveUrl: svc.url };
}

export async function listenOnLoopback(server: Server): Promise<string> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

export interface Answer {
  status: number;
  body: any;
  contentType: string | null;
}

export async function post(url: string, body: string, headers: Record<string, string>): Promise<Answer> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null, contentType: res.headers.get('content-type') };
}

export function signed(h: Harness, event: unknown, id?: string): { body: string; headers: Record<string, string>; id: string } {
  const body = JSON.stringify(event);
  const s = signWebhook(body, h.secret, id ? { id } : {});
  return { body, headers: { ...s.headers }, id: s.id };
}

/**
 * The checks every adapter must pass: a valid event answers 200 and its row appears once the
 * worker ran, a tampered body answers 401 with the body `clerk-sync serve` gives, a redelivery
 * changes nothing, and other methods get serve's 405.
 */
export function adapterContract(getHarness: () => Harness, getMounted: () => Mounted): void {
  const users = (h: Harness, id: string) => h.sync.database.db.selectFrom('clerk_users').selectAll().where('id', '=', id).execute();
  const inbox = (h: Harness, id: string) => h.sync.database.db.selectFrom('clerk_webhook_events').selectAll().where('svix_id', '=', id).execute();

  it('a valid event answers 200 and its row appears after the worker runs', async () => {
    const h = getHarness();
    const event = eventFixture('user.created');
    event.data.first_name = 'Ada';
    const req = signed(h, event);
    const answer = await post(getMounted().url, req.body, req.headers);
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.body, { received: true });
    const [row] = await waitFor(async () => {
      const rows = await users(h, event.data.id);
      return rows.length > 0 && rows;
    }, { what: 'the synced user row' });
    assert.equal(row!.first_name, 'Ada');
    assert.equal((await inbox(h, req.id))[0]?.status, 'done');
  });

  it('a tampered body answers 401 with the same status and JSON body as clerk-sync serve', async () => {
    const h = getHarness();
    const req = signed(h, eventFixture('user.created'));
    const tampered = req.body.replace('"user.created"', '"user.updated"');
    const mine = await post(getMounted().url, tampered, req.headers);
    const serve = await post(h.serveUrl, tampered, req.headers);
    assert.equal(mine.status, 401);
    assert.equal(mine.body.error.code, 'invalid_signature');
    assert.deepEqual(mine, serve);
    assert.equal((await inbox(h, req.id)).length, 0, 'nothing stored');
  });

  it('the same event delivered twice is stored and applied once', async () => {
    const h = getHarness();
    const event = eventFixture('user.created');
    const req = signed(h, event);
    const first = await post(getMounted().url, req.body, req.headers);
    const again = await post(getMounted().url, req.body, signWebhook(req.body, h.secret, { id: req.id }).headers);
    assert.equal(first.status, 200);
    assert.equal(again.status, 200);
    assert.deepEqual(again.body, { received: true, duplicate: true });
    await waitFor(async () => (await inbox(h, req.id))[0]?.status === 'done', { what: 'the event processed' });
    assert.equal((await inbox(h, req.id)).length, 1);
    assert.equal((await users(h, event.data.id)).length, 1);
  });

  it('other methods and missing headers get the same answers as clerk-sync serve', async () => {
    const h = getHarness();
    const get = async (url: string) => {
      const res = await fetch(url);
      return { status: res.status, allow: res.headers.get('allow'), body: await res.json() };
    };
    const mineGet = await get(getMounted().url);
    assert.equal(mineGet.status, 405);
    assert.deepEqual(mineGet, await get(h.serveUrl));
    const unsigned = JSON.stringify(eventFixture('user.created'));
    const mine = await post(getMounted().url, unsigned, {});
    assert.equal(mine.status, 400);
    assert.deepEqual(mine, await post(h.serveUrl, unsigned, {}));
  });
}
