/**
 * A lean stand-in for Clerk's Backend API for the reconcile benchmark, run in a process of its own
 * (bench/reconcile.ts forks it) so that its objects do not count in the reconcile's memory.
 *
 * It serves what `clerk-sync reconcile` reads, in the shapes Clerk's Backend API documents:
 * GET /v1/users (limit 1-500, offset or the `starting_after=<user id>` cursor, order_by=+created_at;
 * a bare array), /v1/users/count
 * (`{object: 'total_count', total_count}`), /v1/instance (`{object: 'instance', id}`), and
 * `{data: [], total_count: 0}` for every other list reconcile calls (no organizations, invitations,
 * waitlist entries or subscription items here: the benchmark is about users). Any other path, a
 * bad limit or offset, or another key answers Clerk's error JSON, so a wrong request shows.
 *
 * Users are Backend API User objects (the user.created fixture's shape, as the test stand-in's
 * `apiUser` builds them) with a unique id, email, name and username each, one Google account,
 * and some metadata: about 2 KB of JSON each. They are serialized once and kept sorted by
 * created_at, so a page costs a slice and a join, not a sort of the whole list.
 *
 * Messages from the parent (IPC): `{ cmd: 'mutate', removeEvery, updateEvery }` removes every
 * removeEvery-th user and updates every updateEvery-th other one (a later updated_at, a new
 * first name), answering `{ live, removed, updated }`; `{ cmd: 'stop' }` closes the server.
 */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { eventFixture, freshId } from '../src/events/fixtures.js';

const count = Number(process.env.BENCH_USERS ?? 100_000);
const secretKey = process.env.BENCH_SECRET_KEY ?? 'sk_test_bench';
const instanceId = process.env.BENCH_INSTANCE_ID ?? 'ins_bench00000000000000000001';
const DAY = 86_400_000;

interface Entry {
  id: string;
  user: Record<string, unknown>;
  json: string;
}

/** User `i`, created `base + i` seconds, last updated an hour after (all well before the run). */
function makeUser(i: number, base: number): Record<string, unknown> {
  const createdAt = base + i * 1000;
  const updatedAt = createdAt + 3_600_000;
  const data = eventFixture('user.created', { now: updatedAt }).data as unknown as Record<string, any>;
  const n = String(i).padStart(6, '0');
  const email = data.email_addresses[0];
  const googleIdn = freshId('idn');
  const account = {
    object: 'google_account', id: freshId('eac'), provider: 'oauth_google', identification_id: googleIdn,
    provider_user_id: `1${n}4817205566${n}`, approved_scopes: 'email https://www.googleapis.com/auth/userinfo.email https://www.googleapis.com/auth/userinfo.profile openid profile',
    email_address: `user${n}@bench.example.com`, first_name: `First${n}`, last_name: `Last${n}`, avatar_url: `https://lh3.googleusercontent.com/a/ACg8ocK${n}=s96-c`,
    image_url: `https://img.clerk.com/eyJ0eXBlIjoicHJveHkiLCJzcmMiOiJodHRwczovL2xoMy5nb29nbGV1c2VyY29udGVudC5jb20vYS9BQ2c4b2NL${n}`,
    username: null, phone_number: null, public_metadata: {}, label: null, created_at: createdAt, updated_at: createdAt,
    verification: { status: 'verified', strategy: 'oauth_google', attempts: null, expire_at: createdAt + 600_000 },
  };
  return {
    ...data,
    external_id: `acct_${n}`,
    username: `user${n}`,
    first_name: `First${n}`,
    last_name: `Last${n}`,
    email_addresses: [{ ...email, email_address: `user${n}@bench.example.com`, linked_to: [{ type: 'oauth_google', id: googleIdn }], created_at: createdAt, updated_at: createdAt }],
    external_accounts: [account],
    public_metadata: { plan: i % 3 === 0 ? 'pro' : 'free', team: `team_${i % 997}`, onboarded: true },
    private_metadata: { stripe_customer_id: `cus_${n}Q8xYzK3`, crm_id: 900000 + i },
    created_at: createdAt,
    updated_at: updatedAt,
    last_sign_in_at: updatedAt,
    last_active_at: updatedAt,
    legal_accepted_at: createdAt,
  };
}

// 60 days ago onwards: every version is older than the listing, so the sweep may consider every row.
const base = Date.now() - 60 * DAY;
let users: Entry[] = Array.from({ length: count }, (_, i) => {
  const user = makeUser(i, base);
  return { id: user.id as string, user, json: JSON.stringify(user) };
});
/** Position of each user by id, for `starting_after`. */
let indexOf = new Map(users.map((u, i) => [u.id, i]));
if (indexOf.size !== users.length) throw new Error('duplicate user ids');

