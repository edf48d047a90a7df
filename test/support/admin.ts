import { sql } from 'kysely';
import type { ClerkSync } from '../../src/clerk-sync.js';
import { ClerkSyncMetrics } from '../../src/metrics/metrics.js';
import type { TestTarget } from './db.js';
import { waitFor } from './env.js';
import { startService } from './service.js';

export const ADMIN_TOKEN = 'test-admin-token-0123456789abcdef';

export interface AdminService {
  sync: ClerkSync;
  metrics: ClerkSyncMetrics;
  secret: string;
  /** http://127.0.0.1:port */
  origin: string;
  /** POSTs a signed event to /api/webhooks. */
  send(event: unknown, options?: { id?: string; secret?: string }): Promise<{ status: number; id: string; body: any }>;
  /** Calls the admin API with the bearer token (or `token`). */
  api(path: string, init?: { method?: string; body?: unknown; token?: string | null; headers?: Record<string, string> }): Promise<{ status: number; body: any; headers: Headers }>;
  /** Waits until the event has this status. */
  waitForStatus(id: string, status: string): Promise<void>;
  /** Makes processing of user events fail (the table is renamed away) until `heal()`. */
  breakUsersTable(): Promise<void>;
  healUsersTable(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The real service as `clerk-sync serve` wires it (receiver, worker, metrics hooks, HTTP server
 * with the admin surface) on a fresh database; no retries, so a failing event goes dead at once.
 */
export async function startAdminService(options: { dialect: TestTarget; adminToken?: string | null; metricsToken?: string | null; worker?: boolean }): Promise<AdminService> {
  const metrics = new ClerkSyncMetrics();
  const svc = await startService({
    dialect: options.dialect,
    ...metrics.hooks,
    worker: options.worker === false ? false : { retrySchedule: [], pollIntervalMs: 50 },
    http: { adminToken: options.adminToken === undefined ? ADMIN_TOKEN : options.adminToken, metricsToken: options.metricsToken ?? null, metrics },
  });
  const { sync, origin } = svc;
  const db = sync.database.db;
  return {
    sync,
    metrics,
    secret: svc.secret,
    origin,
    async send(event, opts = {}) {
      const { status, id, body } = await svc.send(event, opts);
      return { status, id, body };
    },
    async api(path, init = {}) {
      const token = init.token === undefined ? ADMIN_TOKEN : init.token;
      const res = await fetch(`${origin}${path}`, {
        method: init.method ?? 'GET',
        headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}), ...init.headers },
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
        redirect: 'manual',
      });
      const text = await res.text();
      let body: any = text;
      try {
        body = JSON.parse(text);
      } catch {}
      return { status: res.status, body, headers: res.headers };
    },
    async waitForStatus(id, status) {
      await waitFor(
        async () => (await db.selectFrom('clerk_webhook_events').select('status').where('svix_id', '=', id).executeTakeFirst())?.status === status,
        { what: `event ${id} to be ${status}` },
      );
    },
    async breakUsersTable() {
      await sql`alter table clerk_users rename to clerk_users_away`.execute(db);
    },
    async healUsersTable() {
      await sql`alter table clerk_users_away rename to clerk_users`.execute(db);
    },
    close: () => svc.close(),
  };
}

/** Parses Prometheus text: `name{labels}` -> value, plus each family's TYPE. */
export function parsePrometheus(text: string): { samples: Map<string, number>; types: Map<string, string> } {
  const samples = new Map<string, number>();
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const type = /^# TYPE (\S+) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (type) {
      types.set(type[1]!, type[2]!);
      continue;
    }
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not a Prometheus sample line: ${JSON.stringify(line)}`);
    const value = m[3] === '+Inf' ? Infinity : Number(m[3]);
    if (Number.isNaN(value) && m[3] !== 'NaN') throw new Error(`bad sample value in ${JSON.stringify(line)}`);
    samples.set(`${m[1]}${m[2] ?? ''}`, value);
  }
  return { samples, types };
}