const send = (res: ServerResponse, status: number, body: string) => res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
const error = (res: ServerResponse, status: number, code: string, message: string) => send(res, status, JSON.stringify({ errors: [{ message, long_message: message, code }], clerk_trace_id: 'bench' }));
const EMPTY = JSON.stringify({ data: [], total_count: 0 });
/** The other lists reconcile reads, with the query each always has besides limit, offset (and order_by); other parameters (a status) are taken. */
const EMPTY_LISTS = new Map<string, Record<string, string>>([
  ['/v1/organizations', {}], ['/v1/organization_memberships', {}], ['/v1/organization_permissions', {}], ['/v1/organization_roles', {}],
  ['/v1/organization_domains', {}], ['/v1/organization_invitations', {}], ['/v1/invitations', { paginated: 'true' }], ['/v1/waitlist_entries', {}],
  ['/v1/billing/subscription_items', { include_free: 'true' }],
]);

/** limit 1-500 and offset >= 0, as Clerk checks them; null after answering a 422. */
function window(res: ServerResponse, query: URLSearchParams): { limit: number; offset: number } | null {
  const limit = Number(query.get('limit') ?? 10);
  const offset = Number(query.get('offset') ?? 0);
  if (!Number.isInteger(limit) || limit < 1 || limit > 500) return void error(res, 422, 'form_param_value_invalid', 'limit must be an integer greater than zero and less than 501'), null;
  if (!Number.isInteger(offset) || offset < 0) return void error(res, 422, 'form_param_value_invalid', 'offset must be an integer greater or equal to zero'), null;
  return { limit, offset };
}

let requests = 0;
const server = createServer((req, res) => {
  requests++;
  const url = new URL(req.url ?? '/', 'http://localhost');
  const query = url.searchParams;
  if (req.headers.authorization !== `Bearer ${secretKey}`) return error(res, 401, 'clerk_key_invalid', 'The provided Clerk Secret Key is invalid.');
  if (req.method !== 'GET') return error(res, 405, 'method_not_allowed', 'Method not allowed');
  switch (url.pathname) {
    case '/v1/instance':
      return send(res, 200, JSON.stringify({ object: 'instance', id: instanceId, environment_type: 'production', allowed_origins: null }));
    case '/v1/users/count':
      return send(res, 200, JSON.stringify({ object: 'total_count', total_count: users.length }));
    case '/v1/users': {
      const w = window(res, query);
      if (!w) return;
      // Kept in created_at order; the benchmark's client asks for exactly that.
      if (query.get('order_by') !== '+created_at') return error(res, 422, 'form_param_value_invalid', `this stand-in serves order_by=+created_at only, got ${query.get('order_by')}`);
      let start = w.offset;
      const cursor = query.get('starting_after');
      if (cursor !== null) {
        // Cursor pagination, as Clerk documents it for /users: after that user, never with an offset.
        if (w.offset !== 0) return error(res, 422, 'form_param_value_invalid', 'starting_after cannot be combined with a non-zero offset');
        const at = indexOf.get(cursor);
        if (at === undefined) return error(res, 422, 'form_param_value_invalid', `starting_after: no user with id ${cursor}`);
        start = at + 1;
      }
      return send(res, 200, `[${users.slice(start, start + w.limit).map((u) => u.json).join(',')}]`);
    }
  }
  const needs = EMPTY_LISTS.get(url.pathname);
  if (needs && Object.entries(needs).every(([k, v]) => query.get(k) === v) && window(res, query)) return send(res, 200, EMPTY);
  if (!res.headersSent) error(res, 404, 'resource_not_found', `No route ${url.pathname}?${query}`);
});
server.keepAliveTimeout = 30_000;
server.listen(0, '127.0.0.1', () => {
  const bytes = users.reduce((n, u) => n + u.json.length, 0);
  process.send!({ ready: true, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, users: users.length, meanBytes: Math.round(bytes / users.length) });
});

process.on('message', (m: { cmd: string; removeEvery?: number; updateEvery?: number }) => {
  if (m.cmd === 'mutate') {
    const removeEvery = m.removeEvery!;
    const updateEvery = m.updateEvery!;
    let updated = 0;
    const kept: Entry[] = [];
    for (const [i, u] of users.entries()) {
      if (i % removeEvery === 0) continue;
      if (i % updateEvery === Math.floor(updateEvery / 2)) {
        // Changed in Clerk a day ago: newer than the stored row, older than the listing.
        const user = { ...u.user, first_name: `Renamed${i}`, updated_at: Date.now() - DAY };
        kept.push({ id: u.id, user, json: JSON.stringify(user) });
        updated++;
      } else kept.push(u);
    }
    const removed = users.length - kept.length;
    users = kept;
    indexOf = new Map(users.map((u, i) => [u.id, i]));
    process.send!({ live: users.length, removed, updated, requests });
  } else if (m.cmd === 'stop') {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  }
});
process.on('disconnect', () => process.exit(0));
